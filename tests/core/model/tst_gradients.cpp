// Finite-difference check of every gradient of docs/MODEL.md: dL/dw for all layers through the
// softmax cross-entropy over -z, the decision-time cost, the weight-sum cost and L2, and dL/dz
// of the inputs.

#include "core/model/Loss.h"
#include "core/common/Random.h"
#include "core/model/SpikeNetwork.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace firstspike;

namespace {

struct Setup {
    SpikeNetwork net;
    Vector inputZ;
    int label = 0;
    double weightSumK = 0.0;
    double l2 = 0.0;
    double decisionCost = 0.0;
};

double totalLoss(const Setup &s, ForwardPass &pass)
{
    s.net.forwardEncoded(s.inputZ, pass);
    Vector d;
    const double ce = softmaxCrossEntropy(pass.layers.back().spikeZ, s.label, s.net.config().maxSpikeZ(), d);
    const double decision = decisionTimeCost(pass.layers.back().spikeZ, s.label, s.decisionCost, nullptr);
    return ce + decision + weightRegularization(s.net.allWeights(), s.net.config().threshold, s.weightSumK, s.l2, nullptr);
}

// Spike pattern signature: the gradient exists only where the causal sets do not change.
std::vector<int> signature(const ForwardPass &pass)
{
    std::vector<int> sig;
    for (const LayerActivity &a : pass.layers)
        sig.insert(sig.end(), a.causalSetSize.begin(), a.causalSetSize.end());
    return sig;
}

Setup makeSetup(std::uint64_t seed, const std::vector<int> &sizes, bool bias)
{
    Setup s;
    NetworkConfig cfg;
    cfg.layerSizes = sizes;
    cfg.bias = bias;
    cfg.maxSpikeTime = 12.0;
    s.net = SpikeNetwork(cfg);
    Random rng(seed);
    for (Matrix &w : s.net.allWeights()) {
        const double n = static_cast<double>(w.rows());
        for (Eigen::Index k = 0; k < w.size(); ++k)
            w.data()[k] = rng.uniform(-1.0 / n, 6.0 / n);
    }
    // A neuron of each layer below threshold in total weight exercises the weight-sum hinge.
    for (Matrix &w : s.net.allWeights())
        w.col(0).array() -= 1.2 / static_cast<double>(w.rows()) + 0.5 * w.col(0).sum() / static_cast<double>(w.rows());
    s.inputZ.resize(sizes.front());
    for (int i = 0; i < sizes.front(); ++i)
        s.inputZ[i] = std::exp(rng.uniform(0.0, 2.0));
    s.label = static_cast<int>(rng.below(static_cast<std::uint64_t>(sizes.back())));
    s.weightSumK = 0.7;
    s.l2 = 1e-2;
    s.decisionCost = 0.3;
    return s;
}

} // namespace

class TestGradients : public QObject {
    Q_OBJECT

private:
    void checkNetwork(std::uint64_t seed, const std::vector<int> &sizes, bool bias, int &checked, int &skipped,
                      int &nonzeroHidden)
    {
        Setup s = makeSetup(seed, sizes, bias);
        ForwardPass pass;
        totalLoss(s, pass);
        const std::vector<int> sig0 = signature(pass);

        std::vector<Matrix> grads;
        for (const Matrix &w : s.net.allWeights())
            grads.push_back(Matrix::Zero(w.rows(), w.cols()));
        Vector dLdz;
        softmaxCrossEntropy(pass.layers.back().spikeZ, s.label, s.net.config().maxSpikeZ(), dLdz);
        decisionTimeCost(pass.layers.back().spikeZ, s.label, s.decisionCost, &dLdz);
        BackwardWorkspace ws;
        Vector dLdInput;
        s.net.backward(pass, dLdz, grads, ws, &dLdInput);
        weightRegularization(s.net.allWeights(), s.net.config().threshold, s.weightSumK, s.l2, &grads);

        const double eps = 1e-6;
        for (int l = 0; l < s.net.layerCount(); ++l) {
            Matrix &w = s.net.weights(l);
            for (Eigen::Index i = 0; i < w.rows(); ++i) {
                for (Eigen::Index j = 0; j < w.cols(); ++j) {
                    const double orig = w(i, j);
                    ForwardPass p1, p2;
                    w(i, j) = orig + eps;
                    const double lp = totalLoss(s, p1);
                    w(i, j) = orig - eps;
                    const double lm = totalLoss(s, p2);
                    w(i, j) = orig;
                    const double colSum = w.col(j).sum();
                    const bool hingeKink = std::abs(colSum - s.net.config().threshold) < 2 * eps;
                    if (signature(p1) != sig0 || signature(p2) != sig0 || hingeKink) {
                        ++skipped; // a causal set changes inside +-eps: no derivative here
                        continue;
                    }
                    const double numeric = (lp - lm) / (2 * eps);
                    const double analytic = grads[l](i, j);
                    const double tol = 1e-5 * std::max(1.0, std::abs(numeric));
                    QVERIFY2(std::abs(numeric - analytic) < tol,
                             qPrintable(QString("seed %1 layer %2 w(%3,%4): analytic %5, finite difference %6")
                                            .arg(seed).arg(l).arg(i).arg(j).arg(analytic, 0, 'g', 10).arg(numeric, 0, 'g', 10)));
                    ++checked;
                    if (l + 1 < s.net.layerCount() && std::abs(analytic - s.l2 * orig) > 1e-8)
                        ++nonzeroHidden; // gradient reached a hidden layer through the spikes
                }
            }
        }
        // dL/dz of the input spikes (the path the hidden layers' gradients travel).
        for (Eigen::Index i = 0; i < s.inputZ.size(); ++i) {
            const double orig = s.inputZ[i];
            const double h = 1e-6 * orig;
            ForwardPass p1, p2;
            s.inputZ[i] = orig + h;
            const double lp = totalLoss(s, p1);
            s.inputZ[i] = orig - h;
            const double lm = totalLoss(s, p2);
            s.inputZ[i] = orig;
            if (signature(p1) != sig0 || signature(p2) != sig0)
                continue;
            const double numeric = (lp - lm) / (2 * h);
            QVERIFY2(std::abs(numeric - dLdInput[i]) < 1e-5 * std::max(1.0, std::abs(numeric)),
                     qPrintable(QString("seed %1 dL/dz_in[%2]: analytic %3, finite difference %4")
                                    .arg(seed).arg(i).arg(dLdInput[i]).arg(numeric)));
        }
    }

private slots:
    void everyWeightOfAMultiLayerNetwork()
    {
        int checked = 0, skipped = 0, nonzeroHidden = 0;
        for (std::uint64_t seed = 1; seed <= 12; ++seed)
            checkNetwork(seed, {12, 9, 7, 4}, seed % 3 != 0, checked, skipped, nonzeroHidden);
        qInfo("%d weight derivatives checked, %d skipped at causal-set boundaries, %d nonzero in hidden layers",
              checked, skipped, nonzeroHidden);
        QVERIFY(checked > 2000);
        QVERIFY(skipped * 10 < checked);
        QVERIFY(nonzeroHidden > 200);
    }

    void decisionTimeCostIsGammaTimesTheLabelsSpikeTime()
    {
        Vector z(3);
        z << 2.0, 5.0, std::numeric_limits<double>::infinity();
        Vector d = Vector::Zero(3);
        QCOMPARE(decisionTimeCost(z, 1, 0.4, &d), 0.4 * std::log(5.0));
        const double h = 1e-6;
        Vector zp = z, zm = z;
        zp[1] += h;
        zm[1] -= h;
        const double numeric = (decisionTimeCost(zp, 1, 0.4, nullptr) - decisionTimeCost(zm, 1, 0.4, nullptr)) / (2 * h);
        QVERIFY(std::abs(d[1] - numeric) < 1e-8);
        QCOMPARE(d[0], 0.0); // only the label's neuron
        Vector none = Vector::Zero(3);
        QCOMPARE(decisionTimeCost(z, 2, 0.4, &none), 0.0); // a silent label: nothing here
        QCOMPARE(none[2], 0.0);
        QCOMPARE(decisionTimeCost(z, 1, 0.0, &none), 0.0); // off
        QCOMPARE(none[1], 0.0);
    }

    void lossIsLogSumExpStable()
    {
        Vector z(3);
        z << 1000.0, 1001.0, kSilent;
        Vector d;
        const double loss = softmaxCrossEntropy(z, 1, 3000.0, d);
        // L = z_1 + log(exp(-z_0) + exp(-z_1) + exp(-z_horizon)) with the 1000 shifted out
        QVERIFY(std::abs(loss - (1.0 + std::log(1.0 + std::exp(-1.0)))) < 1e-12);
        QVERIFY(std::isfinite(d[0]) && std::isfinite(d[1]));
        QCOMPARE(d[2], 0.0); // a silent neuron has no gradient
        QVERIFY(std::abs(d.sum()) < 1e-12);
        // A silent label neuron is charged at the horizon, finitely.
        const double silentLabel = softmaxCrossEntropy(z, 2, 3000.0, d);
        QVERIFY(std::isfinite(silentLabel) && silentLabel > 1999.0);
    }

    void weightSumCostPushesSilentNeuronsUp()
    {
        std::vector<Matrix> w{Matrix::Constant(4, 2, 0.1)}; // column sums 0.4 < theta = 1
        w[0].col(1).setConstant(0.5);                       // column sum 2.0: no cost
        std::vector<Matrix> g{Matrix::Zero(4, 2)};
        const double cost = weightRegularization(w, 1.0, 100.0, 0.0, &g);
        QVERIFY(std::abs(cost - 100.0 * 0.6) < 1e-9);
        QVERIFY((g[0].col(0).array() == -100.0).all());
        QVERIFY((g[0].col(1).array() == 0.0).all());
    }
};

QTEST_APPLESS_MAIN(TestGradients)
#include "tst_gradients.moc"
