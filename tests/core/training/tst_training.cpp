// Training on a few hundred embedded digits: the loss drops, accuracy beats chance by a wide
// margin, and a fixed seed gives bit-identical weights (for a given thread count).

#include "core/data/IdxReader.h"
#include "core/common/Random.h"
#include "core/parallel/ThreadPool.h"
#include "core/training/GradientRow.h"
#include "core/training/Trainer.h"

#include "tests/common/EmbeddedSubset.h"

#include <QtTest>

#include <cstring>
#include <limits>
#include <thread>
#include <chrono>

using namespace firstspike;

namespace {

std::shared_ptr<const DataSplit> data(int trainCount, int testCount)
{
    return test::embeddedSubset(trainCount, testCount);
}

bool bitEqual(const std::vector<Matrix> &a, const std::vector<Matrix> &b)
{
    for (std::size_t l = 0; l < a.size(); ++l)
        if (a[l].size() != b[l].size() || std::memcmp(a[l].data(), b[l].data(), sizeof(double) * a[l].size()) != 0)
            return false;
    return a.size() == b.size();
}

} // namespace

class TestTraining : public QObject {
    Q_OBJECT

private slots:
    void learnsAFewHundredDigits()
    {
        NetworkConfig net;
        net.layerSizes = {784, 100, 10};
        TrainConfig tc;
        tc.epochs = 6;
        tc.validationFraction = 0.0;
        tc.threads = 2;
        Trainer trainer(net, tc, data(600, 300));
        const EvalResult before = trainer.evaluate(trainer.data().test);
        trainer.train();
        const auto &h = trainer.history();
        QCOMPARE(h.size(), std::size_t(6));
        qInfo("test accuracy %.1f%% -> %.1f%%, train loss %.3f -> %.3f", 100 * before.accuracy(), 100 * h.back().testAccuracy,
              h.front().trainLoss, h.back().trainLoss);
        QVERIFY(h.back().trainLoss < 0.6 * h.front().trainLoss);
        QVERIFY(h.back().testAccuracy > 0.60); // chance is 0.10
        QVERIFY(h.back().trainAccuracy > 0.75);
        QVERIFY(h.back().samplesPerSecond > 0);
        QVERIFY(h.back().meanDecisionTime > 0 && h.back().meanDecisionTime < net.maxSpikeTime);
        QVERIFY(h.back().hiddenFiredBeforeDecision >= 0 && h.back().hiddenFiredBeforeDecision <= 1);
        QCOMPARE(static_cast<int>(h.back().meanSilentPerLayer.size()), 2);
    }

    void sameSeedSameWeights()
    {
        NetworkConfig net;
        net.layerSizes = {784, 30, 10};
        for (int threads : {1, 2}) {
            TrainConfig tc;
            tc.epochs = 2;
            tc.threads = threads;
            tc.seed = 42;
            tc.augmentShift = 1;
            Trainer a(net, tc, data(200, 50));
            Trainer b(net, tc, data(200, 50));
            a.train();
            b.train();
            QVERIFY2(bitEqual(a.network().allWeights(), b.network().allWeights()), qPrintable(QString("threads %1").arg(threads)));
            tc.seed = 43;
            Trainer c(net, tc, data(200, 50));
            c.train();
            QVERIFY(!bitEqual(a.network().allWeights(), c.network().allWeights()));
        }
    }

    void threadCountsAgreeUpToRounding()
    {
        // The per-thread sums of the gradient records, the broadcast rows and the costs are
        // combined in one pass inside the update, along different code paths for 0, 1, 2 and
        // more per-thread sums per weight row; on 2+ threads, layers with 32 neurons per thread
        // or more are scanned and updated by column blocks (784-200-10: one such layer on 2 and
        // 3 threads; 784-130-130-10: two on 2 threads, the second ordered in between). Every
        // thread count must take the same steps up to summation order. SGD with a large rate
        // (Adam's normalised step would hide a wrong gradient scale); Adam on a layer updated by
        // column blocks, whose moments are then stored in column panels (compared in row order).
        struct Case {
            std::vector<int> sizes;
            OptimizerKind kind;
        };
        for (const Case &c : {Case{{784, 40, 10}, OptimizerKind::Adam}, Case{{784, 200, 10}, OptimizerKind::Sgd},
                              Case{{784, 130, 130, 10}, OptimizerKind::Sgd}, Case{{784, 200, 10}, OptimizerKind::Adam}}) {
            NetworkConfig net;
            net.layerSizes = c.sizes;
            TrainConfig tc;
            tc.batchSize = 12;
            tc.augmentShift = 0;
            tc.optimizer.kind = c.kind;
            if (c.kind == OptimizerKind::Sgd)
                tc.optimizer.learningRate = 0.05;
            std::vector<Matrix> reference, referenceMoment;
            for (int threads : {1, 2, 3, 5}) {
                tc.threads = threads;
                Trainer t(net, tc, data(120, 10));
                for (int b = 0; b < 4; ++b)
                    t.trainBatch();
                if (threads == 1) {
                    reference = t.network().allWeights();
                    referenceMoment = t.optimizer().secondMoment();
                    double moved = 0.0;
                    Trainer fresh(net, tc, data(120, 10));
                    for (std::size_t l = 0; l < reference.size(); ++l)
                        moved = std::max(moved, (reference[l] - fresh.network().weights(static_cast<int>(l))).cwiseAbs().maxCoeff());
                    QVERIFY2(moved > 1e-4, qPrintable(QString("the weights barely moved (%1)").arg(moved)));
                    continue;
                }
                for (std::size_t l = 0; l < reference.size(); ++l) {
                    const Matrix &w = t.network().weights(static_cast<int>(l));
                    const double diff = (w - reference[l]).cwiseAbs().maxCoeff();
                    QVERIFY2(diff < 1e-9, qPrintable(QString("%1 threads %2 layer %3: max weight difference %4")
                                                         .arg(c.sizes[1]).arg(threads).arg(l).arg(diff)));
                    if (c.kind == OptimizerKind::Adam) { // float moments: agree to float precision
                        const Matrix v = t.optimizer().secondMoment()[l];
                        const double scale = referenceMoment[l].cwiseAbs().maxCoeff();
                        QVERIFY(scale > 0.0);
                        const double vdiff = (v - referenceMoment[l]).cwiseAbs().maxCoeff();
                        QVERIFY2(vdiff <= 1e-5 * scale, qPrintable(QString("%1 threads %2 layer %3: second moments differ by %4 of %5")
                                                                      .arg(c.sizes[1]).arg(threads).arg(l).arg(vdiff).arg(scale)));
                    }
                }
            }
        }
    }

    void weightPanelsFollowTheNetwork()
    {
        // On 2+ threads layer 0's weights are trained in the trainer's column panels and copied
        // into the network when it is looked at; the panels are reloaded after the network may
        // have been written, and the global-norm update runs on the network's rows. A run that
        // writes weights through network() (both threads' columns), evaluates, switches the
        // global-norm update on and off and reads the network between steps must take the same
        // steps on 2 and 3 threads as on 1 thread (no panels), up to summation order.
        // SGD with a large rate (a stale weight shows in full) and Adam (its moments in panels
        // too).
        NetworkConfig net;
        net.layerSizes = {784, 200, 10};
        for (OptimizerKind kind : {OptimizerKind::Sgd, OptimizerKind::Adam}) {
            TrainConfig tc;
            tc.batchSize = 12;
            tc.augmentShift = 0;
            tc.optimizer.kind = kind;
            if (kind == OptimizerKind::Sgd)
                tc.optimizer.learningRate = 0.05;
            std::vector<Matrix> reference;
            std::vector<double> referenceLosses;
            for (int threads : {1, 2, 3}) {
                tc.threads = threads;
                Trainer t(net, tc, data(120, 10));
                std::vector<double> losses;
                t.trainBatch();
                t.trainBatch();
                losses.push_back(t.evaluate(t.data().test).loss);
                const Matrix held = std::as_const(t).network().weights(0); // a copy: references go stale
                t.network().weights(0)(3, 5) += 0.7;     // thread 0's columns
                t.network().weights(0)(700, 150) -= 0.4; // the last thread's
                losses.push_back(t.evaluate(t.data().test).loss);
                t.trainBatch();
                QVERIFY((std::as_const(t).network().weights(0) - held).cwiseAbs().maxCoeff() > 0.1);
                OptimizerConfig o = t.optimizer().config();
                o.normalizeGradient = true;
                t.setLiveConfig(tc.batchSize, o);
                t.trainBatch();
                losses.push_back(t.evaluate(t.data().test).loss);
                o.normalizeGradient = false;
                t.setLiveConfig(tc.batchSize, o);
                t.trainBatch();
                losses.push_back(t.evaluate(t.data().test).loss);
                t.trainBatch();
                const std::vector<Matrix> weights = std::as_const(t).network().allWeights();
                if (threads == 1) {
                    reference = weights;
                    referenceLosses = losses;
                    continue;
                }
                for (std::size_t l = 0; l < weights.size(); ++l) {
                    const double diff = (weights[l] - reference[l]).cwiseAbs().maxCoeff();
                    QVERIFY2(diff < 1e-9, qPrintable(QString("%1 threads layer %2: max weight difference %3")
                                                         .arg(threads).arg(l).arg(diff)));
                }
                for (std::size_t k = 0; k < losses.size(); ++k)
                    QVERIFY2(std::abs(losses[k] - referenceLosses[k]) < 1e-9,
                             qPrintable(QString("%1 threads evaluation %2: loss %3 vs %4")
                                            .arg(threads).arg(k).arg(losses[k]).arg(referenceLosses[k])));
            }
        }
    }

    void dynamicBlocksGiveTheSameBits()
    {
        // The update passes hand out row blocks to whichever thread is free, so which thread
        // updates which rows changes from run to run; the weights must not (no per-thread
        // accumulator may enter the result). 21 blocks per pass, 3 threads on this 2-core
        // machine, both update paths. The mapping is left to the scheduler, so this catches a
        // mapping-dependent result often, not always (a per-thread norm mutant: 2 runs of 3).
        NetworkConfig net;
        net.layerSizes = {784, 400, 10};
        for (bool normalize : {false, true}) {
            TrainConfig tc;
            tc.threads = 3;
            tc.batchSize = 9;
            tc.optimizer.normalizeGradient = normalize;
            // SGD: a summation-order change shows in the weights (Adam's float step hides most).
            tc.optimizer.kind = OptimizerKind::Sgd;
            tc.optimizer.learningRate = 0.05;
            Trainer a(net, tc, data(90, 10));
            Trainer b(net, tc, data(90, 10));
            for (int i = 0; i < 10; ++i) {
                a.trainBatch();
                b.trainBatch();
            }
            QVERIFY2(bitEqual(a.network().allWeights(), b.network().allWeights()),
                     normalize ? "global-norm update" : "one-pass update");
        }
    }

    void forEachBlockRunsEveryBlockOnce()
    {
        for (int threads : {1, 2, 4}) {
            ThreadPool pool(threads);
            for (int blocks : {0, 1, 3, 257}) {
                std::vector<std::atomic<int>> runs(static_cast<std::size_t>(blocks));
                std::atomic<int> badThread{0};
                pool.forEachBlock(blocks, [&](int b, int t) {
                    runs[static_cast<std::size_t>(b)].fetch_add(1);
                    if (t < 0 || t >= threads)
                        badThread.fetch_add(1);
                });
                for (int b = 0; b < blocks; ++b)
                    QCOMPARE(runs[static_cast<std::size_t>(b)].load(), 1);
                QCOMPARE(badThread.load(), 0);
            }
            // An exception in a block reaches the caller; the pool stays usable.
            QVERIFY_THROWS_EXCEPTION(std::runtime_error, pool.forEachBlock(100, [](int b, int) {
                if (b == 37)
                    throw std::runtime_error("block 37");
            }));
            std::atomic<int> count{0};
            pool.forEachBlock(10, [&](int, int) { count.fetch_add(1); });
            QCOMPARE(count.load(), 10);
        }
    }

    void forEachBlockWithHomeRangesRunsEveryBlockOnce()
    {
        for (int threads : {1, 2, 3}) {
            ThreadPool pool(threads);
            std::vector<std::vector<int>> homes;
            std::vector<int> even(static_cast<std::size_t>(threads) + 1), empty(static_cast<std::size_t>(threads) + 1, 0);
            for (int t = 0; t <= threads; ++t)
                even[static_cast<std::size_t>(t)] = 41 * t / threads;
            homes.push_back(even);
            homes.push_back(empty); // no blocks at all
            std::vector<int> lopsided(static_cast<std::size_t>(threads) + 1, 0); // all blocks at home on the last thread
            lopsided.back() = 17;
            homes.push_back(lopsided);
            for (const std::vector<int> &home : homes) {
                std::vector<std::atomic<int>> runs(static_cast<std::size_t>(home.back()));
                std::atomic<int> badThread{0};
                pool.forEachBlock(home, [&](int b, int t) {
                    runs[static_cast<std::size_t>(b)].fetch_add(1);
                    if (t < 0 || t >= threads)
                        badThread.fetch_add(1);
                });
                for (int b = 0; b < home.back(); ++b)
                    QCOMPARE(runs[static_cast<std::size_t>(b)].load(), 1);
                QCOMPARE(badThread.load(), 0);
            }
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                     pool.forEachBlock(std::vector<int>(static_cast<std::size_t>(threads) + 2, 0), [](int, int) {}));
            std::vector<int> descending(static_cast<std::size_t>(threads) + 1, 0);
            descending[0] = 0;
            descending[1] = 9;
            descending.back() = 4;
            if (threads > 1)
                QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pool.forEachBlock(descending, [](int, int) {}));
            QVERIFY_THROWS_EXCEPTION(std::runtime_error, pool.forEachBlock(even, [](int b, int) {
                if (b == 20)
                    throw std::runtime_error("block 20");
            }));
            std::atomic<int> count{0};
            pool.forEachBlock(even, [&](int, int) { count.fetch_add(1); });
            QCOMPARE(count.load(), 41);
        }
    }

    void runTakesEveryTaskOnceWhicheverThreadIsFree()
    {
        // run(): every task index exactly once per call, never two at once with the same index,
        // whichever thread takes it; 3 threads on this 2-core machine, many short calls, so
        // workers wake late, sleep through calls and find tasks already taken.
        for (int threads : {1, 2, 3}) {
            ThreadPool pool(threads);
            std::vector<std::atomic<int>> running(static_cast<std::size_t>(threads)), runs(static_cast<std::size_t>(threads));
            std::atomic<int> overlaps{0};
            long long takenByOthers = 0;
            for (int call = 0; call < 3000; ++call) {
                std::vector<std::thread::id> ranOn(static_cast<std::size_t>(threads));
                for (std::atomic<int> &r : runs)
                    r.store(0);
                pool.run([&](int t) {
                    if (running[static_cast<std::size_t>(t)].fetch_add(1) != 0)
                        overlaps.fetch_add(1);
                    runs[static_cast<std::size_t>(t)].fetch_add(1);
                    ranOn[static_cast<std::size_t>(t)] = std::this_thread::get_id();
                    for (int spin = 0; spin < (call * 7 + t * 13) % 50; ++spin)
                        std::this_thread::yield();
                    running[static_cast<std::size_t>(t)].fetch_sub(1);
                });
                for (int t = 0; t < threads; ++t) {
                    QCOMPARE(runs[static_cast<std::size_t>(t)].load(), 1);
                    takenByOthers += t > 0 && ranOn[static_cast<std::size_t>(t)] == std::this_thread::get_id();
                }
                if (call % 300 == 0) // the workers fall asleep
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            QCOMPARE(overlaps.load(), 0);
            // A sleeping worker's task goes to the caller, which has finished its own (nothing)
            // long before the worker wakes: calls after the workers fell asleep, until one
            // shows it (within seconds on any machine, one core or many).
            QElapsedTimer clock;
            clock.start();
            for (int tries = 0; threads > 1 && takenByOthers == 0 && clock.elapsed() < 20000; ++tries) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                std::vector<std::thread::id> ranOn(static_cast<std::size_t>(threads));
                pool.run([&](int t) { ranOn[static_cast<std::size_t>(t)] = std::this_thread::get_id(); });
                for (int t = 1; t < threads; ++t)
                    takenByOthers += ranOn[static_cast<std::size_t>(t)] == std::this_thread::get_id();
            }
            if (threads > 1)
                QVERIFY2(takenByOthers > 0, "no task was ever taken by the calling thread");
            qInfo("%d threads: %lld tasks of the workers taken by the calling thread", threads, takenByOthers);

            // Exceptions: the lowest task index's, after every task ran.
            std::atomic<int> ran{0};
            try {
                pool.run([&](int t) {
                    ran.fetch_add(1);
                    if (t >= 1)
                        throw std::runtime_error("task " + std::to_string(t));
                });
                QVERIFY(threads == 1);
            } catch (const std::runtime_error &e) {
                QCOMPARE(QString(e.what()), QStringLiteral("task 1"));
            }
            QCOMPARE(ran.load(), threads);

            // runOnEachThread(): task t on thread t, all at once (each waits for all to start).
            std::atomic<int> started{0};
            std::vector<std::thread::id> ids(static_cast<std::size_t>(threads));
            pool.runOnEachThread([&](int t) {
                ids[static_cast<std::size_t>(t)] = std::this_thread::get_id();
                started.fetch_add(1);
                while (started.load() < threads)
                    std::this_thread::yield();
            });
            QCOMPARE(ids[0], std::this_thread::get_id());
            for (int a = 0; a < threads; ++a)
                for (int b = a + 1; b < threads; ++b)
                    QVERIFY(ids[static_cast<std::size_t>(a)] != ids[static_cast<std::size_t>(b)]);
        }
    }

    void updateRefillsTheColumnSumsAsPrepareWould()
    {
        // The one-pass update sums each block of rows as it writes it; the forward pass then
        // uses those sums. They must be prepare()'s, bit for bit, on any thread count.
        // 784-300-10: the hidden layer is updated by column blocks on 2 and 3 threads; 784-60-10:
        // by row blocks handed to different threads, whose sums are added in row order.
        for (const std::vector<int> &sizes : {std::vector<int>{784, 300, 10}, std::vector<int>{784, 60, 10}})
        for (int threads : {1, 2, 3}) {
            NetworkConfig net;
            net.layerSizes = sizes;
            TrainConfig tc;
            tc.threads = threads;
            tc.batchSize = 7;
            Trainer t(net, tc, data(60, 10));
            for (int b = 0; b < 3; ++b)
                t.trainBatch();
            QVERIFY(t.network().prepared());
            const std::vector<Vector> fromUpdate = t.network().cachedColumnSums();
            for (int l = 0; l < t.network().layerCount(); ++l) {
                Vector plain;
                SpikeNetwork::columnSums(t.network().weights(l), plain);
                QVERIFY2(std::memcmp(plain.data(), fromUpdate[static_cast<std::size_t>(l)].data(), sizeof(double) * plain.size()) == 0,
                         qPrintable(QString("threads %1 layer %2").arg(threads).arg(l)));
                QVERIFY(std::abs(plain.sum() - t.network().weights(l).sum()) < 1e-9 * t.network().weights(l).cwiseAbs().sum());
            }
            SpikeNetwork copy = t.network();
            ThreadPool pool(threads);
            copy.prepare(pool);
            for (int l = 0; l < copy.layerCount(); ++l)
                QVERIFY(std::memcmp(copy.cachedColumnSums()[static_cast<std::size_t>(l)].data(),
                                    fromUpdate[static_cast<std::size_t>(l)].data(),
                                    sizeof(double) * fromUpdate[static_cast<std::size_t>(l)].size())
                        == 0);
        }
    }

    void adamKernelGivesTheSameBitsAtEveryWidth()
    {
        // Optimizer::updateRow has a vector body (AVX-512 where built for it) and a plain loop
        // for the rest of a row. Whole rows (vector body) and one column at a time (plain loop)
        // must give the same weights and moments, for ordinary, huge, tiny, zero and NaN
        // gradients and scales that push the moments to float's limits.
        Random rng(77);
        const int cols = 37 * 16 + 5;
        std::vector<Matrix> w{Matrix(3, cols)};
        for (Eigen::Index k = 0; k < w[0].size(); ++k)
            w[0].data()[k] = rng.uniform(-1.0, 1.0);
        Matrix wColumns = w[0];
        OptimizerConfig adam;
        Optimizer whole(adam, w), byColumn(adam, w);
        int clamped = 0, flushed = 0;
        for (int step = 0; step < 60; ++step) {
            const double scale = step % 3 == 0 ? 1.0 : std::pow(10.0, rng.uniform(-40.0, 40.0));
            std::vector<double> g(static_cast<std::size_t>(cols));
            for (double &x : g) {
                x = std::pow(10.0, rng.uniform(-45.0, 45.0)) * (rng.below(2) ? 1.0 : -1.0);
                if (rng.below(40) == 0)
                    x = 0.0;
                if (rng.below(300) == 0)
                    x = std::numeric_limits<double>::quiet_NaN();
            }
            if (step >= 50) // a run of zero gradients: moments decay through float's bottom
                std::fill(g.begin(), g.end(), 0.0);
            whole.beginStep();
            byColumn.beginStep();
            // The new weights summed as the update writes them (the trainer's column sums), in
            // the vector body and in the plain loop: the same as summing them afterwards.
            std::vector<double> sumWhole(static_cast<std::size_t>(cols), 0.5), sumByColumn = sumWhole;
            for (Eigen::Index r = 0; r < 3; ++r) {
                whole.updateRow(0, w[0], r, 0, cols, g.data(), scale, sumWhole.data());
                for (Eigen::Index j = 0; j < cols; ++j)
                    byColumn.updateRow(0, wColumns, r, j, j + 1, g.data() + j, scale, sumByColumn.data() + j);
            }
            std::vector<double> expected(static_cast<std::size_t>(cols), 0.5);
            for (Eigen::Index r = 0; r < 3; ++r)
                for (Eigen::Index j = 0; j < cols; ++j)
                    expected[static_cast<std::size_t>(j)] += wColumns(r, j);
            QVERIFY(std::memcmp(sumWhole.data(), expected.data(), sizeof(double) * expected.size()) == 0);
            QVERIFY(std::memcmp(sumByColumn.data(), expected.data(), sizeof(double) * expected.size()) == 0);
            QVERIFY2(std::memcmp(w[0].data(), wColumns.data(), sizeof(double) * wColumns.size()) == 0,
                     qPrintable(QString("step %1: weights differ").arg(step)));
            const Matrix m1 = whole.firstMoment()[0], m2 = byColumn.firstMoment()[0];
            const Matrix v1 = whole.secondMoment()[0], v2 = byColumn.secondMoment()[0];
            QVERIFY(std::memcmp(m1.data(), m2.data(), sizeof(double) * m1.size()) == 0);
            QVERIFY(std::memcmp(v1.data(), v2.data(), sizeof(double) * v1.size()) == 0);
            clamped += static_cast<int>((v1.array() == static_cast<double>(std::numeric_limits<float>::max())).count());
            flushed += static_cast<int>((m1.array() == 0.0 && m2.array() == 0.0).count());
        }
        QVERIFY(clamped > 100); // the limits were reached, in the vector body too
        QVERIFY(flushed > 100);
    }

    void fusedRowStepGivesTheSameBits()
    {
        if (!adamRowStepIsVectorised())
            QSKIP("this build has no AVX-512: the trainer uses the row-buffer form only");
        // The trainer's update forms a row's gradient from the samples' gradient records and
        // applies Adam 16 columns at a time (adamRowFromGradient, in builds with AVX-512; the
        // others use the plain form). It must give the bits of the plain form:
        // each run of terms accumulated into a row (LayerGradientRecord's accumulate, the first
        // term assigned), the runs added to the broadcast row in order, scaled, the costs
        // added, then Optimizer::updateRow. Records with and without a fold row, cuts above, at
        // and below the terms' groups (masked terms), one to three runs, widths with and
        // without a partial last step (10: the output layer's rows), slices from the records'
        // first column and from a later one (a column block's). Every other row has no terms
        // but zero to three threads' dense rows (GradientRow::dense, the output layer's form),
        // added to the broadcast row in order.
        Random rng(2024);
        for (const int n : {10, 16, 37, 200, 800}) {
            const int recordCount = 6, rows = 5, groups = 9;
            const int first = n == 37 ? 3 : n == 200 ? 16 : 0; // the slices' first column
            const int width = first + n;
            std::vector<LayerGradientRecord> records(static_cast<std::size_t>(recordCount));
            for (int r = 0; r < recordCount; ++r) {
                LayerGradientRecord &rec = records[static_cast<std::size_t>(r)];
                rec.G.resize(width);
                rec.GZ.resize(width);
                rec.U.resize(width);
                rec.cut.resize(static_cast<std::size_t>(width));
                rec.folded = r % 2 == 0;
                for (int j = 0; j < width; ++j) {
                    const bool active = rng.below(8) != 0;
                    rec.G[j] = active ? rng.uniform(-2.0, 2.0) : 0.0;
                    rec.GZ[j] = active ? rec.G[j] * rng.uniform(1.0, 3.0) : 0.0;
                    rec.U[j] = rec.folded && rng.below(3) == 0 ? rng.uniform(-1.0, 1.0) : 0.0;
                    rec.cut[static_cast<std::size_t>(j)] = active ? static_cast<int>(rng.below(groups)) : -1;
                }
            }
            std::vector<double> base(static_cast<std::size_t>(n)), hinge(static_cast<std::size_t>(n));
            for (int j = 0; j < n; ++j) {
                base[static_cast<std::size_t>(j)] = rng.uniform(-1.0, 1.0);
                hinge[static_cast<std::size_t>(j)] = rng.below(4) == 0 ? -0.1 : 0.0;
            }
            std::vector<Matrix> w{Matrix(rows, n)};
            for (Eigen::Index k = 0; k < w[0].size(); ++k)
                w[0].data()[k] = rng.uniform(-1.0, 1.0);
            std::vector<Matrix> wPlain = w;
            OptimizerConfig adam;
            Optimizer fused(adam, w), plain(adam, w);
            const double invBatch = 1.0 / 6, l2 = 1e-3;
            for (int step = 0; step < 3; ++step) {
                fused.beginStep();
                plain.beginStep();
                std::vector<double> sumFused(static_cast<std::size_t>(n), 0.25), sumPlain = sumFused;
                for (int i = 0; i < rows; ++i) {
                    // This row's terms: runs of one to three records' entries; or dense rows.
                    std::vector<GradientTerm> terms;
                    std::vector<int> runs;
                    const bool denseRow = i % 2 == 1;
                    std::vector<std::vector<double>> dense(denseRow ? rng.below(4) : 0);
                    std::vector<const double *> densePointers;
                    for (std::vector<double> &d : dense) {
                        d.resize(static_cast<std::size_t>(n));
                        for (double &x : d)
                            x = rng.below(5) == 0 ? -0.0 : rng.uniform(-1.0, 1.0);
                        densePointers.push_back(d.data());
                    }
                    const int runCount = denseRow ? 0 : 1 + static_cast<int>(rng.below(3));
                    for (int k = 0; k < runCount; ++k) {
                        runs.push_back(static_cast<int>(terms.size()));
                        const int count = 1 + static_cast<int>(rng.below(3));
                        for (int q = 0; q < count; ++q)
                            terms.push_back({records[rng.below(recordCount)].slice(first), rng.uniform(1.0, 3.0),
                                             static_cast<int>(rng.below(groups))});
                    }
                    runs.push_back(static_cast<int>(terms.size()));
                    // The plain form.
                    std::vector<double> g(static_cast<std::size_t>(n)), acc(static_cast<std::size_t>(n));
                    std::vector<double> r = base;
                    for (int k = 0; k < runCount; ++k) {
                        for (int q = runs[static_cast<std::size_t>(k)]; q < runs[static_cast<std::size_t>(k) + 1]; ++q) {
                            const GradientTerm &t = terms[static_cast<std::size_t>(q)];
                            t.slice.accumulate(t.z, t.group, n, acc.data(), q == runs[static_cast<std::size_t>(k)]);
                        }
                        for (int j = 0; j < n; ++j)
                            r[static_cast<std::size_t>(j)] += acc[static_cast<std::size_t>(j)];
                    }
                    for (const std::vector<double> &d : dense)
                        for (int j = 0; j < n; ++j)
                            r[static_cast<std::size_t>(j)] += d[static_cast<std::size_t>(j)];
                    for (int j = 0; j < n; ++j)
                        g[static_cast<std::size_t>(j)] = std::fma(l2, wPlain[0](i, j),
                                                                  std::fma(r[static_cast<std::size_t>(j)], invBatch,
                                                                           hinge[static_cast<std::size_t>(j)]));
                    // The gradient as the fused form computes it, compared before Adam (whose
                    // float moments would hide a last-bit difference).
                    GradientRow row{terms.data(), runs.data(), runCount, base.data(), hinge.data(), invBatch, l2};
                    row.dense = densePointers.data();
                    row.denseCount = static_cast<int>(densePointers.size());
                    std::vector<double> gFused(static_cast<std::size_t>(n));
                    rowGradientVectors(row, n, wPlain[0].row(i).data(), gFused.data());
                    QVERIFY2(std::memcmp(g.data(), gFused.data(), sizeof(double) * g.size()) == 0,
                             qPrintable(QString("width %1, step %2, row %3: gradients differ").arg(n).arg(step).arg(i)));
                    plain.updateRow(0, wPlain[0], i, 0, n, g.data(), 1.0, sumPlain.data());
                    // The fused form, as the trainer runs it.
                    float *m = nullptr, *v = nullptr;
                    Eigen::Index stride = 0;
                    QVERIFY(fused.momentRows(0, 0, n, m, v, stride));
                    double *wRow = w[0].row(i).data();
                    adamRowFromGradient(row, n, wRow, m + i * stride, v + i * stride, sumFused.data(),
                                        fused.adamConstants(1.0));
                }
                QVERIFY2(bitEqual(w, wPlain), qPrintable(QString("width %1, step %2: weights differ").arg(n).arg(step)));
                QVERIFY(std::memcmp(sumFused.data(), sumPlain.data(), sizeof(double) * sumPlain.size()) == 0);
                QVERIFY(bitEqual(fused.firstMoment(), plain.firstMoment()));
                QVERIFY(bitEqual(fused.secondMoment(), plain.secondMoment()));
            }
        }
    }

    void momentPanelsKeepTheValuesAndTheBits()
    {
        // Optimizer::setColumnPanels changes where the moments are stored, never what they are:
        // the same weights and moments, bit for bit, whatever the panels and however a row is
        // cut into pieces (pieces within a panel, across panels, whole rows).
        Random rng(91);
        const int rows = 5, cols = 37 * 16 + 5;
        std::vector<Matrix> w{Matrix(rows, cols)};
        for (Eigen::Index k = 0; k < w[0].size(); ++k)
            w[0].data()[k] = rng.uniform(-1.0, 1.0);
        Matrix wPanels = w[0];
        OptimizerConfig adam;
        Optimizer plain(adam, w), panels(adam, w);
        panels.setColumnPanels(0, {0, 16, 100, 311, cols});
        for (int step = 0; step < 20; ++step) {
            if (step == 10) { // moved to other panels mid-run: the values move with them
                panels.setColumnPanels(0, {0, 200, cols});
                QVERIFY(std::memcmp(plain.firstMoment()[0].data(), panels.firstMoment()[0].data(),
                                    sizeof(double) * w[0].size()) == 0);
            }
            Matrix g(rows, cols);
            for (Eigen::Index k = 0; k < g.size(); ++k)
                g.data()[k] = rng.uniform(-1.0, 1.0) * std::pow(10.0, rng.uniform(-3.0, 3.0));
            plain.beginStep();
            panels.beginStep();
            plain.updateRows(0, w[0], g, 0, rows, 1.0);
            for (Eigen::Index r = 0; r < rows; ++r) {
                std::vector<double> sums(static_cast<std::size_t>(cols), 0.0);
                Eigen::Index c = 0;
                while (c < cols) {
                    const Eigen::Index end = std::min<Eigen::Index>(cols, c + 1 + static_cast<Eigen::Index>(rng.below(150)));
                    panels.updateRow(0, wPanels, r, c, end, g.row(r).data() + c, 1.0, sums.data() + c);
                    c = end;
                }
                for (Eigen::Index j = 0; j < cols; ++j)
                    QCOMPARE(sums[static_cast<std::size_t>(j)], wPanels(r, j));
            }
            QVERIFY2(std::memcmp(w[0].data(), wPanels.data(), sizeof(double) * w[0].size()) == 0,
                     qPrintable(QString("step %1: weights differ").arg(step)));
            const Matrix m1 = plain.firstMoment()[0], m2 = panels.firstMoment()[0];
            const Matrix v1 = plain.secondMoment()[0], v2 = panels.secondMoment()[0];
            QVERIFY(std::memcmp(m1.data(), m2.data(), sizeof(double) * m1.size()) == 0);
            QVERIFY(std::memcmp(v1.data(), v2.data(), sizeof(double) * v1.size()) == 0);
            // A column range within one panel: row r's moments at m + r * stride (what the
            // trainer's fused update reads); a range across two panels has no such form.
            const std::pair<Eigen::Index, Eigen::Index> ranges[] = {{0, 16}, {16, 100}, {120, 200}, {311, cols}};
            for (const auto &[c0, c1] : ranges) {
                float *m = nullptr, *v = nullptr;
                Eigen::Index stride = 0;
                QVERIFY(panels.momentRows(0, c0, c1, m, v, stride));
                for (Eigen::Index r = 0; r < rows; ++r)
                    for (Eigen::Index j = c0; j < c1; ++j) {
                        QCOMPARE(static_cast<double>(m[r * stride + j - c0]), m1(r, j));
                        QCOMPARE(static_cast<double>(v[r * stride + j - c0]), v1(r, j));
                    }
            }
            float *m = nullptr, *v = nullptr;
            Eigen::Index stride = 0;
            QVERIFY(!panels.momentRows(0, 190, 320, m, v, stride));
        }
        // Moments set from outside (a checkpoint) land in the panels' layout.
        Optimizer restored(adam, w);
        restored.setColumnPanels(0, {0, 48, cols});
        restored.setMoments(plain.firstMoment(), plain.secondMoment());
        QVERIFY(std::memcmp(restored.secondMoment()[0].data(), plain.secondMoment()[0].data(),
                            sizeof(double) * w[0].size()) == 0);
        restored.setColumnPanels(0, {});
        QVERIFY(std::memcmp(restored.firstMoment()[0].data(), plain.firstMoment()[0].data(),
                            sizeof(double) * w[0].size()) == 0);
        // Bounds that do not cover the columns in ascending order are refused.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {0, 50, 40, cols}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {1, 50, cols}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {0, 50, cols + 1}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(1, {0, cols}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {1, cols}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {0, cols + 1}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, restored.setColumnPanels(0, {5}));
    }

    void moreThreadsThanSamplesInABatch()
    {
        // A thread with no sample in a mini-batch must still take part in the reduction.
        NetworkConfig net;
        net.layerSizes = {784, 20, 10};
        for (int batch : {1, 3}) {
            TrainConfig tc;
            tc.epochs = 1;
            tc.threads = 4;
            tc.batchSize = batch;
            Trainer a(net, tc, data(60, 20));
            Trainer b(net, tc, data(60, 20));
            a.train();
            b.train();
            QVERIFY(bitEqual(a.network().allWeights(), b.network().allWeights()));
            QVERIFY(a.network().weights(0).allFinite());
            QVERIFY(a.history().back().testAccuracy >= 0.0);
        }
    }

    void earlyStoppingRestoresTheBestValidationEpoch()
    {
        NetworkConfig net;
        net.layerSizes = {784, 30, 10};
        TrainConfig tc;
        tc.epochs = 8;
        tc.patience = 2;
        tc.threads = 2;
        tc.optimizer.learningRate = 0.05; // far too high: validation stops improving quickly
        Trainer t(net, tc, data(300, 50));
        t.train();
        QVERIFY(t.bestEpoch() >= 1);
        const auto &h = t.history();
        QVERIFY(static_cast<int>(h.size()) <= tc.epochs);
        if (static_cast<int>(h.size()) < tc.epochs)
            QCOMPARE(static_cast<int>(h.size()) - t.bestEpoch(), tc.patience);
        // The final weights are the best epoch's: validation accuracy matches its record.
        std::vector<int> val = t.validationIndices();
        const Dataset valSet = t.data().train.subset(val, "val");
        QCOMPARE(t.evaluate(valSet).accuracy(), h[t.bestEpoch() - 1].validationAccuracy);
    }

    void divergenceIsReportedNotHidden()
    {
        NetworkConfig net;
        net.layerSizes = {784, 20, 10};
        TrainConfig tc;
        tc.epochs = 1;
        tc.threads = 1;
        Trainer t(net, tc, data(50, 10));
        t.network().weights(0)(0, 0) = std::numeric_limits<double>::quiet_NaN();
        const std::vector<Matrix> before = t.network().allWeights();
        bool thrown = false;
        for (int i = 0; i < 5 && !thrown; ++i) {
            try {
                t.trainBatch();
            } catch (const DivergenceError &e) {
                thrown = true;
                QVERIFY(std::string(e.what()).find("diverged") != std::string::npos);
            }
        }
        QVERIFY(thrown);
    }

    void validationIsCarvedFromTrainingOnly()
    {
        NetworkConfig net;
        net.layerSizes = {784, 10, 10};
        TrainConfig tc;
        tc.validationFraction = 0.25;
        Trainer t(net, tc, data(400, 40));
        QCOMPARE(static_cast<int>(t.validationIndices().size()), 100);
        QCOMPARE(static_cast<int>(t.trainIndices().size()), 300);
        std::vector<int> all = t.trainIndices();
        all.insert(all.end(), t.validationIndices().begin(), t.validationIndices().end());
        std::sort(all.begin(), all.end());
        for (int i = 0; i < 400; ++i)
            QCOMPARE(all[i], i); // disjoint and complete
        QCOMPARE(t.epochSize(), 300);
    }

    void deepNetworkLearns()
    {
        NetworkConfig net;
        net.layerSizes = {784, 60, 40, 10}; // two hidden layers
        TrainConfig tc;
        tc.epochs = 5;
        tc.threads = 2;
        tc.validationFraction = 0.0;
        Trainer trainer(net, tc, data(600, 300));
        trainer.train();
        const auto &h = trainer.history();
        qInfo("Adam 784-60-40-10: test accuracy %.1f%%, train loss %.3f -> %.3f", 100 * h.back().testAccuracy,
              h.front().trainLoss, h.back().trainLoss);
        QVERIFY(h.back().testAccuracy > 0.6);
        QVERIFY(h.back().trainLoss < 0.6 * h.front().trainLoss);
        QCOMPARE(static_cast<int>(h.back().meanSilentPerLayer.size()), 3);
    }

    void sgdWithNormalisedGradientLearns()
    {
        NetworkConfig net;
        net.layerSizes = {784, 60, 10};
        TrainConfig tc;
        tc.epochs = 5;
        tc.threads = 2;
        tc.validationFraction = 0.0;
        tc.optimizer.kind = OptimizerKind::Sgd;
        tc.optimizer.normalizeGradient = true;
        tc.optimizer.learningRate = 0.5;
        tc.optimizer.lrDecay = 1e-4;
        tc.optimizer.lrFloor = 1e-3;
        Trainer trainer(net, tc, data(600, 300));
        trainer.train();
        const auto &h = trainer.history();
        qInfo("SGD 784-60-10: test accuracy %.1f%%, train loss %.3f -> %.3f", 100 * h.back().testAccuracy,
              h.front().trainLoss, h.back().trainLoss);
        QVERIFY(h.back().testAccuracy > 0.4);
        QVERIFY(h.back().trainLoss < 0.8 * h.front().trainLoss);
        QVERIFY(std::abs(trainer.optimizer().currentLearningRate()
                         - (0.5 * std::exp(-1e-4 * trainer.optimizer().stepCount()) + 1e-3)) < 1e-15);
    }

    void optimiserSteps()
    {
        // SGD with normalisation moves the weights by exactly lr along -g/|g|.
        std::vector<Matrix> w{Matrix::Zero(1, 2)};
        std::vector<Matrix> g{Matrix(1, 2)};
        g[0] << 3.0, 4.0;
        OptimizerConfig sgd;
        sgd.kind = OptimizerKind::Sgd;
        sgd.learningRate = 0.5;
        sgd.lrDecay = 0.0;
        sgd.normalizeGradient = true;
        Optimizer o(sgd, w);
        o.apply(w, g);
        QVERIFY(std::abs(w[0](0, 0) + 0.3) < 1e-15 && std::abs(w[0](0, 1) + 0.4) < 1e-15);
        // Adam's first bias-corrected step is lr * g / (|g| + eps): about lr in each coordinate.
        std::vector<Matrix> w2{Matrix::Zero(1, 2)};
        std::vector<Matrix> g2{Matrix(1, 2)};
        g2[0] << 1e-3, -20.0;
        OptimizerConfig adam;
        adam.learningRate = 0.01;
        adam.lrDecay = 0.0;
        Optimizer a(adam, w2);
        a.apply(w2, g2);
        QVERIFY(std::abs(w2[0](0, 0) + 0.01) < 1e-6);
        QVERIFY(std::abs(w2[0](0, 1) - 0.01) < 1e-6);
        QCOMPARE(a.stepCount(), 1LL);
    }

    void adamMomentsStayInFloatRange()
    {
        // The moments are floats: a huge but finite gradient must not make them inf (the weight
        // would freeze, or turn NaN), and moments decaying under zero gradients must end at 0,
        // not as denormals.
        std::vector<Matrix> w{Matrix::Zero(1, 3)};
        OptimizerConfig adam;
        adam.learningRate = 0.01;
        adam.lrDecay = 0.0;
        Optimizer a(adam, w);
        std::vector<Matrix> g{Matrix(1, 3)};
        g[0] << 1e30, -1e45, 1e-20;
        a.apply(w, g);
        QVERIFY(w[0].allFinite());
        QVERIFY(a.firstMoment()[0].allFinite() && a.secondMoment()[0].allFinite());
        QVERIFY(w[0](0, 0) < 0 && w[0](0, 1) > 0 && w[0](0, 2) < 0); // each moved against its gradient
        g[0].setZero();
        for (int step = 0; step < 200; ++step)
            a.apply(w, g);
        QVERIFY(w[0].allFinite());
        // v of the third weight started at 1e-43 (0.001 * 1e-40, below float's normal range).
        const Matrix v = a.secondMoment()[0];
        QCOMPARE(v(0, 2), 0.0);
        QVERIFY(v(0, 0) >= static_cast<double>(std::numeric_limits<float>::min()));
    }

    void inputLayerMustMatchTheImages()
    {
        auto mixed = std::make_shared<DataSplit>(*data(20, 5));
        mixed->test.rows = 20;
        mixed->test.cols = 20;
        mixed->test.pixels.resize(static_cast<std::size_t>(mixed->test.size()) * 400);
        NetworkConfig ok;
        try {
            Trainer t(ok, TrainConfig{}, mixed);
            QFAIL("no error for test images of another size");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(std::string(e.what()).find("20x20") != std::string::npos, e.what());
        }
        NetworkConfig net;
        net.layerSizes = {100, 10, 10};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Trainer(net, TrainConfig{}, data(20, 5)));
    }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "tst_training.moc"
