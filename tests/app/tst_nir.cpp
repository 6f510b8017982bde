// NIR files (core/files/NirFile, NirEvents; docs/FORMATS.md, "NIR"): the round trip is bit-exact,
// hostile and unrepresentable files are refused with one line naming the node, and an
// independent reader (tests/tools/nir_check.py: h5py + numpy) finds NIR's layout and recomputes
// the app's spike times of 100 test digits from the exported weights.

#include "core/files/Checkpoint.h"
#include "core/files/NirFile.h"
#include "core/model/SpikeNetwork.h"

#include "tests/common/RunProgram.h"

#include <QtTest>
#include <QThread>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sys/stat.h>

using namespace firstspike;

namespace {

using Result = firstspike::test::ProgramResult;

Result run(const QString &program, const QStringList &args, int timeoutMs = 120000)
{
    return firstspike::test::runToEnd(program, args, timeoutMs);
}

// The command line next to this test in the build tree (build/tests/ -> build/app/).
QString cliPath()
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../app/firstspike-cli"));
}

QString scriptPath()
{
    // tests/data may not exist: the path is cleaned, not resolved through it.
    return QDir::cleanPath(QStringLiteral(FIRSTSPIKE_TEST_DATA_DIR "/../tools/nir_check.py"));
}

QString imagesPath()
{
    return QDir::cleanPath(QStringLiteral(FIRSTSPIKE_TEST_DATA_DIR "/../../resources/mnist-embedded/t10k-images-idx3-ubyte.gz"));
}

// A python3 that imports h5py and numpy (the one on PATH first, then the system's), or "".
QString pythonWithH5py()
{
    for (const QString &candidate : {QStringLiteral("python3"), QStringLiteral("/usr/bin/python3")}) {
        const Result r = run(candidate, {QStringLiteral("-c"), QStringLiteral("import h5py, numpy")}, 30000);
        if (r.exitCode == 0)
            return candidate;
    }
    return {};
}

bool sameBits(const std::vector<Matrix> &a, const std::vector<Matrix> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t l = 0; l < a.size(); ++l) {
        if (a[l].rows() != b[l].rows() || a[l].cols() != b[l].cols())
            return false;
        if (std::memcmp(a[l].data(), b[l].data(), sizeof(double) * a[l].size()) != 0)
            return false;
    }
    return true;
}

std::vector<Matrix> randomWeights(const NetworkConfig &net, std::uint64_t seed)
{
    SpikeNetwork n(net);
    n.initializeUniform(seed, -3.0, 5.0);
    return n.allWeights();
}

void verifyOneLine(const QString &message, const QString &phrase)
{
    QVERIFY2(message.contains(phrase), qPrintable(message));
    QCOMPARE(message.trimmed().count('\n'), 0);
}

} // namespace

class TestNir : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTripIsBitExact();
    void roundTripWithoutBias();
    void sameNetworkSameBytesLater();
    void refusesHostileFiles();
    void refusesWhatItCannotRun();
    void independentReaderAgrees();

private:
    QTemporaryDir dir_;
};

void TestNir::roundTripIsBitExact()
{
    NetworkConfig net;
    net.layerSizes = {784, 31, 17, 10};
    net.threshold = 1.25;
    net.maxSpikeTime = 6.5;
    net.encoding.kind = InputEncoding::Binarized;
    net.encoding.binaryLateTime = 1.5;
    std::vector<Matrix> w = randomWeights(net, 7);
    // Values whose bits a text format or a float would lose.
    w[0](0, 0) = -0.0;
    w[0](1, 0) = std::numeric_limits<double>::denorm_min();
    w[1](2, 3) = 1e300;
    w[2](17, 9) = 0.1 + 0.2; // the bias row
    const std::string path = dir_.filePath("net.nir").toStdString();
    saveNirNetwork(path, net, w);
    const NirNetwork back = loadNirNetwork(path);
    QVERIFY(back.firstspikeMetadata);
    QVERIFY(sameBits(back.weights, w));
    QVERIFY(back.network.layerSizes == net.layerSizes);
    QCOMPARE(back.network.bias, true);
    QCOMPARE(back.network.threshold, net.threshold);
    QCOMPARE(back.network.maxSpikeTime, net.maxSpikeTime);
    QVERIFY(back.network.encoding.kind == InputEncoding::Binarized);
    QCOMPARE(back.network.encoding.binaryLateTime, 1.5);
    // And once more: the file it writes again is the same.
    QVERIFY(nirNetworkBytes(back.network, back.weights) == nirNetworkBytes(net, w));
}

// No modification times in the file: the same network written a second later is the same bytes.
void TestNir::sameNetworkSameBytesLater()
{
    NetworkConfig net;
    net.layerSizes = {784, 12, 10};
    const std::vector<Matrix> w = randomWeights(net, 3);
    const std::vector<std::uint8_t> first = nirNetworkBytes(net, w);
    QThread::msleep(1100);
    QVERIFY(nirNetworkBytes(net, w) == first);
}

void TestNir::roundTripWithoutBias()
{
    NetworkConfig net;
    net.layerSizes = {20, 8, 3};
    net.bias = false;
    const std::vector<Matrix> w = randomWeights(net, 3);
    const NirNetwork back = parseNirNetwork(nirNetworkBytes(net, w), "nobias.nir");
    QCOMPARE(back.network.bias, false);
    QVERIFY(sameBits(back.weights, w));
}

void TestNir::refusesHostileFiles()
{
    auto refusal = [](const std::string &path) -> QString {
        try {
            loadNirNetwork(path);
        } catch (const NirError &e) {
            return QString::fromUtf8(e.what());
        }
        return QStringLiteral("(accepted)");
    };
    const std::string folder = dir_.path().toStdString();
    verifyOneLine(refusal(folder), "folder");
    const std::string fifo = folder + "/fifo.nir";
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    verifyOneLine(refusal(fifo), "FIFO");
    verifyOneLine(refusal(folder + "/missing.nir"), "missing.nir");

    NetworkConfig net;
    net.layerSizes = {10, 4, 2};
    std::vector<Matrix> w = randomWeights(net, 1);
    const std::vector<std::uint8_t> good = nirNetworkBytes(net, w);
    QVERIFY_THROWS_EXCEPTION(NirError, parseNirNetwork({good.begin(), good.begin() + 100}, "short.nir"));
    try {
        parseNirNetwork({good.begin(), good.begin() + static_cast<long>(good.size() / 2)}, "half.nir");
        QFAIL("a truncated file was accepted");
    } catch (const NirError &e) {
        verifyOneLine(QString::fromUtf8(e.what()), "half.nir: ");
    }
    std::vector<std::uint8_t> text(good.size(), 'x');
    try {
        parseNirNetwork(text, "text.nir");
        QFAIL("a text file was accepted");
    } catch (const NirError &e) {
        verifyOneLine(QString::fromUtf8(e.what()), "not an HDF5 file");
    }
    // Every prefix and a few corrupted bytes: refused or read, never a crash.
    for (std::size_t n = 0; n < good.size(); n += 97) {
        try {
            parseNirNetwork({good.begin(), good.begin() + static_cast<long>(n)}, "prefix.nir");
        } catch (const NirError &) {
        }
    }
    for (std::size_t at = 64; at < good.size(); at += 211) {
        std::vector<std::uint8_t> bad = good;
        bad[at] ^= 0x5a;
        try {
            parseNirNetwork(bad, "flipped.nir");
        } catch (const NirError &) {
        }
    }
    // Non-finite weights are named with their node.
    w[1](2, 1) = std::numeric_limits<double>::quiet_NaN();
    try {
        parseNirNetwork(nirNetworkBytes(net, w), "nan.nir");
        QFAIL("a NaN weight was accepted");
    } catch (const NirError &e) {
        verifyOneLine(QString::fromUtf8(e.what()), "node 'affine2' (Affine): weight[1, 2] is nan");
    }
    w[1](2, 1) = 0;
    w[0](3, 2) = std::numeric_limits<double>::infinity();
    try {
        parseNirNetwork(nirNetworkBytes(net, w), "inf.nir");
        QFAIL("an infinite weight was accepted");
    } catch (const NirError &e) {
        verifyOneLine(QString::fromUtf8(e.what()), "node 'affine1' (Affine): weight[2, 3] is inf");
    }
    // The memory check comes before the weights are allocated.
    w[0](3, 2) = 0;
    const std::vector<std::uint8_t> ok = nirNetworkBytes(net, w);
    ::setenv("FIRSTSPIKE_MEMORY_LIMIT", "2k", 1);
    QString message;
    try {
        parseNirNetwork(ok, "small.nir");
    } catch (const NirError &e) {
        message = QString::fromUtf8(e.what());
    }
    ::unsetenv("FIRSTSPIKE_MEMORY_LIMIT");
    verifyOneLine(message, "small.nir");
    QVERIFY2(message.contains("available"), qPrintable(message));
}

void TestNir::refusesWhatItCannotRun()
{
    const QString python = pythonWithH5py();
    if (python.isEmpty())
        QSKIP("python3 with h5py and numpy not found (scripts/deps.sh installs python3-h5py and python3-numpy)");
    NetworkConfig net;
    net.layerSizes = {12, 6, 3};
    const std::string path = dir_.filePath("small.nir").toStdString();
    saveNirNetwork(path, net, randomWeights(net, 5));
    const QString bad = dir_.filePath("bad");
    QVERIFY(QDir().mkpath(bad));
    const Result made = run(python, {scriptPath(), "make-bad", bad, QString::fromStdString(path)});
    QVERIFY2(made.exitCode == 0, qPrintable(made.out + made.err));
    const std::pair<const char *, const char *> cases[] = {
        {"cubalif", "node 'li1' (CubaLIF): its membrane leaks"},
        {"conv2d", "node 'conv' (Conv2d): Firstspike's layers are fully connected"},
        {"missing-edge", "node 'if2' (IF) has no outgoing edge"},
        {"wrong-shape", "node 'affine2' (Affine): weight is 3 x 5 but its input has 6 neurons"},
        {"nan-weight", "node 'affine1' (Affine): weight[0, 5] is nan"},
        {"leaky-li", "node 'li2' (LI): tau[0] = 5"}};
    for (const auto &[file, phrase] : cases) {
        const std::string p = (bad + "/" + file + ".nir").toStdString();
        QString message = QStringLiteral("(accepted)");
        try {
            loadNirNetwork(p);
        } catch (const NirError &e) {
            message = QString::fromUtf8(e.what());
        }
        verifyOneLine(message, QString::fromLatin1(phrase));
    }
}

void TestNir::independentReaderAgrees()
{
    const QString python = pythonWithH5py();
    if (python.isEmpty())
        QSKIP("python3 with h5py and numpy not found (scripts/deps.sh installs python3-h5py and python3-numpy)");
    const QString cli = cliPath();
    if (!QFileInfo(cli).isExecutable())
        QSKIP("firstspike-cli is not built next to this test (build the firstspike-cli target)");
    auto path = [this](const char *name) { return dir_.filePath(QString::fromLatin1(name)); };
    auto ok = [](const Result &r) { return r.exitCode == 0; };
    Result r = run(cli, {"train", "--layers", "784-64-10", "--epochs", "1", "--train-limit", "1500", "--threads", "1",
                         "--save", path("run.fsck")});
    QVERIFY2(ok(r), qPrintable(r.err));
    r = run(cli, {"export", "--what", "nir", "--checkpoint", path("run.fsck"), "--out", path("run.nir")});
    QVERIFY2(ok(r), qPrintable(r.err));
    r = run(cli, {"export", "--what", "spikes", "--format", "json", "--checkpoint", path("run.fsck"), "--sample", "0",
                  "--count", "100", "--out", path("app.json")});
    QVERIFY2(ok(r), qPrintable(r.err));
    r = run(python, {scriptPath(), "graph", path("run.nir"), path("app.json"), imagesPath(), "100"});
    QVERIFY2(ok(r), qPrintable(r.out + r.err));

    // Recorded spikes as NIR event data, the same samples.
    r = run(cli, {"export", "--what", "spikes-nir", "--checkpoint", path("run.fsck"), "--sample", "0", "--count", "100",
                  "--out", path("events.nir")});
    QVERIFY2(ok(r), qPrintable(r.err));
    r = run(python, {scriptPath(), "events", path("events.nir"), path("app.json")});
    QVERIFY2(ok(r), qPrintable(r.out + r.err));

    // Import: the checkpoint made from the NIR file holds the same bits and classifies the same.
    r = run(cli, {"import", "--nir", path("run.nir"), "--out", path("back.fsck")});
    QVERIFY2(ok(r), qPrintable(r.err));
    QVERIFY(sameBits(loadCheckpoint(path("back.fsck").toStdString()).weights,
                     loadCheckpoint(path("run.fsck").toStdString()).weights));
    const Result a = run(cli, {"eval", "--checkpoint", path("run.fsck"), "--threads", "1"});
    const Result b = run(cli, {"eval", "--nir", path("run.nir"), "--threads", "1"});
    QVERIFY2(ok(a) && ok(b), qPrintable(a.err + b.err));
    QCOMPARE(b.out.section(':', 1), a.out.section(':', 1));
    // A refused file: one line, exit 1.
    QFile junk(path("junk.nir"));
    QVERIFY(junk.open(QIODevice::WriteOnly));
    junk.write("not hdf5");
    junk.close();
    r = run(cli, {"eval", "--nir", path("junk.nir")});
    QCOMPARE(r.exitCode, 1);
    verifyOneLine(r.err, "not an HDF5 file");
}

QTEST_GUILESS_MAIN(TestNir)
#include "tst_nir.moc"
