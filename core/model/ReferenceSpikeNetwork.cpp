#include "core/model/ReferenceSpikeNetwork.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace firstspike::reference {

NeuronSpike neuronSpike(const std::vector<double> &inputZ, const std::vector<double> &weights, double threshold,
                        double maxZ)
{
    std::vector<int> idx;
    for (int i = 0; i < static_cast<int>(inputZ.size()); ++i)
        if (std::isfinite(inputZ[i]))
            idx.push_back(i);
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return inputZ[a] < inputZ[b]; });
    double a = 0.0, b = 0.0;
    std::size_t k = 0;
    while (k < idx.size()) {
        // Add the whole group of inputs arriving at the same time.
        const double zk = inputZ[idx[k]];
        while (k < idx.size() && inputZ[idx[k]] == zk) {
            a += weights[idx[k]] * inputZ[idx[k]];
            b += weights[idx[k]];
            ++k;
        }
        const double zNext = k < idx.size() ? inputZ[idx[k]] : kSilent;
        if (b > threshold) {
            const double z = a / (b - threshold);
            if (z <= zNext) {
                if (z > maxZ)
                    return {};
                return {z, static_cast<int>(k), b - threshold};
            }
        }
    }
    return {};
}

std::vector<std::vector<NeuronSpike>> forward(const SpikeNetwork &net, const Vector &inputZ)
{
    const bool bias = net.config().bias;
    std::vector<std::vector<NeuronSpike>> out;
    std::vector<double> in(inputZ.data(), inputZ.data() + inputZ.size());
    for (int l = 0; l < net.layerCount(); ++l) {
        const Matrix &w = net.weights(l);
        std::vector<double> z = in;
        if (bias)
            z.push_back(1.0);
        std::vector<NeuronSpike> layer;
        for (Eigen::Index j = 0; j < w.cols(); ++j) {
            std::vector<double> col(w.rows());
            for (Eigen::Index i = 0; i < w.rows(); ++i)
                col[i] = w(i, j);
            layer.push_back(neuronSpike(z, col, net.config().threshold, net.config().maxSpikeZ()));
        }
        in.clear();
        for (const NeuronSpike &s : layer)
            in.push_back(s.z);
        out.push_back(std::move(layer));
    }
    return out;
}

std::vector<Matrix> backward(const SpikeNetwork &net, const Vector &inputZ,
                             const std::vector<std::vector<NeuronSpike>> &spikes, const Vector &dLossDzOut)
{
    const bool bias = net.config().bias;
    std::vector<Matrix> grads;
    for (const Matrix &w : net.allWeights())
        grads.push_back(Matrix::Zero(w.rows(), w.cols()));
    std::vector<double> up(dLossDzOut.data(), dLossDzOut.data() + dLossDzOut.size());
    for (int l = net.layerCount() - 1; l >= 0; --l) {
        const Matrix &w = net.weights(l);
        std::vector<double> z;
        if (l == 0)
            z.assign(inputZ.data(), inputZ.data() + inputZ.size());
        else
            for (const NeuronSpike &s : spikes[l - 1])
                z.push_back(s.z);
        const int fanIn = static_cast<int>(z.size());
        if (bias)
            z.push_back(1.0);
        std::vector<double> down(fanIn, 0.0);
        for (Eigen::Index j = 0; j < w.cols(); ++j) {
            const NeuronSpike &s = spikes[l][j];
            if (!std::isfinite(s.z) || up[j] == 0.0)
                continue;
            // The causal set: the causalSetSize earliest inputs (ties broken by index).
            std::vector<int> idx;
            for (int i = 0; i < static_cast<int>(z.size()); ++i)
                if (std::isfinite(z[i]))
                    idx.push_back(i);
            std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return z[a] < z[b]; });
            for (int k = 0; k < s.causalSetSize; ++k) {
                const int i = idx[k];
                grads[l](i, j) += up[j] * (z[i] - s.z) / s.denominator;   // dz_out/dw_i
                if (i < fanIn)
                    down[i] += up[j] * w(i, j) / s.denominator;            // dz_out/dz_i
            }
        }
        up = down;
    }
    return grads;
}

} // namespace firstspike::reference
