// The decision-time early exit gives exactly the class and decision time of the full forward
// pass, while integrating fewer inputs.

#include "core/model/EarlyDecision.h"
#include "core/data/IdxReader.h"
#include "core/common/Random.h"
#include "core/training/Trainer.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace firstspike;

class TestEarlyDecision : public QObject {
    Q_OBJECT

private:
    // After a classification, every layer's retired neurons are those marked dead, and counted:
    // alive[j] == 0 exactly where B[j] == -inf (what the screen needs), and aliveCount is the
    // number alive (the exact tests, vector or scalar, each retire and count a neuron once).
    template <typename T>
    static void expectConsistentState(const EarlyDecisionWorkspaceOf<T> &ws)
    {
        for (std::size_t l = 0; l < ws.layers.size(); ++l) {
            const auto &layer = ws.layers[l];
            int alive = 0;
            for (std::size_t j = 0; j < layer.alive.size(); ++j) {
                const bool dead = layer.alive[j] == T(0);
                alive += dead ? 0 : 1;
                QVERIFY2(dead == (layer.B[j] == -std::numeric_limits<T>::infinity()),
                         qPrintable(QString("layer %1, neuron %2: alive %3, B %4").arg(l).arg(j).arg(double(layer.alive[j])).arg(double(layer.B[j]))));
            }
            QCOMPARE(layer.aliveCount, alive);
        }
    }

    static void expectSame(const SpikeNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace &ws,
                           int &decided, long long &integrated, long long &total)
    {
        ForwardPass pass;
        net.forward(pixels, pass);
        const EarlyDecision d = classifyEarly(net, pixels, ws);
        expectConsistentState(ws);
        QCOMPARE(d.predictedClass, pass.predictedClass());
        if (d.predictedClass >= 0) {
            const double full = pass.decisionZ(); // bit-identical: same order, groups and sums
            QVERIFY2(std::memcmp(&d.decisionZ, &full, sizeof full) == 0,
                     qPrintable(QString("early %1, full pass %2").arg(d.decisionZ, 0, 'g', 17).arg(full, 0, 'g', 17)));
            ++decided;
            // Hidden spikes counted before the decision are those of the full pass with z <= decision.
            // Every hidden spike earlier than the decision was emitted, and only real spikes were.
            for (int l = 0; l + 1 < net.layerCount(); ++l) {
                int before = 0, fired = 0;
                for (Eigen::Index j = 0; j < pass.layers[l].spikeZ.size(); ++j) {
                    before += pass.layers[l].spikeZ[j] < d.decisionZ ? 1 : 0;
                    fired += std::isinf(pass.layers[l].spikeZ[j]) ? 0 : 1;
                }
                QVERIFY(d.spikesBeforeDecision[l] >= before);
                QVERIFY(d.spikesBeforeDecision[l] <= fired);
            }
        }
        integrated += d.inputsIntegrated;
        total += static_cast<long long>(pass.layers[0].inputOrder.size());
    }

    // The single-precision early exit against the exact one: the same class, unless two output
    // neurons fire within float rounding of each other, and the decision time to float accuracy.
    static void expectClose(const SpikeNetwork &net, const FloatNetwork &single, const std::uint8_t *pixels,
                            EarlyDecisionWorkspace &ws, EarlyDecisionWorkspace32 &ws32, int &same, int &total)
    {
        const EarlyDecision exact = classifyEarly(net, pixels, ws);
        const EarlyDecision approx = classifyEarly(single, pixels, ws32);
        expectConsistentState(ws32);
        ++total;
        if (exact.predictedClass != approx.predictedClass)
            return;
        ++same;
        if (exact.predictedClass >= 0) {
            const double rel = std::abs(approx.decisionZ - exact.decisionZ) / exact.decisionZ;
            QVERIFY2(rel < 1e-4, qPrintable(QString("decision z %1 against %2").arg(approx.decisionZ).arg(exact.decisionZ)));
        }
    }

    // Samples of one network or more: the early exit against the full pass (expectSame) and the
    // single-precision one against the exact one (expectClose), with the counts the tests check.
    struct Comparison {
        EarlyDecisionWorkspace ws;
        EarlyDecisionWorkspace32 ws32;
        int same = 0, compared = 0, decided = 0;
        long long integrated = 0, total = 0;

        void check(const SpikeNetwork &net, const FloatNetwork &single, const std::uint8_t *pixels)
        {
            expectSame(net, pixels, ws, decided, integrated, total);
            expectClose(net, single, pixels, ws, ws32, same, compared);
        }
    };

    // A network of the given shape with weights uniform in [-2/n, 6/n] (n: the layer's inputs);
    // with tiedColumns, every third neuron a copy of its neighbour (tied spikes). Prepared.
    static SpikeNetwork randomNetwork(const NetworkConfig &cfg, Random &rng, bool tiedColumns)
    {
        SpikeNetwork net(cfg);
        for (Matrix &w : net.allWeights()) {
            const double n = static_cast<double>(w.rows());
            for (Eigen::Index k = 0; k < w.size(); ++k)
                w.data()[k] = rng.uniform(-2.0 / n, 6.0 / n);
            if (tiedColumns)
                for (Eigen::Index c = 1; c < w.cols(); c += 3)
                    w.col(c) = w.col(c - 1);
        }
        net.prepare();
        return net;
    }

    // 49 pixels, about 60 % black, the others any byte.
    static std::vector<std::uint8_t> randomPixels(Random &rng)
    {
        std::vector<std::uint8_t> pixels(49);
        for (auto &p : pixels)
            p = rng.uniform() < 0.6 ? 0 : static_cast<std::uint8_t>(rng.below(256));
        return pixels;
    }

private slots:
    void randomNetworksMatchTheFullPass()
    {
        Comparison c;
        for (std::uint64_t seed = 1; seed <= 40; ++seed) {
            NetworkConfig cfg;
            cfg.layerSizes = seed % 3 == 0 ? std::vector<int>{49, 30, 20, 10} : std::vector<int>{49, 40, 10};
            cfg.bias = seed % 5 != 0;
            cfg.encoding.kind = seed % 2 ? InputEncoding::LinearLatency : InputEncoding::Binarized;
            // A short horizon for some: spikes due after it retire their neuron but are not
            // emitted, and the classification must stop at the horizon as the full pass does.
            if (seed % 4 == 1)
                cfg.maxSpikeTime = std::log(20.0 + static_cast<double>(seed));
            Random rng(seed);
            const SpikeNetwork net = randomNetwork(cfg, rng, false);
            const FloatNetwork single(net);
            for (int s = 0; s < 20; ++s) {
                const std::vector<std::uint8_t> pixels = randomPixels(rng);
                c.check(net, single, pixels.data());
            }
        }
        qInfo("%d of 800 random samples decided; %.1f%% of input arrivals integrated; single precision: "
              "same class in %d", c.decided, 100.0 * c.integrated / c.total, c.same);
        QVERIFY(c.decided > 400);
        QVERIFY(c.same >= c.compared - 2); // 800 of 800 measured; random weights can put two output spikes close
    }

    // Pixels of a few grey levels, so that the input layer's tie groups have every size from one
    // row to dozens (the screen pass sums two to four rows in registers, more through scratch),
    // and hidden layers whose width is not a multiple of the vectors' (the pass's masked tail).
    void tieGroupsOfEverySizeMatchTheFullPass()
    {
        Comparison c;
        std::vector<int> groupSizes(6, 0); // 1, 2, 3, 4, 5-8, more rows
        for (std::uint64_t seed = 1; seed <= 48; ++seed) {
            NetworkConfig cfg;
            const int hidden = std::vector<int>{40, 33, 47, 64}[seed % 4];
            cfg.layerSizes = {49, hidden, 10};
            cfg.bias = seed % 5 != 0;
            cfg.encoding.kind = InputEncoding::LinearLatency;
            Random rng(1000 + seed);
            const SpikeNetwork net = randomNetwork(cfg, rng, seed % 3 == 0);
            const FloatNetwork single(net);
            const int levels = 1 + static_cast<int>(seed % 8);
            for (int s = 0; s < 12; ++s) {
                std::vector<std::uint8_t> pixels(49);
                for (auto &p : pixels)
                    p = rng.uniform() < 0.4 ? 0 : static_cast<std::uint8_t>(255 - 30 * rng.below(levels));
                std::vector<int> count(256, 0);
                for (std::uint8_t p : pixels)
                    ++count[p];
                for (int v = 1; v < 256; ++v)
                    if (count[v] > 0)
                        ++groupSizes[std::min(count[v], 5) - 1 + (count[v] > 8 ? 1 : 0)];
                c.check(net, single, pixels.data());
            }
        }
        qInfo("%d of 576 samples decided; input groups of 1, 2, 3, 4, 5-8, more rows: %d %d %d %d %d %d; single "
              "precision: same class in %d",
              c.decided, groupSizes[0], groupSizes[1], groupSizes[2], groupSizes[3], groupSizes[4], groupSizes[5],
              c.same);
        for (int k = 0; k < 6; ++k)
            QVERIFY(groupSizes[k] > 20);
        QVERIFY(c.decided > 300);
        QVERIFY(c.same >= c.compared - 2);
    }

    // Narrow layers (at most 16 neurons: one loop with A and B in registers) of every width up
    // to 16, as the output layer and between two layers, and hidden layers whose spikes tie
    // (duplicated weight columns), so that a narrow layer sums groups of several rows.
    void narrowLayersMatchTheFullPass()
    {
        Comparison c;
        const std::vector<std::vector<int>> shapes = {{49, 40, 1},  {49, 40, 3},      {49, 40, 8},     {49, 40, 9},
                                                      {49, 40, 16}, {49, 12, 16},     {49, 30, 7, 10}, {49, 30, 16, 5},
                                                      {49, 40, 17}, {49, 24, 13, 11}};
        for (std::size_t shape = 0; shape < shapes.size(); ++shape)
            for (std::uint64_t seed = 1; seed <= 12; ++seed) {
                NetworkConfig cfg;
                cfg.layerSizes = shapes[shape];
                cfg.bias = seed % 4 != 0;
                cfg.encoding.kind = seed % 2 ? InputEncoding::LinearLatency : InputEncoding::Binarized;
                Random rng(100 * shape + seed);
                const SpikeNetwork net = randomNetwork(cfg, rng, seed % 3 == 0);
                const FloatNetwork single(net);
                for (int s = 0; s < 10; ++s) {
                    const std::vector<std::uint8_t> pixels = randomPixels(rng);
                    c.check(net, single, pixels.data());
                }
            }
        qInfo("%d of 1200 samples of narrow networks decided; single precision: same class in %d", c.decided, c.same);
        QVERIFY(c.decided > 600);
        QVERIFY(c.same >= c.compared - 2); // 1200 of 1200 measured
    }

    void sortSpikesMatchesStdSort()
    {
        // The early exit orders the spikes of one check with sortSpikes: ranks (up to 64, equal
        // pairs included, zeros and negative z too), above that a stable sort of z's bits (its
        // radix fallback when the clustered times differ only in their low bits) with runs of
        // equal z put in index order, or std::sort when a z is not positive.
        // Every path must give exactly std::sort's (z, index) order.
        Random rng(5);
        std::vector<std::pair<double, int>> spikes, scratch, expected;
        KeySort keys;
        int cases = 0;
        for (int n : {0, 1, 2, 7, 16, 17, 33, 64, 65, 100, 301, 700}) {
            for (int kind = 0; kind < 5; ++kind) {
                spikes.clear();
                for (int k = 0; k < n; ++k) {
                    double z = 0.0;
                    switch (kind) {
                    case 0: z = std::exp(rng.uniform(0.0, 8.0)); break;                    // spread out
                    case 1: z = 1.0 + 0.25 * static_cast<double>(rng.below(4)); break;     // many ties
                    case 2: z = k % 10 == 0 ? 2000.0 : 1.5 + 1e-12 * rng.uniform(); break; // clustered
                    case 3: z = k == n / 2 ? 0.0 : std::exp(rng.uniform(0.0, 3.0)); break; // a zero
                    default: z = rng.below(2) ? 1.0 + rng.uniform() : -rng.uniform(); break; // negative
                    }
                    spikes.emplace_back(z, static_cast<int>(rng.below(800)));
                }
                expected = spikes;
                std::sort(expected.begin(), expected.end());
                sortSpikes(spikes, scratch, keys);
                QCOMPARE(spikes.size(), expected.size());
                for (std::size_t k = 0; k < spikes.size(); ++k) {
                    QCOMPARE(std::memcmp(&spikes[k].first, &expected[k].first, sizeof(double)), 0);
                    QCOMPARE(spikes[k].second, expected[k].second);
                }
                ++cases;
            }
        }
        QCOMPARE(cases, 60);
        // A NaN is not a spike time and cannot come out of a check; if one did, the sort must
        // still end and keep every spike (std::sort with NaN keys may do neither).
        for (int n : {10, 100}) {
            spikes.clear();
            for (int k = 0; k < n; ++k)
                spikes.emplace_back(k == 3 ? std::numeric_limits<double>::quiet_NaN() : 1.0 + rng.uniform(), k);
            sortSpikes(spikes, scratch, keys);
            std::vector<int> seen;
            for (const auto &p : spikes)
                seen.push_back(p.second);
            std::sort(seen.begin(), seen.end());
            QCOMPARE(static_cast<int>(seen.size()), n);
            for (int k = 0; k < n; ++k)
                QCOMPARE(seen[static_cast<std::size_t>(k)], k);
        }
    }

    void trainedMnistNetworkDecidesEarly()
    {
        auto data = std::make_shared<const DataSplit>(loadEmbeddedMnist());
        NetworkConfig net;
        net.layerSizes = {784, 100, 10};
        TrainConfig tc;
        tc.epochs = 1;
        tc.threads = 2;
        tc.validationFraction = 0.0;
        auto small = std::make_shared<DataSplit>();
        std::vector<int> idx(1500);
        for (int i = 0; i < 1500; ++i)
            idx[i] = i;
        small->train = data->train.subset(idx, "train");
        small->test = data->test;
        Trainer trainer(net, tc, small);
        trainer.train();
        trainer.network().prepare();
        const SpikeNetwork &trained = std::as_const(trainer).network();
        const FloatNetwork single(trained);
        Comparison c;
        for (int i = 0; i < 400; ++i)
            c.check(trained, single, data->test.image(i));
        qInfo("%d of 400 test digits decided; %.1f%% of input arrivals integrated before the decision; "
              "single precision: same class for %d", c.decided, 100.0 * c.integrated / c.total, c.same);
        QVERIFY(c.integrated < c.total);
        QVERIFY(c.same >= c.compared - 1);
    }
};

QTEST_APPLESS_MAIN(TestEarlyDecision)
#include "tst_earlydecision.moc"
