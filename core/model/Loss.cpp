#include "core/model/Loss.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace firstspike {

double softmaxCrossEntropy(const Vector &outputZ, int label, double horizonZ, Vector &dLossDz)
{
    const Eigen::Index n = outputZ.size();
    if (label < 0 || label >= n)
        throw std::out_of_range("label outside the output layer");
    dLossDz.setZero(n);
    double minZ = horizonZ;
    for (Eigen::Index k = 0; k < n; ++k)
        minZ = std::min(minZ, std::isinf(outputZ[k]) ? horizonZ : outputZ[k]);
    double sum = 0.0;
    for (Eigen::Index k = 0; k < n; ++k) {
        const double z = std::isinf(outputZ[k]) ? horizonZ : outputZ[k];
        sum += std::exp(-(z - minZ)); // the winner contributes exp(0) = 1, so sum >= 1
    }
    const double labelZ = std::isinf(outputZ[label]) ? horizonZ : outputZ[label];
    const double loss = (labelZ - minZ) + std::log(sum);
    for (Eigen::Index k = 0; k < n; ++k) {
        if (std::isinf(outputZ[k]))
            continue;
        const double p = std::exp(-(outputZ[k] - minZ)) / sum;
        dLossDz[k] = (k == label ? 1.0 : 0.0) - p;
    }
    return loss;
}

double weightRegularization(const std::vector<Matrix> &weights, double threshold, double weightSumK,
                            double l2K, std::vector<Matrix> *gradients, double scale)
{
    double cost = 0.0;
    for (std::size_t l = 0; l < weights.size(); ++l) {
        const Matrix &w = weights[l];
        if (weightSumK != 0.0) {
            const Eigen::RowVectorXd sums = w.colwise().sum();
            for (Eigen::Index j = 0; j < w.cols(); ++j) {
                const double deficit = threshold - sums[j];
                if (deficit > 0.0) {
                    cost += weightSumK * deficit;
                    if (gradients)
                        (*gradients)[l].col(j).array() -= scale * weightSumK;
                }
            }
        }
        if (l2K != 0.0) {
            cost += 0.5 * l2K * w.squaredNorm();
            if (gradients)
                (*gradients)[l] += (scale * l2K) * w;
        }
    }
    return cost;
}

double decisionTimeCost(const Vector &outputZ, int label, double gamma, Vector *dLossDz)
{
    if (gamma == 0.0 || label < 0 || label >= outputZ.size())
        return 0.0;
    const double z = outputZ[label];
    if (!std::isfinite(z))
        return 0.0;
    if (dLossDz)
        (*dLossDz)[label] += gamma / z;
    return gamma * std::log(z);
}

} // namespace firstspike
