// The bench's spiking trainer: from a checkpoint it measures that network (its weights, and its
// optimiser's state carried on by the timed mini-batches), and every throughput it reports is a
// measurement of work done.

#include "core/benchmark/Throughput.h"
#include "core/files/Checkpoint.h"
#include "tests/common/EmbeddedSubset.h"

#include <QtTest>

#include <cmath>

using namespace firstspike;

namespace {

NetworkConfig smallNetwork()
{
    NetworkConfig net;
    net.layerSizes = {784, 32, 10};
    return net;
}

} // namespace

class TestThroughput : public QObject {
    Q_OBJECT

private slots:
    void startsFromTheCheckpointsTrainer()
    {
        const auto data = test::embeddedSubset(200, 50);
        TrainConfig tc;
        tc.threads = 1;
        tc.validationFraction = 0.0;
        tc.seed = 5;
        tc.epochs = 2;
        tc.l2 = 2e-3;
        tc.optimizer.schedule = LrSchedule::Cosine;
        Trainer trained(smallNetwork(), tc, data);
        while (!trained.epochComplete())
            trained.trainBatch();
        trained.finishEpoch(); // half way down the cosine
        for (int b = 0; b < 3; ++b)
            trained.trainBatch();
        const Checkpoint ck = makeCheckpoint(trained);
        QVERIFY(ck.optimizerStep > 0);
        QCOMPARE(ck.history.size(), std::size_t{1});
        const double lastRate = ck.history.back().learningRate;
        QVERIFY(lastRate > 0.0 && lastRate < 0.9 * tc.optimizer.learningRate);

        // A different architecture asked for: the checkpoint's network is the one measured.
        NetworkConfig other;
        other.layerSizes = {784, 16, 10};
        SnnBench bench(other, data, 1, 10, 0, &ck);
        QCOMPARE(bench.trainer().network().config().layerSizes, ck.network.layerSizes);
        QCOMPARE(bench.trainer().network().allWeights().size(), ck.weights.size());
        for (std::size_t l = 0; l < ck.weights.size(); ++l)
            QVERIFY(bench.trainer().network().allWeights()[l] == ck.weights[l]);
        QCOMPARE(bench.trainer().optimizer().stepCount(), ck.optimizerStep);
        QVERIFY(bench.trainer().optimizer().firstMoment() == ck.adamFirstMoment);
        QVERIFY(bench.trainer().optimizer().secondMoment() == ck.adamSecondMoment);
        // The checkpoint's training settings, at the rate where its run left off, held there.
        QCOMPARE(bench.trainer().config().l2, 2e-3);
        const OptimizerConfig &oc = bench.trainer().optimizer().config();
        QCOMPARE(oc.kind, ck.training.optimizer.kind);
        QCOMPARE(learningRateAt(oc, ck.optimizerStep), lastRate);
        QCOMPARE(learningRateAt(oc, ck.optimizerStep + 1000), lastRate);

        // The timed mini-batches go on from there: the same step as the checkpoint's trainer.
        const Throughput t = bench.train(1);
        QCOMPARE(t.samples, 10);
        QVERIFY(t.samplesPerSecond() > 0.0 && std::isfinite(t.samplesPerSecond()));
        QCOMPARE(bench.trainer().optimizer().stepCount(), ck.optimizerStep + 1);
        QVERIFY(!(bench.trainer().network().allWeights()[0] == ck.weights[0]));
        for (const Throughput &r : {bench.infer(20), bench.classify(20), bench.classifySingle(20)}) {
            QCOMPARE(r.samples, 20);
            QVERIFY(r.samplesPerSecond() > 0.0 && std::isfinite(r.samplesPerSecond()));
        }
    }

    void startsFreshWithoutACheckpoint()
    {
        const auto data = test::embeddedSubset(200, 50);
        SnnBench bench(smallNetwork(), data, 1, 10, 3);
        QCOMPARE(bench.trainer().network().config().layerSizes, smallNetwork().layerSizes);
        QCOMPARE(bench.trainer().optimizer().stepCount(), 3LL);
    }
};

QTEST_GUILESS_MAIN(TestThroughput)
#include "tst_throughput.moc"
