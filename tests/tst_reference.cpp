// The optimised engine (one shared input order per layer, all neurons scanned together,
// early retirement, tie groups folded through column sums) against the plain per-neuron
// reference implementation of the same equations, on random networks.

#include "Loss.h"
#include "Random.h"
#include "ReferenceSpikeNetwork.h"
#include "SpikeNetwork.h"

#include <QtTest>

#include <cmath>

using namespace firstspike;

class TestReference : public QObject {
    Q_OBJECT

private:
    void compare(std::uint64_t seed, const std::vector<int> &sizes, bool bias, bool quantised, int &spikes, int &grads)
    {
        NetworkConfig cfg;
        cfg.layerSizes = sizes;
        cfg.bias = bias;
        SpikeNetwork net(cfg);
        Random rng(seed);
        for (Matrix &w : net.allWeights()) {
            const double n = static_cast<double>(w.rows());
            for (Eigen::Index k = 0; k < w.size(); ++k)
                w.data()[k] = rng.uniform(-2.0 / n, 7.0 / n);
        }
        net.prepare();
        // Pixel-like inputs: most at one late time (dark), the rest spread or quantised.
        std::vector<std::uint8_t> pixels(sizes.front());
        for (auto &p : pixels)
            p = rng.uniform() < 0.7 ? 0 : static_cast<std::uint8_t>(quantised ? 255 * rng.below(2) : rng.below(256));
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
