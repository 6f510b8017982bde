#include "SpikeNetwork.h"

#include "Random.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace firstspike {

int LayerActivity::silentCount() const
{
    int n = 0;
    for (Eigen::Index j = 0; j < spikeZ.size(); ++j)
        n += std::isinf(spikeZ[j]) ? 1 : 0;
    return n;
}

int ForwardPass::predictedClass() const
{
    if (layers.empty())
        return -1;
    const Vector &z = layers.back().spikeZ;
    int best = -1;
    double bestZ = kSilent;
    for (Eigen::Index k = 0; k < z.size(); ++k) {
        if (z[k] < bestZ) {
            bestZ = z[k];
            best = static_cast<int>(k);
        }
    }
    return best;
}

double ForwardPass::decisionZ() const
{
    if (layers.empty() || layers.back().spikeZ.size() == 0)
        return kSilent;
    return layers.back().spikeZ.minCoeff();
}

SpikeNetwork::SpikeNetwork(const NetworkConfig &config)
    : config_(config)
{
    if (config_.layerSizes.size() < 2)
        throw std::invalid_argument("a network needs at least an input and an output layer");
    for (int size : config_.layerSizes)
        if (size <= 0)
            throw std::invalid_argument("layer sizes must be positive");
    const int extra = config_.bias ? 1 : 0;
    for (int l = 0; l + 1 < static_cast<int>(config_.layerSizes.size()); ++l)
        weights_.emplace_back(Matrix::Zero(config_.layerSizes[l] + extra, config_.layerSizes[l + 1]));
}

std::size_t SpikeNetwork::parameterCount() const
{
    std::size_t n = 0;
    for (const Matrix &w : weights_)
        n += static_cast<std::size_t>(w.size());
    return n;
}

void SpikeNetwork::initializeUniform(std::uint64_t seed, double low, double high)
{
    Random rng(seed);
    for (Matrix &w : weights_) {
        const double n = static_cast<double>(w.rows());
        for (Eigen::Index i = 0; i < w.rows(); ++i)
            for (Eigen::Index j = 0; j < w.cols(); ++j)
                w(i, j) = rng.uniform(low / n, high / n);
    }
}

void SpikeNetwork::encode(const std::uint8_t *pixels, Vector &inputZ) const
{
    const int n = config_.inputSize();
    inputZ.resize(n);
    const EncodingConfig &e = config_.encoding;
    // The map from byte to z is fixed per network; a table avoids 784 exp() per sample.
    double table[256];
    for (int v = 0; v < 256; ++v) {
        const double x = v / 255.0;
        double t = 0.0;
        if (e.kind == InputEncoding::LinearLatency)
            t = e.latencyScale * (1.0 - x);
        else
            t = x >= e.binarizeThreshold ? 0.0 : e.binaryLateTime;
        table[v] = std::exp(t);
    }
    for (int i = 0; i < n; ++i)
        inputZ[i] = table[pixels[i]];
}

void SpikeNetwork::forward(const std::uint8_t *pixels, ForwardPass &pass) const
{
    encode(pixels, pass.inputZ);
    forwardEncoded(pass.inputZ, pass);
}

void SpikeNetwork::forwardEncoded(const Vector &inputZ, ForwardPass &pass) const
{
    if (inputZ.size() != config_.inputSize())
        throw std::invalid_argument("input size does not match the network's input layer");
    if (&pass.inputZ != &inputZ)
        pass.inputZ = inputZ;
    pass.layers.resize(weights_.size());
    const double maxZ = config_.maxSpikeZ();
    for (std::size_t l = 0; l < weights_.size(); ++l) {
        const Vector &in = l == 0 ? pass.inputZ : pass.layers[l - 1].spikeZ;
        forwardLayer(weights_[l], config_.bias, config_.threshold, maxZ, in, pass.layers[l]);
    }
}

void SpikeNetwork::forwardLayer(const Matrix &weights, bool bias, double threshold, double maxZ,
                                const Vector &inputZ, LayerActivity &out)
{
    const int fanIn = static_cast<int>(inputZ.size());
    const int nOut = static_cast<int>(weights.cols());

    // Sort the layer's inputs by arrival once; every neuron of the layer shares this order.
    out.inputOrder.clear();
    out.inputOrder.reserve(fanIn + 1);
    for (int i = 0; i < fanIn; ++i)
        if (std::isfinite(inputZ[i]))
            out.inputOrder.push_back(i);
    std::sort(out.inputOrder.begin(), out.inputOrder.end(), [&](int a, int b) {
        return inputZ[a] < inputZ[b] || (inputZ[a] == inputZ[b] && a < b);
    });
    if (bias) // z = 1 is the earliest possible arrival (t = 0), so the bias leads the order
        out.inputOrder.insert(out.inputOrder.begin(), fanIn);
    const int n = static_cast<int>(out.inputOrder.size());
    out.orderedZ.resize(n);
    for (int k = 0; k < n; ++k) {
        const int i = out.inputOrder[k];
        out.orderedZ[k] = i == fanIn ? 1.0 : inputZ[i];
    }
    // Ties: inputs with equal time form one step of the scan (MODEL.md, "Traps").
    out.groupEnd.clear();
    for (int k = 1; k <= n; ++k)
        if (k == n || out.orderedZ[k] != out.orderedZ[k - 1])
            out.groupEnd.push_back(k);

    out.spikeZ.setConstant(nOut, kSilent);
    out.denominator.setZero(nOut);
    out.causalSetSize.assign(nOut, 0);
    out.firedInGroup.assign(nOut, -1);

    thread_local Vector sumWZ, sumW; // A_k and B_k of MODEL.md, per neuron
    thread_local std::vector<int> alive;
    sumWZ.setZero(nOut);
    sumW.setZero(nOut);
    alive.resize(nOut);
    std::iota(alive.begin(), alive.end(), 0);
    double *A = sumWZ.data();
    double *B = sumW.data();

    int begin = 0;
    const int groups = static_cast<int>(out.groupEnd.size());
    for (int g = 0; g < groups && !alive.empty(); ++g) {
        const int end = out.groupEnd[g];
        const bool sparse = static_cast<int>(alive.size()) * 4 < nOut;
        for (int k = begin; k < end; ++k) {
            const double z = out.orderedZ[k];
            const double *w = weights.row(out.inputOrder[k]).data();
            if (sparse) { // few neurons left: touch only those still integrating
                for (int j : alive) {
                    A[j] += z * w[j];
                    B[j] += w[j];
                }
            } else {
                for (int j = 0; j < nOut; ++j) {
                    A[j] += z * w[j];
                    B[j] += w[j];
                }
            }
        }
        const double zNext = g + 1 < groups ? out.orderedZ[end] : kSilent;
        // Spike in this interval iff B_k > theta and A_k / (B_k - theta) <= z_next (MODEL.md).
        std::size_t kept = 0;
        for (std::size_t a = 0; a < alive.size(); ++a) {
            const int j = alive[a];
            const double d = B[j] - threshold;
            bool retire = false;
            if (d > 0.0) {
                const double zc = A[j] / d;
                if (zc <= zNext) {
                    retire = true;
                    if (zc <= maxZ) { // beyond the horizon the neuron counts as silent
                        out.spikeZ[j] = zc;
                        out.denominator[j] = d;
                        out.causalSetSize[j] = end;
                        out.firedInGroup[j] = g;
                    }
                }
            }
            if (!retire)
                alive[kept++] = j;
        }
        alive.resize(kept);
        begin = end;
    }
}

void SpikeNetwork::backward(const ForwardPass &pass, const Vector &dLossDzOut, std::vector<Matrix> &gradients,
                            BackwardWorkspace &ws, Vector *dLossDzInput) const
{
    const int L = layerCount();
    if (static_cast<int>(gradients.size()) != L)
        throw std::invalid_argument("gradient buffers do not match the network");
    ws.dLossDz.resize(L);
    ws.dLossDz[L - 1] = dLossDzOut;

    for (int l = L - 1; l >= 0; --l) {
        const LayerActivity &act = pass.layers[l];
        const Matrix &W = weights_[l];
        Matrix &grad = gradients[l];
        const int fanInSize = fanIn(l);
        const int nOut = fanOut(l);
        const bool needInput = l > 0 || dLossDzInput != nullptr;
        Vector *dIn = nullptr;
        if (needInput) {
            dIn = l > 0 ? &ws.dLossDz[l - 1] : dLossDzInput;
            dIn->setZero(fanInSize);
        }

        // g_j = dL/dz_j / (sum_C w - theta); dz_j/dw_ij = (z_i - z_j)/den, dz_j/dz_i = w_ij/den.
        ws.active.setZero(nOut);
        ws.activeZ.setZero(nOut);
        const Vector &up = ws.dLossDz[l];
        const int groups = static_cast<int>(act.groupEnd.size());
        ws.bucketStart.assign(groups + 1, 0);
        int activeCount = 0;
        for (int j = 0; j < nOut; ++j) {
            if (act.firedInGroup[j] < 0 || up[j] == 0.0)
                continue;
            const double g = up[j] / act.denominator[j];
            ws.active[j] = g;
            ws.activeZ[j] = g * act.spikeZ[j];
            ++ws.bucketStart[act.firedInGroup[j] + 1];
            ++activeCount;
        }
        if (activeCount == 0)
            continue;
        // Counting sort of the active neurons by the group that closes their causal set.
        for (int g = 0; g < groups; ++g)
            ws.bucketStart[g + 1] += ws.bucketStart[g];
        ws.bucketNeurons.resize(activeCount);
        {
            std::vector<int> fill(ws.bucketStart.begin(), ws.bucketStart.end() - 1);
            for (int j = 0; j < nOut; ++j)
                if (ws.active[j] != 0.0)
                    ws.bucketNeurons[fill[act.firedInGroup[j]]++] = j;
        }

        double *G = ws.active.data();
        double *GZ = ws.activeZ.data();
        int begin = 0;
        for (int g = 0; g < groups && activeCount > 0; ++g) {
            const int end = act.groupEnd[g];
            for (int k = begin; k < end; ++k) {
                const int i = act.inputOrder[k];
                const double zi = act.orderedZ[k];
                double *gr = grad.row(i).data();
                for (int j = 0; j < nOut; ++j)
                    gr[j] += zi * G[j] - GZ[j];
                if (dIn && i < fanInSize)
                    (*dIn)[i] = W.row(i).dot(ws.active.transpose());
            }
            for (int b = ws.bucketStart[g]; b < ws.bucketStart[g + 1]; ++b) {
                const int j = ws.bucketNeurons[b];
                G[j] = 0.0;
                GZ[j] = 0.0;
                --activeCount;
            }
            begin = end;
        }
    }
}

} // namespace firstspike
