// The dense MLP that `firstspike-cli bench` measures the spiking trainer against: its gradient
// is the gradient of its loss (central differences), its column-split threads take the same
// steps as one thread, and it learns. A reference that computed something else would make the
// speed comparison meaningless.

#include "core/baseline/DenseMlp.h"
#include "core/baseline/MlpRun.h"
#include "tests/common/EmbeddedSubset.h"
#include "core/data/IdxReader.h"
#include "core/common/Random.h"

#include <QtTest>

#include <cmath>
#include <numeric>

using namespace firstspike;

namespace {

const Dataset &digits()
{
    static const DataSplit full = loadEmbeddedMnist();
    return full.train;
}

std::vector<int> firstIndices(int n)
{
    std::vector<int> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}

} // namespace

class TestDenseMlp : public QObject {
    Q_OBJECT

private slots:
    void gradientIsTheLossGradient()
    {
        for (const std::vector<int> &sizes : {std::vector<int>{784, 16, 10}, std::vector<int>{784, 12, 9, 10}}) {
            DenseMlp mlp(sizes, 1, 3);
            const std::vector<int> batch = firstIndices(6);
            std::vector<Matrix> g;
            mlp.lossAndGradient(digits(), batch.data(), 6, &g);
            QCOMPARE(g.size(), mlp.weights().size());
            Random rng(5);
            int checked = 0;
            std::vector<Matrix> weights = mlp.weights();
            for (std::size_t l = 0; l < g.size(); ++l) {
                Matrix &w = weights[l];
                QCOMPARE(g[l].rows(), w.rows());
                QCOMPARE(g[l].cols(), w.cols());
                for (int k = 0; k < 40; ++k) {
                    // Rows of lit pixels, the bias row and hidden rows (pixels that are black in
                    // every sample have a zero gradient, also checked).
                    const Eigen::Index i = k < 10 ? w.rows() - 1 - k % 3 : static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(w.rows())));
                    const Eigen::Index j = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(w.cols())));
                    const double keep = w(i, j), h = 1e-6;
                    w(i, j) = keep + h;
                    mlp.setWeights(weights);
                    const double up = mlp.lossAndGradient(digits(), batch.data(), 6, nullptr);
                    w(i, j) = keep - h;
                    mlp.setWeights(weights);
                    const double down = mlp.lossAndGradient(digits(), batch.data(), 6, nullptr);
                    w(i, j) = keep;
                    mlp.setWeights(weights);
                    const double fd = (up - down) / (2 * h);
                    QVERIFY2(std::abs(fd - g[l](i, j)) <= 1e-6 + 1e-4 * std::abs(fd),
                             qPrintable(QString("layer %1 (%2, %3): analytic %4, central difference %5")
                                            .arg(l).arg(i).arg(j).arg(g[l](i, j)).arg(fd)));
                    checked += g[l](i, j) != 0.0 ? 1 : 0;
                }
            }
            QVERIFY(checked > 40); // most entries checked were not trivially zero
        }
    }

    void weightsRoundTripOnEveryThreadCount()
    {
        // On several threads the first layer's weights are held per thread (its columns):
        // weights() must give back what setWeights() stored, and the loss must be that of the
        // same weights on one thread. A wrong shape is refused.
        const std::vector<int> sizes{784, 96, 10};
        DenseMlp one(sizes, 1, 2);
        std::vector<Matrix> w = one.weights();
        Random rng(9);
        for (Matrix &m : w)
            for (Eigen::Index k = 0; k < m.size(); ++k)
                m.data()[k] = rng.uniform(-0.1, 0.1);
        one.setWeights(w);
        const std::vector<int> batch = firstIndices(8);
        const double reference = one.lossAndGradient(digits(), batch.data(), 8, nullptr);
        for (int threads : {2, 3}) {
            DenseMlp mlp(sizes, threads, 7);
            mlp.setWeights(w);
            const std::vector<Matrix> back = mlp.weights();
            QCOMPARE(back.size(), w.size());
            for (std::size_t l = 0; l < w.size(); ++l)
                QVERIFY(back[l] == w[l]);
            QVERIFY(std::abs(mlp.lossAndGradient(digits(), batch.data(), 8, nullptr) - reference) < 1e-12);
            std::vector<Matrix> wrong = w;
            wrong[0].resize(10, 96);
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, mlp.setWeights(wrong));
        }
    }

    void threadsTakeTheSameSteps()
    {
        // 96 and 100/70 hidden neurons: split by columns on 2 threads (>= 32 per thread), the
        // output layer by rows; 3 threads split the 96 by rows too.
        for (const std::vector<int> &sizes : {std::vector<int>{784, 96, 10}, std::vector<int>{784, 100, 70, 10}}) {
            std::vector<Matrix> reference;
            std::vector<double> referenceLoss;
            for (int threads : {1, 2, 3}) {
                DenseMlp mlp(sizes, threads, 11);
                const std::vector<int> order = firstIndices(60);
                std::vector<double> losses;
                for (int step = 0; step < 6; ++step)
                    losses.push_back(mlp.trainBatch(digits(), order.data() + 10 * step, 10));
                if (threads == 1) {
                    reference = mlp.weights();
                    referenceLoss = losses;
                    continue;
                }
                for (std::size_t l = 0; l < reference.size(); ++l) {
                    const double diff = (mlp.weights()[l] - reference[l]).cwiseAbs().maxCoeff();
                    QVERIFY2(diff < 1e-9, qPrintable(QString("%1 threads, layer %2: weights differ by %3").arg(threads).arg(l).arg(diff)));
                }
                for (std::size_t s = 0; s < losses.size(); ++s)
                    QVERIFY(std::abs(losses[s] - referenceLoss[s]) < 1e-9);
            }
            QVERIFY(referenceLoss.back() < referenceLoss.front()); // it moved
        }
    }

    void learnsAndReportsTheLossBeforeTheStep()
    {
        DenseMlp mlp({784, 64, 10}, 2, 7);
        const std::vector<int> order = firstIndices(1000);
        const double before = mlp.lossAndGradient(digits(), order.data(), 10, nullptr);
        QCOMPARE(mlp.trainBatch(digits(), order.data(), 10), before);
        double first = 0.0, last = 0.0;
        for (int epoch = 0; epoch < 3; ++epoch)
            for (int b = 0; b < 100; ++b) {
                const double loss = mlp.trainBatch(digits(), order.data() + 10 * b, 10);
                if (epoch == 0 && b < 10)
                    first += loss / 10;
                if (epoch == 2 && b >= 90)
                    last += loss / 10;
            }
        QVERIFY2(last < 0.5 * first, qPrintable(QString("mean loss %1 -> %2").arg(first).arg(last)));
        QVERIFY(std::isfinite(last));
    }

    // The reference run (train --model mlp): the test accuracy it reports is the best
    // validation epoch's, or the last epoch's without restoreBest (as the Trainer's final
    // weights); without a validation part the selection falls back to training accuracy.
    void runReportsTheSelectedEpoch()
    {
        const auto data = test::embeddedSubset(600, 300);
        TrainConfig tc;
        tc.epochs = 8;
        tc.threads = 2;
        tc.validationFraction = 0.2;
        tc.patience = 0;
        tc.optimizer.learningRate = 0.02; // noisy enough that the best epoch is not the last
        const MlpRunResult best = runDenseMlp(*data, {784, 32, 10}, tc);
        QCOMPARE(static_cast<int>(best.history.size()), 8);
        QCOMPARE(best.threads, 2);
        QVERIFY2(best.bestEpoch >= 1 && best.bestEpoch < 8, "the case needs a best epoch before the last");
        const MlpEpochMetrics &chosen = best.history[static_cast<std::size_t>(best.bestEpoch - 1)];
        QVERIFY(chosen.testAccuracy != best.history.back().testAccuracy);
        for (const MlpEpochMetrics &m : best.history)
            QVERIFY(m.validationAccuracy <= chosen.validationAccuracy);
        QCOMPARE(best.testAccuracy, chosen.testAccuracy);

        tc.restoreBest = false; // the same run (same seed and threads), the last epoch reported
        const MlpRunResult last = runDenseMlp(*data, {784, 32, 10}, tc);
        QCOMPARE(last.bestEpoch, best.bestEpoch);
        QCOMPARE(last.testAccuracy, last.history.back().testAccuracy);

        // Without a validation part the selection is by training accuracy.
        tc.validationFraction = 0.0;
        tc.restoreBest = true;
        const MlpRunResult byTraining = runDenseMlp(*data, {784, 32, 10}, tc);
        const MlpEpochMetrics &picked = byTraining.history[static_cast<std::size_t>(byTraining.bestEpoch - 1)];
        for (const MlpEpochMetrics &m : byTraining.history) {
            QVERIFY(std::isnan(m.validationAccuracy));
            QVERIFY(m.trainAccuracy <= picked.trainAccuracy);
        }
        QCOMPARE(byTraining.testAccuracy, picked.testAccuracy);
    }
};

QTEST_GUILESS_MAIN(TestDenseMlp)
#include "tst_densemlp.moc"
