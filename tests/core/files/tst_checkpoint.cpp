// Checkpoints: bit-exact round trip, corruption and foreign files detected, atomic saves,
// and resuming from a checkpoint continues exactly like an uninterrupted run.

#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/common/MemoryBudget.h"
#include "core/training/SettingsLimits.h"
#include "core/data/IdxReader.h"
#include "core/training/Trainer.h"

#include <QtTest>

#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include <sys/stat.h>
#include <sys/types.h>

using namespace firstspike;

namespace {

std::shared_ptr<const DataSplit> smallData()
{
    static std::shared_ptr<const DataSplit> data = [] {
        const DataSplit full = loadEmbeddedMnist();
        auto d = std::make_shared<DataSplit>();
        d->source = full.source;
        std::vector<int> train(300), test(100);
        for (int i = 0; i < 300; ++i)
            train[i] = i;
        for (int i = 0; i < 100; ++i)
            test[i] = i;
        d->train = full.train.subset(train, "train300");
        d->test = full.test.subset(test, "test100");
        return std::shared_ptr<const DataSplit>(d);
    }();
    return data;
}

NetworkConfig smallNet()
{
    NetworkConfig n;
    n.layerSizes = {784, 40, 10};
    return n;
}

TrainConfig smallTraining()
{
    TrainConfig t;
    t.epochs = 3;
    t.batchSize = 10;
    t.threads = 2;
    t.seed = 7;
    t.validationFraction = 0.2;
    return t;
}

bool bitEqual(const std::vector<Matrix> &a, const std::vector<Matrix> &b)
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

std::vector<std::uint8_t> readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray b = f.readAll();
    return std::vector<std::uint8_t>(b.begin(), b.end());
}


// A checkpoint of the given architecture with every matrix list filled (weights, both Adam
// moments, best weights) with small finite values, built without a trainer.
Checkpoint syntheticCheckpoint(const std::vector<int> &sizes, bool bias = true, bool withMoments = true)
{
    Checkpoint c;
    c.network.layerSizes = sizes;
    c.network.bias = bias;
    c.dataSource = "embedded";
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
        Matrix w(sizes[l] + (bias ? 1 : 0), sizes[l + 1]);
        for (Eigen::Index i = 0; i < w.size(); ++i)
            w.data()[i] = 0.01 * static_cast<double>(i % 17) - 0.05;
        c.weights.push_back(w);
        c.bestWeights.push_back(w);
        if (withMoments) {
            c.adamFirstMoment.push_back(w * 0.1);
            c.adamSecondMoment.push_back(w.cwiseAbs() * 0.01);
        }
    }
    return c;
}

// The CheckpointError message of deserialising c, or "" when it loads.
std::string refusalOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const CheckpointError &e) {
        return e.what();
    } catch (const std::exception &e) {
        return std::string("<not a CheckpointError: ") + e.what() + ">";
    }
    return {};
}

} // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT

private slots:
    void roundTripIsBitExact()
    {
        Trainer trainer(smallNet(), smallTraining(), smallData());
        trainer.train();
        const Checkpoint c = makeCheckpoint(trainer);
        QTemporaryDir dir;
        const std::string path = dir.filePath("run.fsck").toStdString();
        saveCheckpoint(c, path);
        const Checkpoint back = loadCheckpoint(path);
        QVERIFY(bitEqual(c.weights, back.weights));
        QVERIFY(bitEqual(c.adamFirstMoment, back.adamFirstMoment));
        QVERIFY(bitEqual(c.adamSecondMoment, back.adamSecondMoment));
        QVERIFY(bitEqual(c.bestWeights, back.bestWeights));
        QCOMPARE(back.history.size(), c.history.size());
        QCOMPARE(back.history.back().testAccuracy, c.history.back().testAccuracy);
        QCOMPARE(back.network.layerSizes, c.network.layerSizes);
        QCOMPARE(back.training.seed, c.training.seed);
        QCOMPARE(back.optimizerStep, c.optimizerStep);
        // Serialising what was read gives the same bytes.
        QVERIFY(serializeCheckpoint(back) == readAll(dir.filePath("run.fsck")));
    }

    void everyFlippedByteIsDetected()
    {
        Trainer trainer(smallNet(), smallTraining(), smallData());
        trainer.trainBatch();
        const std::vector<std::uint8_t> bytes = serializeCheckpoint(makeCheckpoint(trainer));
        // Flip one bit at many positions spread over the file: header, payload and checksum.
        int detected = 0, tried = 0;
        for (std::size_t pos = 0; pos < bytes.size(); pos += std::max<std::size_t>(1, bytes.size() / 200)) {
            std::vector<std::uint8_t> corrupt = bytes;
            corrupt[pos] ^= 0x10;
            ++tried;
            try {
                deserializeCheckpoint(corrupt, "corrupt.fsck");
            } catch (const CheckpointError &e) {
                ++detected;
                QVERIFY2(std::string(e.what()).rfind("corrupt.fsck: ", 0) == 0, e.what());
            }
        }
        QCOMPARE(detected, tried);
        std::vector<std::uint8_t> last = bytes;
        last.back() ^= 1;
        QVERIFY_THROWS_EXCEPTION(CheckpointError, deserializeCheckpoint(last, "x"));
    }

    void foreignTruncatedAndEmptyFilesGiveClearErrors()
    {
        QTemporaryDir dir;
        auto expectError = [&](const QByteArray &content, const char *phrase) {
            const QString path = dir.filePath("bad.fsck");
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(content);
            f.close();
            try {
                loadCheckpoint(path.toStdString());
                QFAIL("no error");
            } catch (const CheckpointError &e) {
                const std::string msg = e.what();
                QVERIFY2(msg.find(path.toStdString()) != std::string::npos, e.what());
                QVERIFY2(msg.find(phrase) != std::string::npos, e.what());
            }
        };
        expectError(QByteArray("\x89PNG\r\n\x1a\n0000000000000000", 24), "not a Firstspike checkpoint");
        expectError(QByteArray(), "not a Firstspike checkpoint");
        Trainer trainer(smallNet(), smallTraining(), smallData());
        const std::vector<std::uint8_t> bytes = serializeCheckpoint(makeCheckpoint(trainer));
        QByteArray good(reinterpret_cast<const char *>(bytes.data()), static_cast<int>(bytes.size()));
        expectError(good.left(good.size() / 2), "truncated");
        QByteArray future = good;
        future[8] = 99; // format version 99
        expectError(future, "version 99 is not supported");
        try {
            loadCheckpoint(dir.filePath("missing.fsck").toStdString());
            QFAIL("no error");
        } catch (const CheckpointError &e) {
            QVERIFY(std::string(e.what()).find("missing.fsck: cannot open") != std::string::npos);
        }
    }

    void interruptedSaveKeepsThePreviousFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("keep.fsck").toStdString();
        Trainer trainer(smallNet(), smallTraining(), smallData());
        saveCheckpoint(makeCheckpoint(trainer), path);
        const std::vector<std::uint8_t> before = readAll(QString::fromStdString(path));
        trainer.trainBatch();
        const std::vector<std::uint8_t> next = serializeCheckpoint(makeCheckpoint(trainer));
        QVERIFY(next != before);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, writeFileAtomically(path, next, static_cast<long long>(next.size() / 2)));
        QVERIFY(readAll(QString::fromStdString(path)) == before);
        QVERIFY(loadCheckpoint(path).weights.size() == 2);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files).size(), 1); // no temporary left behind
        // A folder that cannot be written gives an error naming the file.
        try {
            saveCheckpoint(makeCheckpoint(trainer), dir.filePath("no/such/dir/x.fsck").toStdString());
            QFAIL("no error");
        } catch (const CheckpointError &e) {
            QVERIFY(std::string(e.what()).find("x.fsck") != std::string::npos);
        }
    }

    void resumeContinuesExactly()
    {
        TrainConfig tc = smallTraining();
        tc.epochs = 2;
        Trainer uninterrupted(smallNet(), tc, smallData());
        uninterrupted.train();

        Trainer first(smallNet(), tc, smallData());
        while (!first.epochComplete())
            first.trainBatch();
        first.finishEpoch();
        const Checkpoint mid = deserializeCheckpoint(serializeCheckpoint(makeCheckpoint(first)), "mid");
        Trainer resumed(smallNet(), tc, smallData());
        restoreTrainer(resumed, mid);
        resumed.train();
        QVERIFY(bitEqual(uninterrupted.network().allWeights(), resumed.network().allWeights()));
        QCOMPARE(resumed.history().size(), std::size_t(2));
        QCOMPARE(resumed.history()[1].testAccuracy, uninterrupted.history()[1].testAccuracy);
    }

    void resumeWithAWideLayerContinuesExactly()
    {
        // 80 hidden neurons on 2 threads: the layer is scanned and updated by column blocks, and
        // the optimiser keeps its moments in column panels, written to the checkpoint and read
        // back in row order (that the order is the rows': tst_training,
        // threadCountsAgreeUpToRounding and momentPanelsKeepTheValuesAndTheBits).
        NetworkConfig net;
        net.layerSizes = {784, 80, 10};
        TrainConfig tc = smallTraining();
        tc.epochs = 2;
        Trainer uninterrupted(net, tc, smallData());
        uninterrupted.train();
        Trainer first(net, tc, smallData());
        while (!first.epochComplete())
            first.trainBatch();
        first.finishEpoch();
        const Checkpoint mid = deserializeCheckpoint(serializeCheckpoint(makeCheckpoint(first)), "mid");
        Trainer resumed(net, tc, smallData());
        restoreTrainer(resumed, mid);
        QVERIFY(bitEqual(resumed.optimizer().firstMoment(), mid.adamFirstMoment));
        QVERIFY(bitEqual(resumed.optimizer().secondMoment(), mid.adamSecondMoment));
        resumed.train();
        QVERIFY(bitEqual(uninterrupted.network().allWeights(), resumed.network().allWeights()));
        QVERIFY(bitEqual(uninterrupted.optimizer().firstMoment(), resumed.optimizer().firstMoment()));

        const Matrix &m = mid.adamSecondMoment[0];
        QVERIFY(m.rows() == 785 && m.cols() == 80);
        QVERIFY((m.array() > 0.0).count() > m.size() / 2); // a real state, not zeros
    }

    void resumeWithoutValidationContinuesExactly()
    {
        // Model selection falls back to training accuracy; it must survive a resume.
        TrainConfig tc = smallTraining();
        tc.epochs = 4;
        tc.validationFraction = 0.0;
        tc.patience = 2;
        Trainer uninterrupted(smallNet(), tc, smallData());
        uninterrupted.train();
        Trainer first(smallNet(), tc, smallData());
        for (int e = 0; e < 2; ++e) {
            while (!first.epochComplete())
                first.trainBatch();
            first.finishEpoch();
        }
        Trainer resumed(smallNet(), tc, smallData());
        restoreTrainer(resumed, deserializeCheckpoint(serializeCheckpoint(makeCheckpoint(first)), "mid"));
        resumed.train();
        QCOMPARE(resumed.bestEpoch(), uninterrupted.bestEpoch());
        QCOMPARE(resumed.history().size(), uninterrupted.history().size());
        QVERIFY(bitEqual(uninterrupted.network().allWeights(), resumed.network().allWeights()));
    }

    void implausibleValuesBehindAValidChecksumAreRefused()
    {
        Trainer trainer(smallNet(), smallTraining(), smallData());
        for (int field = 0; field < 4; ++field) {
            Checkpoint c = makeCheckpoint(trainer);
            const char *phrase = "";
            switch (field) {
            case 0: c.training.augmentShift = 1 << 30; phrase = "augment-shift = 1073741824 is outside [0, 27]"; break;
            case 1: c.network.encoding.latencyScale = -2.0; phrase = "latency-scale = -2 is outside [0, 700]"; break;
            case 2: c.network.maxSpikeTime = std::numeric_limits<double>::quiet_NaN(); phrase = "max-spike-time is not a finite number (nan)"; break;
            case 3: c.training.batchSize = 0; phrase = "batch = 0 is outside [1, 1000000]"; break;
            }
            try {
                deserializeCheckpoint(serializeCheckpoint(c), "odd.fsck");
                QFAIL(phrase);
            } catch (const CheckpointError &e) {
                QVERIFY2(std::string(e.what()).find(phrase) != std::string::npos, e.what());
                QVERIFY(std::string(e.what()).rfind("odd.fsck: ", 0) == 0);
            }
        }
    }

    // A FIFO given as a checkpoint is refused at once, naming it: nothing writes to it, so a read
    // would block forever (the ctest TIMEOUT would catch that). /dev/zero likewise, as a device.
    void fifoAndDeviceAsCheckpointAreRefusedWithoutBlocking()
    {
        QTemporaryDir dir;
        const QString fifo = dir.filePath("run.fsck");
        QVERIFY(::mkfifo(fifo.toLocal8Bit().constData(), 0600) == 0);
        const std::string message = refusalOf([&] { loadCheckpoint(fifo.toStdString()); });
        QCOMPARE(QString::fromStdString(message), fifo + ": is a FIFO (named pipe), not a checkpoint file");
        QCOMPARE(QString::fromStdString(refusalOf([] { loadCheckpoint("/dev/zero"); })),
                 QStringLiteral("/dev/zero: is a device, not a checkpoint file"));
        QCOMPARE(QString::fromStdString(refusalOf([&] { loadCheckpoint(dir.path().toStdString()); })),
                 dir.path() + ": is a folder, not a checkpoint file");
    }

    // NaN and infinities behind a valid checksum, in every matrix list, are refused naming the
    // list, the layer (from 1) and the row and column (from 0).
    void nonFiniteMatricesAreRefused()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        const std::vector<int> sizes{6, 9, 4};
        const Checkpoint good = syntheticCheckpoint(sizes);
        QVERIFY(refusalOf([&] { deserializeCheckpoint(serializeCheckpoint(good), "run.fsck"); }).empty());
        struct Case {
            std::function<void(Checkpoint &)> spoil;
            const char *message;
        };
        const std::vector<Case> cases{
            {[&](Checkpoint &c) { c.weights[0](3, 7) = nan; }, "run.fsck: weights of layer 1 contain NaN at row 3, column 7"},
            {[&](Checkpoint &c) { c.weights[1](9, 0) = -inf; }, "run.fsck: weights of layer 2 contain -Inf at row 9, column 0"},
            {[&](Checkpoint &c) { c.bestWeights[1](2, 3) = inf; },
             "run.fsck: best weights of layer 2 contain +Inf at row 2, column 3"},
            {[&](Checkpoint &c) { c.adamFirstMoment[0](0, 0) = nan; },
             "run.fsck: Adam first moments of layer 1 contain NaN at row 0, column 0"},
            {[&](Checkpoint &c) { c.adamSecondMoment[1](1, 2) = inf; },
             "run.fsck: Adam second moments of layer 2 contain +Inf at row 1, column 2"},
            {[&](Checkpoint &c) { c.adamFirstMoment[1](4, 1) = 1e300; },
             "run.fsck: Adam first moments of layer 2 contain 1e+300 at row 4, column 1, beyond the single-precision "
             "range the optimiser keeps them in"},
            {[&](Checkpoint &c) { c.adamSecondMoment[0](5, 5) = -1.0; },
             "run.fsck: Adam second moments of layer 1 contain -1 at row 5, column 5, but a second moment (a mean of "
             "squares) cannot be negative"},
        };
        for (const Case &k : cases) {
            Checkpoint c = good;
            k.spoil(c);
            // serializeCheckpoint computes the CRC over the spoiled payload: only the values are wrong.
            QCOMPARE(QString::fromStdString(refusalOf([&] { deserializeCheckpoint(serializeCheckpoint(c), "run.fsck"); })),
                     QString::fromLatin1(k.message));
        }
        // Through a real file as well.
        QTemporaryDir dir;
        Checkpoint c = good;
        c.weights[0](3, 7) = nan;
        const std::string path = dir.filePath("nan.fsck").toStdString();
        writeFileAtomically(path, serializeCheckpoint(c));
        QCOMPARE(refusalOf([&] { loadCheckpoint(path); }), path + ": weights of layer 1 contain NaN at row 3, column 7");
    }

    // Absurd settings behind a valid checksum are refused with the setting's name and range, the
    // same ranges the command line, the GUI and session files use (SettingsLimits.h).
    void absurdSettingsAreRefusedByName()
    {
        const Checkpoint good = syntheticCheckpoint({6, 9, 4});
        struct Case {
            std::function<void(Checkpoint &)> spoil;
            const char *message;
        };
        const std::vector<Case> cases{
            {[](Checkpoint &c) { c.network.threshold = -1e308; }, "odd.fsck: threshold = -1e+308 is outside [1e-12, 1e+12]"},
            {[](Checkpoint &c) { c.network.maxSpikeTime = 1e308; }, "odd.fsck: max-spike-time = 1e+308 is outside [0.001, 700]"},
            {[](Checkpoint &c) { c.training.optimizer.learningRate = 1e308; }, "odd.fsck: lr = 1e+308 is outside [0, 1000]"},
            {[](Checkpoint &c) { c.training.optimizer.lrDecay = std::numeric_limits<double>::infinity(); },
             "odd.fsck: lr-decay is not a finite number (inf)"},
            {[](Checkpoint &c) { c.network.encoding.binaryLateTime = -std::numeric_limits<double>::infinity(); },
             "odd.fsck: binary-late-time is not a finite number (-inf)"},
            {[](Checkpoint &c) { c.training.weightSumK = std::numeric_limits<double>::quiet_NaN(); },
             "odd.fsck: weight-sum-k is not a finite number (nan)"},
            {[](Checkpoint &c) { c.training.l2 = -1.0; }, "odd.fsck: l2 = -1 is outside [0, 1e+06]"},
            {[](Checkpoint &c) { c.training.initHigh = 1e300; }, "odd.fsck: init-low/init-high = 1e+300 is outside [-1e+06, 1e+06]"},
            {[](Checkpoint &c) { c.training.optimizer.epsilon = 0.0; }, "odd.fsck: epsilon = 0 is outside [1e-300, 1]"},
            {[](Checkpoint &c) { c.training.threads = -3; }, "odd.fsck: threads = -3 is outside [0, 1024]"},
        };
        for (const Case &k : cases) {
            Checkpoint c = good;
            k.spoil(c);
            QCOMPARE(QString::fromStdString(refusalOf([&] { deserializeCheckpoint(serializeCheckpoint(c), "odd.fsck"); })),
                     QString::fromLatin1(k.message));
        }
    }

    // What loaded before the limits still loads: a threshold of 1e-9 or 1e9 and a horizon of 650
    // (a session file could set them), --epochs 0, and init-low above init-high (the command line
    // took both).
    void settingsThatLoadedBeforeStillLoad()
    {
        const Checkpoint good = syntheticCheckpoint({6, 9, 4});
        for (const auto &spoil : std::vector<std::function<void(Checkpoint &)>>{
                 [](Checkpoint &c) { c.network.threshold = 1e-9; },
                 [](Checkpoint &c) { c.network.threshold = 1e9; },
                 [](Checkpoint &c) { c.network.maxSpikeTime = 650.0; },
                 [](Checkpoint &c) { c.network.encoding.latencyScale = 650.0; },
                 [](Checkpoint &c) { c.training.epochs = 0; },
                 [](Checkpoint &c) { c.training.initLow = 5.0; c.training.initHigh = 1.0; }}) {
            Checkpoint c = good;
            spoil(c);
            QCOMPARE(QString::fromStdString(refusalOf([&] { deserializeCheckpoint(serializeCheckpoint(c), "old.fsck"); })),
                     QString());
        }
    }

    // The declared network's matrices are checked against the memory available before any is
    // allocated, naming the architecture and the figure (FIRSTSPIKE_MEMORY_LIMIT stands in for a
    // small machine); the file itself likewise before it is read.
    void checkpointLargerThanMemoryIsRefusedWithTheFigure()
    {
        const Checkpoint c = syntheticCheckpoint({784, 1, 30000}, true, false);
        const std::vector<std::uint8_t> bytes = serializeCheckpoint(c);
        QTemporaryDir dir;
        const std::string path = dir.filePath("wide.fsck").toStdString();
        writeFileAtomically(path, bytes);
        QVERIFY(refusalOf([&] { loadCheckpoint(path); }).empty());

        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "500k");
        const auto restore = qScopeGuard([] { qunsetenv("FIRSTSPIKE_MEMORY_LIMIT"); });
        // Weights and best weights: 2 x (785 x 1 + 2 x 30000) doubles.
        QCOMPARE(QString::fromStdString(refusalOf([&] { deserializeCheckpoint(bytes, "wide.fsck"); })),
                 QStringLiteral("wide.fsck: loading the matrices of 784-1-30000 (2 copies of 60785 weights) needs "
                             "972.6 kB, 500.0 kB available"));
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "100k");
        QCOMPARE(QString::fromStdString(refusalOf([&] { loadCheckpoint(path); })),
                 QString::fromStdString(path + ": reading the checkpoint file needs " + formatBytes(bytes.size())
                                        + ", 100.0 kB available"));
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "10M");
        QVERIFY(refusalOf([&] { loadCheckpoint(path); }).empty());
    }

    // Every network `train` accepts can be saved and loaded again: the layer limits of the
    // checkpoint reader are the command line's (kMaxLayerEntries entries of up to kMaxLayerSize).
    void largestAcceptedNetworksRoundTrip()
    {
        std::vector<int> deep(kMaxLayerEntries, 2);
        std::string text = "2";
        for (int i = 1; i < kMaxLayerEntries; ++i)
            text += "-2";
        std::vector<int> parsed;
        QVERIFY(parseLayerSizes(text, parsed));
        QCOMPARE(parsed, deep);
        const Checkpoint c = syntheticCheckpoint(deep);
        const Checkpoint back = deserializeCheckpoint(serializeCheckpoint(c), "deep.fsck");
        QCOMPARE(back.network.layerSizes, deep);
        QVERIFY(bitEqual(back.weights, c.weights));
        QVERIFY(bitEqual(back.adamSecondMoment, c.adamSecondMoment));

        // One entry more: train cannot take it, so no checkpoint can hold it.
        QVERIFY(!parseLayerSizes(text + "-2", parsed));
        QCOMPARE(layerSizesProblem(std::vector<int>(kMaxLayerEntries + 1, 2)),
                 std::string("65 layers exceed the limit of 64"));
        QCOMPARE(refusalOf([&] { deserializeCheckpoint(serializeCheckpoint(syntheticCheckpoint(std::vector<int>(65, 2))), "x"); }),
                 std::string("x: implausible number of layers: 65"));

        // The widest layer (kMaxLayerSize inputs) round-trips too.
        QVERIFY(parseLayerSizes("1000000-1", parsed));
        const Checkpoint wide = syntheticCheckpoint({kMaxLayerSize, 1}, false, false);
        QCOMPARE(deserializeCheckpoint(serializeCheckpoint(wide), "wide.fsck").weights[0].rows(), Eigen::Index(kMaxLayerSize));
        QVERIFY(!parseLayerSizes("1000001-1", parsed));
    }

    void architectureMismatchIsRefused()
    {
        Trainer a(smallNet(), smallTraining(), smallData());
        const Checkpoint c = makeCheckpoint(a);
        NetworkConfig other = smallNet();
        other.layerSizes = {784, 30, 10};
        Trainer b(other, smallTraining(), smallData());
        QVERIFY_THROWS_EXCEPTION(CheckpointError, restoreTrainer(b, c));
    }
};

QTEST_APPLESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
