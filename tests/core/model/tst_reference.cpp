// The optimised engine (one shared input order per layer, all neurons scanned together,
// early retirement, tie groups folded through column sums) against the plain per-neuron
// reference implementation of the same equations, on random networks.

#include "core/model/FiringScreen.h"
#include "core/model/Loss.h"
#include "core/common/Random.h"
#include "core/model/ReferenceSpikeNetwork.h"
#include "core/model/SpikeNetwork.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

using namespace firstspike;

namespace {

// A network of the given sizes with weights strength * U(-2/n, 7/n) for n inputs (bias
// included), drawn from rng.
SpikeNetwork randomNetwork(const std::vector<int> &sizes, bool bias, Random &rng, double strength = 1.0)
{
    NetworkConfig cfg;
    cfg.layerSizes = sizes;
    cfg.bias = bias;
    SpikeNetwork net(cfg);
    for (Matrix &w : net.allWeights()) {
        const double n = static_cast<double>(w.rows());
        for (Eigen::Index k = 0; k < w.size(); ++k)
            w.data()[k] = strength * rng.uniform(-2.0 / n, 7.0 / n);
    }
    return net;
}

// Pixel-like inputs: a fraction black (one late arrival time), the rest spread or quantised.
std::vector<std::uint8_t> randomPixels(int count, Random &rng, double black, bool quantised = false)
{
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(count));
    for (auto &p : pixels)
        p = rng.uniform() < black ? 0 : static_cast<std::uint8_t>(quantised ? 255 * rng.below(2) : rng.below(256));
    return pixels;
}

} // namespace

class TestReference : public QObject {
    Q_OBJECT

private:
    void compare(std::uint64_t seed, const std::vector<int> &sizes, bool bias, bool quantised, int &spikes, int &grads)
    {
        Random rng(seed);
        SpikeNetwork net = randomNetwork(sizes, bias, rng);
        const NetworkConfig &cfg = net.config();
        net.prepare();
        const std::vector<std::uint8_t> pixels = randomPixels(sizes.front(), rng, 0.7, quantised);
        ForwardPass pass;
        net.forward(pixels.data(), pass);
        const auto ref = reference::forward(net, pass.inputZ);
        for (int l = 0; l < net.layerCount(); ++l) {
            for (int j = 0; j < net.fanOut(l); ++j) {
                const double zf = pass.layers[l].spikeZ[j];
                const double zr = ref[l][j].z;
                QVERIFY2(std::isinf(zf) == std::isinf(zr),
                         qPrintable(QString("seed %1 layer %2 neuron %3: fast %4, reference %5").arg(seed).arg(l).arg(j).arg(zf).arg(zr)));
                if (std::isinf(zf))
                    continue;
                QVERIFY2(std::abs(zf - zr) <= 1e-10 * zr,
                         qPrintable(QString("seed %1 layer %2 neuron %3: fast %4, reference %5").arg(seed).arg(l).arg(j).arg(zf, 0, 'g', 17).arg(zr, 0, 'g', 17)));
                QCOMPARE(pass.layers[l].causalSetSize[j], ref[l][j].causalSetSize);
                ++spikes;
            }
        }
        Vector dLdz;
        softmaxCrossEntropy(pass.layers.back().spikeZ, static_cast<int>(rng.below(sizes.back())), cfg.maxSpikeZ(), dLdz);
        // Fast path with the tie-group broadcast (as the trainer uses it) and without.
        for (bool broadcast : {false, true}) {
            std::vector<Matrix> g;
            std::vector<Eigen::RowVectorXd> rows;
            for (const Matrix &w : net.allWeights()) {
                g.push_back(Matrix::Zero(w.rows(), w.cols()));
                rows.push_back(Eigen::RowVectorXd::Zero(w.cols()));
            }
            BackwardWorkspace ws;
            net.backward(pass, dLdz, g, ws, nullptr, broadcast ? &rows : nullptr);
            if (broadcast)
                for (std::size_t l = 0; l < g.size(); ++l)
                    g[l].rowwise() += rows[l];
            const auto gr = reference::backward(net, pass.inputZ, ref, dLdz);
            for (std::size_t l = 0; l < g.size(); ++l) {
                const double scale = std::max(1.0, gr[l].cwiseAbs().maxCoeff());
                const double diff = (g[l] - gr[l]).cwiseAbs().maxCoeff();
                QVERIFY2(diff <= 1e-9 * scale, qPrintable(QString("seed %1 layer %2 broadcast %3: max gradient difference %4 (scale %5)")
                                                               .arg(seed).arg(l).arg(broadcast).arg(diff).arg(scale)));
                grads += static_cast<int>((gr[l].array() != 0.0).count());
            }
        }
    }

private slots:
    void recordsGiveTheDenseGradientsBitForBit()
    {
        // The trainer keeps each sample's weight gradient as a record (LayerGradientRecord) and
        // sums the records' terms row by row inside the update. For a mini-batch of samples, that
        // must give exactly the gradient matrices backward() accumulates (first write assigns,
        // later ones add, in sample order), fold rows included; and both must agree with the
        // reference implementation.
        int rowsCompared = 0;
        for (std::uint64_t seed = 200; seed <= 205; ++seed) {
            const std::vector<int> sizes = seed % 2 == 0 ? std::vector<int>{784, 60, 10} : std::vector<int>{64, 40, 30, 10};
            Random rng(seed);
            // Weights of a strength at which neurons fire both before and in the closing (black)
            // group: the cut then decides between a record's terms, and the closing group is
            // folded into a broadcast row (the fold row U).
            SpikeNetwork net = randomNetwork(sizes, seed != 203, rng, 2.5);
            const NetworkConfig &cfg = net.config();
            net.prepare();
            const int L = net.layerCount();
            int cutBeforeLast = 0, folded = 0;
            std::vector<Matrix> dense, referenceSum;
            std::vector<Eigen::RowVectorXd> broadcastDense, broadcastRecords;
            for (const Matrix &w : std::as_const(net).allWeights()) {
                dense.push_back(Matrix::Zero(w.rows(), w.cols()));
                referenceSum.push_back(Matrix::Zero(w.rows(), w.cols()));
                broadcastDense.push_back(Eigen::RowVectorXd::Zero(w.cols()));
                broadcastRecords.push_back(Eigen::RowVectorXd::Zero(w.cols()));
            }
            // And the trainer's mix: records for all but the last layer, whose gradient goes
            // into dense rows (GradientRecord::denseFrom).
            std::vector<Matrix> mixed(static_cast<std::size_t>(L));
            mixed.back() = Matrix::Zero(dense.back().rows(), dense.back().cols());
            std::vector<Eigen::RowVectorXd> broadcastMixed = broadcastRecords;
            BackwardWorkspace denseWs, recordWs, mixedWs;
            std::vector<GradientRecord> records(6);
            GradientRecord mixedRecord;
            mixedRecord.denseFrom = L - 1;
            for (GradientRecord &record : records) {
                const std::vector<std::uint8_t> pixels = randomPixels(sizes.front(), rng, 0.75);
                ForwardPass pass;
                net.forward(pixels.data(), pass);
                Vector dLdz;
                softmaxCrossEntropy(pass.layers.back().spikeZ, static_cast<int>(rng.below(sizes.back())), cfg.maxSpikeZ(), dLdz);
                net.backward(pass, dLdz, dense, denseWs, nullptr, &broadcastDense);
                static std::vector<Matrix> none;
                net.backward(pass, dLdz, none, recordWs, nullptr, &broadcastRecords, &record);
                net.backward(pass, dLdz, mixed, mixedWs, nullptr, &broadcastMixed, &mixedRecord);
                QVERIFY(mixedRecord.layers.back().entries.empty());
                for (int l = 0; l + 1 < L; ++l)
                    QCOMPARE(mixedRecord.layers[l].entries.size(), record.layers[l].entries.size());
                const int lastGroup = static_cast<int>(pass.layers[0].groupEnd.size()) - 1;
                for (int c : record.layers[0].cut)
                    cutBeforeLast += c >= 0 && c < lastGroup ? 1 : 0;
                folded += record.layers[0].folded ? 1 : 0;
                const auto ref = reference::forward(net, pass.inputZ);
                const auto gr = reference::backward(net, pass.inputZ, ref, dLdz);
                for (int l = 0; l < L; ++l)
                    referenceSum[l] += gr[l];
            }
            QVERIFY(mixedWs.touchedRows.back() == denseWs.touchedRows.back());
            { // dense layers need gradient matrices of their shapes
                ForwardPass pass;
                const std::vector<std::uint8_t> pixels = randomPixels(sizes.front(), rng, 0.75);
                net.forward(pixels.data(), pass);
                Vector dLdz = Vector::Zero(sizes.back());
                GradientRecord r;
                r.denseFrom = 0;
                std::vector<Matrix> wrongShapes = mixed;
                QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.backward(pass, dLdz, wrongShapes, mixedWs, nullptr, nullptr, &r));
            }
            for (Eigen::Index i = 0; i < dense.back().rows(); ++i)
                if (denseWs.touchedRows.back()[static_cast<std::size_t>(i)])
                    QVERIFY(std::memcmp(mixed.back().row(i).data(), dense.back().row(i).data(),
                                        sizeof(double) * dense.back().cols()) == 0);
            for (int l = 0; l < L; ++l) {
                QVERIFY(std::memcmp(broadcastDense[l].data(), broadcastMixed[l].data(), sizeof(double) * broadcastDense[l].size()) == 0);
                QVERIFY(std::memcmp(broadcastDense[l].data(), broadcastRecords[l].data(), sizeof(double) * broadcastDense[l].size()) == 0);
                Matrix fromRecords = Matrix::Zero(dense[l].rows(), dense[l].cols());
                for (Eigen::Index i = 0; i < dense[l].rows(); ++i) {
                    bool written = false;
                    for (const GradientRecord &record : records)
                        for (const LayerGradientRecord::Entry &e : record.layers[l].entries)
                            if (e.row == i) {
                                record.layers[l].accumulate(e, 0, dense[l].cols(), fromRecords.row(i).data(), !written);
                                written = true;
                            }
                    QCOMPARE(written, denseWs.touchedRows[l][static_cast<std::size_t>(i)] != 0);
                    if (!written)
                        continue;
                    QVERIFY2(std::memcmp(fromRecords.row(i).data(), dense[l].row(i).data(), sizeof(double) * dense[l].cols()) == 0,
                             qPrintable(QString("seed %1 layer %2 row %3: records and dense rows differ").arg(seed).arg(l).arg(i)));
                    ++rowsCompared;
                }
                // Column ranges of a record give the same values as the whole row.
                for (const GradientRecord &record : records)
                    for (const LayerGradientRecord::Entry &e : record.layers[l].entries) {
                        const Eigen::Index n = dense[l].cols(), mid = n / 3;
                        Eigen::RowVectorXd whole(n), parts(n);
                        record.layers[l].accumulate(e, 0, n, whole.data(), true);
                        record.layers[l].accumulate(e, 0, mid, parts.data(), true);
                        record.layers[l].accumulate(e, mid, n, parts.data() + mid, true);
                        QVERIFY(std::memcmp(whole.data(), parts.data(), sizeof(double) * n) == 0);
                    }
                // Untouched rows hold only the broadcast row; all rows against the reference.
                Matrix total = Matrix::Zero(dense[l].rows(), dense[l].cols());
                for (Eigen::Index i = 0; i < total.rows(); ++i)
                    if (denseWs.touchedRows[l][static_cast<std::size_t>(i)])
                        total.row(i) = fromRecords.row(i);
                total.rowwise() += broadcastRecords[l];
                const double scale = std::max(1.0, referenceSum[l].cwiseAbs().maxCoeff());
                const double diff = (total - referenceSum[l]).cwiseAbs().maxCoeff();
                QVERIFY2(diff <= 1e-9 * scale, qPrintable(QString("seed %1 layer %2: records vs reference %3").arg(seed).arg(l).arg(diff)));
            }
            QVERIFY2(cutBeforeLast > 20, qPrintable(QString("seed %1: only %2 neurons fired before the last group").arg(seed).arg(cutBeforeLast)));
            QVERIFY2(folded > 0, qPrintable(QString("seed %1: no sample folded its closing group").arg(seed)));
        }
        qInfo("%d gradient rows compared bit for bit", rowsCompared);
        QVERIFY(rowsCompared > 500);
    }

    void stagedForwardGivesForwardsBits()
    {
        // The trainer scans each wide layer in column ranges, one per thread; every split must
        // give forward()'s spike times, denominators, causal sets and groups bit for bit (the
        // dense and sparse phases of the scan switch at different points in a range).
        int compared = 0;
        for (std::uint64_t seed = 300; seed <= 309; ++seed) {
            const std::vector<int> sizes = seed % 2 == 0 ? std::vector<int>{784, 300, 10} : std::vector<int>{64, 70, 40, 10};
            Random rng(seed);
            SpikeNetwork net = randomNetwork(sizes, seed != 303, rng, 1.0 + 0.5 * static_cast<double>(seed % 4));
            if (seed % 3 != 0)
                net.prepare(); // and unprepared: column sums computed on the fly
            const std::vector<std::uint8_t> pixels = randomPixels(sizes.front(), rng, 0.7);
            ForwardPass whole, staged;
            net.forward(pixels.data(), whole);
            net.beginForward(pixels.data(), staged);
            const int wideLayers = net.layerCount() - 1;
            for (int l = 0; l < wideLayers; ++l) {
                if (l > 0)
                    net.orderLayer(l, staged);
                const int n = net.fanOut(l);
                // Uneven ranges, scanned out of order.
                const int cuts[] = {0, n / 5, std::min(n / 5 + 16, n / 2), n / 2 + 3, n};
                for (int r : {3, 0, 2, 1})
                    net.scanColumns(l, staged.layers[static_cast<std::size_t>(l)], cuts[r], cuts[r + 1]);
            }
            net.finishForward(staged, wideLayers);
            for (int l = 0; l < net.layerCount(); ++l) {
                const LayerActivity &a = whole.layers[static_cast<std::size_t>(l)], &b = staged.layers[static_cast<std::size_t>(l)];
                QVERIFY(std::memcmp(a.spikeZ.data(), b.spikeZ.data(), sizeof(double) * a.spikeZ.size()) == 0);
                QVERIFY(std::memcmp(a.denominator.data(), b.denominator.data(), sizeof(double) * a.denominator.size()) == 0);
                QCOMPARE(a.causalSetSize, b.causalSetSize);
                QCOMPARE(a.firedInGroup, b.firedInGroup);
                QCOMPARE(a.inputOrder, b.inputOrder);
                compared += static_cast<int>((a.spikeZ.array() < kSilent).count());
            }
        }
        qInfo("%d spikes compared bit for bit", compared);
        QVERIFY(compared > 1000);
    }

    void narrowScanGivesTheWideScansBits()
    {
        // A range of at most 16 neurons (the output layer's width) is scanned with its sums in
        // registers (scanNarrow in SpikeNetwork.cpp); every width from 1 to 17 at every offset
        // must give the bits of the wide scan over the whole layer: the closing black-pixel
        // group folded through the column sums (prepared) or summed row by row, tied pixel
        // levels (quantised), the hidden layer's spikes as one-input groups, and neurons that
        // reach theta beyond a short horizon (silent).
        int compared = 0, beyondHorizon = 0;
        for (std::uint64_t seed = 400; seed <= 405; ++seed) {
            const std::vector<int> sizes{196, 40, 36};
            Random rng(seed);
            SpikeNetwork net = randomNetwork(sizes, seed != 402, rng, 1.0 + 0.4 * static_cast<double>(seed % 3));
            const std::vector<std::uint8_t> pixels = randomPixels(sizes.front(), rng, 0.6, seed % 3 == 1);
            if (seed >= 404) { // a short horizon: some neurons reach theta beyond it (silent)
                ForwardPass longHorizon;
                net.forward(pixels.data(), longHorizon);
                NetworkConfig cfg = net.config();
                cfg.maxSpikeTime = 1.2;
                SpikeNetwork shorter(cfg);
                shorter.allWeights() = net.allWeights();
                net = shorter;
                for (const LayerActivity &a : longHorizon.layers)
                    beyondHorizon += static_cast<int>(
                        (a.spikeZ.array() > cfg.maxSpikeZ() && a.spikeZ.array() < kSilent).count());
            }
            if (seed % 2 == 0)
                net.prepare();
            ForwardPass whole;
            net.forward(pixels.data(), whole);
            for (int l = 0; l < net.layerCount(); ++l) {
                const LayerActivity &a = whole.layers[static_cast<std::size_t>(l)];
                const int n = net.fanOut(l);
                for (int width = 1; width <= 17; ++width) {
                    for (int c0 = 0; c0 + width <= n; ++c0) {
                        LayerActivity b = a; // the same order; the outputs overwritten in [c0, c0 + width)
                        b.spikeZ.setConstant(-1.0);
                        net.scanColumns(l, b, c0, c0 + width);
                        const std::size_t w = static_cast<std::size_t>(width);
                        QVERIFY(std::memcmp(a.spikeZ.data() + c0, b.spikeZ.data() + c0, sizeof(double) * w) == 0);
                        QVERIFY(std::memcmp(a.denominator.data() + c0, b.denominator.data() + c0, sizeof(double) * w) == 0);
                        QVERIFY(std::equal(a.causalSetSize.begin() + c0, a.causalSetSize.begin() + c0 + width,
                                           b.causalSetSize.begin() + c0));
                        QVERIFY(std::equal(a.firedInGroup.begin() + c0, a.firedInGroup.begin() + c0 + width,
                                           b.firedInGroup.begin() + c0));
                        compared += static_cast<int>((a.spikeZ.segment(c0, width).array() < kSilent).count());
                    }
                }
            }
        }
        qInfo("%d spikes compared bit for bit; %d beyond the short horizon", compared, beyondHorizon);
        QVERIFY(compared > 5000);
        QVERIFY(beyondHorizon > 5);
    }

    // The one-pass group-and-screen kernel (AVX-512) against the two-pass form it replaces (and
    // sumGroupAt, the path for a few surviving neurons): the same A and B bits and the same
    // candidates in the same order, for group sizes 1-13, widths with and without whole list
    // entries (32 neurons), a last entry of one to four vectors with and without a masked tail,
    // an infinite limit (the last interval) and dead neurons (B = -inf); and the screen without
    // a group (screenAndVisit). In double (the training and exact paths) and in float
    // (FloatNetwork). Guard values past n in A, B and scratch catch a store beyond the layer.
    // Without AVX-512 the kernel is the two-pass form and only the sumGroupAt comparison tests
    // something.
private:
    template <typename T>
    void groupScreenKernelMatches()
    {
        Random rng(77);
        const int rows = 40;
        int candidatesSeen = 0, screenedAlone = 0;
        for (int n : {1, 7, 8, 9, 10, 15, 16, 17, 25, 31, 32, 33, 40, 47, 56, 63, 64, 65, 95, 800, 801}) {
            std::vector<T> w(static_cast<std::size_t>(rows) * n);
            for (T &x : w)
                x = static_cast<T>(rng.uniform(-0.3, 0.5));
            for (int count = 1; count <= 13; ++count) {
                std::vector<int> order(static_cast<std::size_t>(count));
                for (int &o : order)
                    o = static_cast<int>(rng.below(rows));
                const T z = static_cast<T>(rng.uniform(1.0, 5.0)), threshold = 1;
                const T limit = count % 5 == 0 ? std::numeric_limits<T>::infinity() : z * static_cast<T>(rng.uniform(1.0, 1.5));
                // Guard values past n: a store beyond the layer changes one of them.
                constexpr int guard = 40;
                const T guardValue = T(1234.5);
                auto guardsIntact = [&](const std::vector<T> &v) {
                    return std::all_of(v.begin() + n, v.end(), [&](T x) { return x == guardValue; });
                };
                std::vector<T> A(n + guard, guardValue), B(n + guard, guardValue), alive(n, T(1));
                for (int j = 0; j < n; ++j) {
                    A[j] = static_cast<T>(rng.uniform(-1.0, 3.0));
                    B[j] = static_cast<T>(rng.uniform(-0.5, 2.0));
                    if (rng.uniform() < 0.2) {
                        alive[j] = T(0);
                        B[j] = -std::numeric_limits<T>::infinity();
                    }
                }
                std::vector<T> A1 = A, B1 = B, A2 = A, B2 = B, scratch(n + guard, guardValue);
                std::vector<std::uint8_t> flags;
                std::vector<int> seen1, seen2;
                accumulateGroupAndScreen(w.data(), n, order.data(), z, count, A1.data(), B1.data(), alive.data(), n,
                                         scratch.data(), threshold, limit, flags, [&](int j) { seen1.push_back(j); });
                QVERIFY(guardsIntact(A1));
                QVERIFY(guardsIntact(B1));
                QVERIFY(guardsIntact(scratch));
                accumulateGroup(w.data(), n, order.data(), z, count, A2.data(), B2.data(), n, scratch.data());
                forEachFiringCandidate(A2.data(), B2.data(), alive.data(), n, threshold, limit, flags,
                                       [&](int j) { seen2.push_back(j); });
                QCOMPARE(std::memcmp(A1.data(), A2.data(), sizeof(T) * n), 0);
                QCOMPARE(std::memcmp(B1.data(), B2.data(), sizeof(T) * n), 0);
                QCOMPARE(seen1, seen2);
                candidatesSeen += static_cast<int>(seen1.size());
                // The screen alone (the interval after the last group): the same candidates as
                // the plain form, and A and B untouched.
                const std::vector<T> A3 = A1, B3 = B1;
                std::vector<int> seen3, seen4;
                screenAndVisit(A1.data(), B1.data(), alive.data(), n, threshold, limit, flags,
                               [&](int j) { seen3.push_back(j); });
                forEachFiringCandidate(A3.data(), B3.data(), alive.data(), n, threshold, limit, flags,
                                       [&](int j) { seen4.push_back(j); });
                QCOMPARE(seen3, seen4);
                QCOMPARE(std::memcmp(A1.data(), A3.data(), sizeof(T) * A1.size()), 0);
                QCOMPARE(std::memcmp(B1.data(), B3.data(), sizeof(T) * B1.size()), 0);
                screenedAlone += static_cast<int>(seen3.size());
                for (int j = 0; j < n; ++j) { // the sparse path's sum, added the same way
                    const T sum = sumGroupAt(w.data(), n, order.data(), count, j);
                    const T a = std::fma(z, sum, A[j]), b = B[j] + sum;
                    QCOMPARE(std::memcmp(&a, &A2[j], sizeof a), 0);
                    QCOMPARE(std::memcmp(&b, &B2[j], sizeof b), 0);
                }
            }
        }
        QVERIFY(candidatesSeen > 100); // the screen was exercised
        QVERIFY(screenedAlone > 100);
    }

private slots:
    void groupScreenKernelMatchesTheTwoPassForm()
    {
        groupScreenKernelMatches<double>();
        groupScreenKernelMatches<float>();
    }

    // The loose screen A <= limit * slack * (B - theta) lets through every neuron the exact test
    // fl(A / (B - theta)) <= limit accepts, at the edge where they disagree by rounding: A set a
    // few units in the last place around limit * d, for both scan types.
private:
    template <typename T>
    void screenKeepsEveryExactSpike()
    {
        Random rng(91);
        int accepted = 0;
        for (int k = 0; k < 200000; ++k) {
            const T d = static_cast<T>(std::exp(rng.uniform(-12.0, 4.0)));
            const T limit = static_cast<T>(std::exp(rng.uniform(0.0, 9.0)));
            T a = limit * d;
            for (int step = static_cast<int>(rng.below(9)) - 4; step != 0; step += step > 0 ? -1 : 1)
                a = std::nextafter(a, step > 0 ? std::numeric_limits<T>::infinity() : T(0));
            if (!(a / d <= limit))
                continue;
            ++accepted;
            QVERIFY2(a <= limit * ScreenSlack<T>::factor * d, qPrintable(QString("a %1 d %2 limit %3")
                                                                              .arg(double(a), 0, 'g', 17)
                                                                              .arg(double(d), 0, 'g', 17)
                                                                              .arg(double(limit), 0, 'g', 17)));
        }
        QVERIFY(accepted > 50000);
    }
private slots:
    void screenKeepsEveryExactSpike()
    {
        screenKeepsEveryExactSpike<double>();
        screenKeepsEveryExactSpike<float>();
    }

    void randomNetworksAgree()
    {
        int spikes = 0, grads = 0;
        for (std::uint64_t seed = 1; seed <= 20; ++seed)
            compare(seed, {64, 40, 30, 10}, seed % 4 != 0, seed % 2 == 0, spikes, grads);
        qInfo("%d spike times and %d nonzero gradient entries compared", spikes, grads);
        QVERIFY(spikes > 800);
        QVERIFY(grads > 10000);
    }

    void mnistSizedLayerAgrees()
    {
        int spikes = 0, grads = 0;
        for (std::uint64_t seed = 100; seed <= 102; ++seed)
            compare(seed, {784, 120, 10}, true, seed == 101, spikes, grads);
        QVERIFY(spikes > 250);
    }
};

QTEST_APPLESS_MAIN(TestReference)
#include "tst_reference.moc"
