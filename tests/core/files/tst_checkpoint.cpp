// Checkpoints: bit-exact round trip, corruption and foreign files detected, atomic saves,
// and resuming from a checkpoint continues exactly like an uninterrupted run.

#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/data/IdxReader.h"
#include "core/training/Trainer.h"

#include <QtTest>

#include <cstring>
#include <fstream>

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
            case 0: c.training.augmentShift = 1 << 30; phrase = "augmentation shift"; break;
            case 1: c.network.encoding.latencyScale = -2.0; phrase = "latency scale"; break;
            case 2: c.network.maxSpikeTime = std::numeric_limits<double>::quiet_NaN(); phrase = "horizon"; break;
            case 3: c.training.batchSize = 0; phrase = "batch size"; break;
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
