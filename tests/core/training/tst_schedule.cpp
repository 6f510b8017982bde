// The learning-rate schedules (docs/MODEL.md, "Training"): the exponential decay as it always
// was, the cosine schedule with its warm-up, and the Trainer sizing the cosine to the run.

#include "core/data/IdxReader.h"
#include "core/files/Checkpoint.h"
#include "core/training/Optimizer.h"
#include "core/training/Trainer.h"

#include <QtTest>

#include <algorithm>
#include <cmath>

#include <zlib.h>

using namespace firstspike;

class TestSchedule : public QObject {
    Q_OBJECT

private slots:
    void exponentialIsUnchanged()
    {
        OptimizerConfig c;
        c.learningRate = 2e-3;
        c.lrDecay = 1e-4;
        c.lrFloor = 1e-5;
        for (long long step : {0LL, 1LL, 999LL, 54000LL})
            QCOMPARE(learningRateAt(c, step), 2e-3 * std::exp(-1e-4 * static_cast<double>(step)) + 1e-5);
    }

    void cosineWarmsUpThenFallsToTheFloor()
    {
        OptimizerConfig c;
        c.schedule = LrSchedule::Cosine;
        c.learningRate = 1e-3;
        c.lrFloor = 1e-5;
        c.warmupSteps = 100;
        c.totalSteps = 1100;
        QCOMPARE(learningRateAt(c, 0), 1e-3 / 100); // the first step at lr0 / W
        QCOMPARE(learningRateAt(c, 49), 1e-3 * 50 / 100);
        QCOMPARE(learningRateAt(c, 99), 1e-3);
        QCOMPARE(learningRateAt(c, 100), 1e-3); // the cosine starts at lr0
        QVERIFY(std::abs(learningRateAt(c, 600) - (1e-3 + 1e-5) / 2) < 1e-15); // half-way: the mean
        QCOMPARE(learningRateAt(c, 1100), 1e-5);
        QCOMPARE(learningRateAt(c, 5000), 1e-5); // past the planned end: stays at the floor
        double previous = learningRateAt(c, 100);
        for (long long step = 101; step <= 1100; ++step) {
            const double lr = learningRateAt(c, step);
            QVERIFY2(lr <= previous, qPrintable(QString("step %1").arg(step)));
            previous = lr;
        }
        c.warmupSteps = 0; // no warm-up: the first step at lr0
        QCOMPARE(learningRateAt(c, 0), 1e-3);
    }

    void expRunStretchesTheDecayOverTheRun()
    {
        OptimizerConfig c; // the default schedule
        QCOMPARE(c.schedule, LrSchedule::ExponentialOverRun);
        c.learningRate = 1e-3;
        c.lrDecay = 1e-4;
        c.lrFloor = 0.0;
        c.totalSteps = 162000; // 30 epochs of 54,000 digits: 5 / T = 3.1e-5 < 1e-4
        QCOMPARE(learningRateAt(c, 0), 1e-3);
        QCOMPARE(learningRateAt(c, 81000), 1e-3 * std::exp(-kRunDecay / 162000.0 * 81000.0));
        QVERIFY(std::abs(learningRateAt(c, 162000) - 1e-3 * std::exp(-kRunDecay)) < 1e-18);
        c.totalSteps = 21600; // 30 epochs of 7,197 digits: 5 / T = 2.3e-4 > 1e-4, the per-step decay
        QCOMPARE(learningRateAt(c, 1000), 1e-3 * std::exp(-1e-4 * 1000.0));
        c.totalSteps = 0; // outside a Trainer: the per-step decay
        QCOMPARE(learningRateAt(c, 1000), 1e-3 * std::exp(-1e-4 * 1000.0));
    }

    void parsesNames()
    {
        LrSchedule s = LrSchedule::Exponential;
        QVERIFY(parseSchedule("cosine", s));
        QCOMPARE(s, LrSchedule::Cosine);
        QVERIFY(parseSchedule("exp", s));
        QCOMPARE(s, LrSchedule::Exponential);
        QVERIFY(!parseSchedule("linear", s));
        QCOMPARE(scheduleName(LrSchedule::Cosine), std::string("cosine"));
    }

    // The Trainer plans the cosine over its own run: T = epochs x mini-batches per epoch, the
    // warm-up in epochs; the last step of the last epoch runs at (nearly) the floor.
    void trainerSizesTheCosineToTheRun()
    {
        static const DataSplit full = loadEmbeddedMnist();
        auto d = std::make_shared<DataSplit>();
        std::vector<int> train(200), test(20);
        for (int i = 0; i < 200; ++i)
            train[i] = i;
        for (int i = 0; i < 20; ++i)
            test[i] = i;
        d->train = full.train.subset(train, "train");
        d->test = full.test.subset(test, "test");
        NetworkConfig net;
        net.layerSizes = {784, 20, 10};
        TrainConfig tc;
        tc.epochs = 3;
        tc.batchSize = 10;
        tc.threads = 1;
        tc.validationFraction = 0.1; // 180 training digits: 18 mini-batches an epoch
        tc.warmupEpochs = 0.5;
        tc.optimizer.schedule = LrSchedule::Cosine;
        tc.optimizer.learningRate = 1e-3;
        tc.optimizer.lrFloor = 0.0;
        Trainer trainer(net, tc, d);
        QCOMPARE(trainer.batchesPerEpoch(), 18);
        QCOMPARE(trainer.optimizer().config().totalSteps, 54LL);
        QCOMPARE(trainer.optimizer().config().warmupSteps, 9LL);
        std::vector<double> rates;
        trainer.train([&](const EpochMetrics &m) {
            rates.push_back(m.learningRate);
            return true;
        });
        QCOMPARE(rates.size(), std::size_t(3));
        QVERIFY(rates[0] > rates[1] && rates[1] > rates[2]);
        QCOMPARE(rates[2], 0.0); // after the 54th step: the end of the cosine
        // A live batch-size change re-plans the run's steps at the new size.
        OptimizerConfig o = trainer.config().optimizer;
        trainer.setLiveConfig(20, o);
        QCOMPARE(trainer.optimizer().config().totalSteps, 27LL);
    }

    // The schedule and the new costs travel in checkpoints (format version 2), and a version-1
    // file still loads, with the settings of then (exponential, no warm-up, no decision cost).
    void checkpointCarriesTheScheduleAndReadsVersion1()
    {
        Checkpoint c;
        c.network.layerSizes = {3, 2, 2};
        c.dataSource = "a-distinctive-data-source";
        c.training.optimizer.schedule = LrSchedule::Cosine;
        c.training.warmupEpochs = 0.25;
        c.training.decisionTimeCost = 0.05;
        c.weights = {Matrix::Constant(4, 2, 0.5), Matrix::Constant(3, 2, 0.25)};
        const std::vector<std::uint8_t> v2 = serializeCheckpoint(c);
        const Checkpoint back = deserializeCheckpoint(v2, "v2.fsck");
        QCOMPARE(back.training.optimizer.schedule, LrSchedule::Cosine);
        QCOMPARE(back.training.warmupEpochs, 0.25);
        QCOMPARE(back.training.decisionTimeCost, 0.05);

        // The same run as version 1 wrote it: no schedule fields after augmentShift.
        Checkpoint old = c;
        old.training.optimizer.schedule = LrSchedule::Exponential;
        old.training.warmupEpochs = 0.0;
        old.training.decisionTimeCost = 0.0;
        std::vector<std::uint8_t> bytes = serializeCheckpoint(old);
        // Payload layout: ... augmentShift (i32) | schedule u8 | warm-up f64 | decision f64 | data source ...
        const std::size_t fields = 1 + 8 + 8;
        const std::string source = old.dataSource;
        const std::size_t sourceAt = findV2Fields(bytes, source);
        QVERIFY(sourceAt > 0);
        bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(sourceAt - fields), bytes.begin() + static_cast<std::ptrdiff_t>(sourceAt));
        rewriteHeader(bytes, 1);
        const Checkpoint v1 = deserializeCheckpoint(bytes, "v1.fsck");
        QCOMPARE(v1.training.optimizer.schedule, LrSchedule::Exponential);
        QCOMPARE(v1.training.warmupEpochs, 0.0);
        QCOMPARE(v1.training.decisionTimeCost, 0.0);
        QCOMPARE(v1.weights[1], old.weights[1]);
        // Written again, it is the current version with the same content.
        QCOMPARE(serializeCheckpoint(v1), serializeCheckpoint(old));
    }

private:
    // Offset of the data source field (u32 length, then its bytes), which follows the version-2
    // fields.
    static std::size_t findV2Fields(const std::vector<std::uint8_t> &bytes, const std::string &source)
    {
        const auto it = std::search(bytes.begin() + 20, bytes.end(), source.begin(), source.end());
        return it == bytes.end() ? 0 : static_cast<std::size_t>(it - bytes.begin()) - 4;
    }

    static void rewriteHeader(std::vector<std::uint8_t> &bytes, std::uint32_t version)
    {
        for (int i = 0; i < 4; ++i)
            bytes[8 + i] = static_cast<std::uint8_t>(version >> (8 * i));
        const std::uint64_t payload = bytes.size() - 24;
        for (int i = 0; i < 8; ++i)
            bytes[12 + i] = static_cast<std::uint8_t>(payload >> (8 * i));
        const std::uint32_t crc = static_cast<std::uint32_t>(crc32(crc32(0L, Z_NULL, 0), bytes.data() + 20, static_cast<uInt>(payload)));
        for (int i = 0; i < 4; ++i)
            bytes[bytes.size() - 4 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    }
};

QTEST_GUILESS_MAIN(TestSchedule)
#include "tst_schedule.moc"
