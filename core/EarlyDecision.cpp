#include "EarlyDecision.h"

#include "FiringScreen.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace firstspike {

namespace {

using Layer = EarlyDecisionWorkspace::Layer;

// Tests the interval after the last integrated group: a neuron fires at z = A/(B - theta) if
// that is no later than `limit` (the next arrival, or the earliest time any further input can
// arrive). Spikes within the horizon are appended to layer.emitted in (z, index) order.
void checkInterval(Layer &layer, double threshold, double maxZ, double limit)
{
    layer.emitted.clear();
    const int n = static_cast<int>(layer.A.size());
    const double *A = layer.A.data();
    const double *B = layer.B.data();
    double *M = layer.alive.data();
    forEachFiringCandidate(A, B, M, n, threshold, limit, layer.flags, [&](int j) {
        const double zc = A[j] / (B[j] - threshold);
        if (!(zc <= limit))
            return;
        M[j] = 0.0;
        --layer.aliveCount;
        if (zc <= maxZ)
            layer.emitted.emplace_back(zc, j);
    });
    std::sort(layer.emitted.begin(), layer.emitted.end());
    layer.spikes += static_cast<int>(layer.emitted.size());
}

// Integrates every complete group among the first `received` arrivals and checks each interval
// as far as the known arrivals allow. `frontier`: no arrival not yet received comes before it
// (+inf when the stream is complete). Emitted spikes are appended to `out`.
void advance(Layer &layer, int received, const Matrix &w, const Vector &columnSums, double threshold, double maxZ,
             double frontier, bool frontierIsNextArrival, std::vector<std::pair<double, int>> &out,
             bool stopAtFirstSpike)
{
    const int nOut = static_cast<int>(w.cols());
    for (;;) {
        if (layer.checkPending) {
            const bool exact = layer.integrated < received || std::isinf(frontier) || frontierIsNextArrival;
            const double limit = layer.integrated < received ? layer.z[layer.integrated] : frontier;
            checkInterval(layer, threshold, maxZ, limit);
            out.insert(out.end(), layer.emitted.begin(), layer.emitted.end());
            if (stopAtFirstSpike && !out.empty())
                return;
            if (!exact)
                return; // wait: the interval may still be cut short by an arrival
            layer.checkPending = false;
        }
        if (layer.integrated >= received || layer.aliveCount == 0)
            return;
        const int begin = layer.integrated;
        int end = begin;
        while (end < received && layer.z[end] == layer.z[begin])
            ++end;
        if (end == received && !(layer.z[begin] < frontier))
            return; // an arrival not yet received could still join this group (a tie)
        double *A = layer.A.data();
        double *B = layer.B.data();
        // As SpikeNetwork::scanLayer: when every input arrives, the closing group through the
        // column sums (same numbers, so the same spikes).
        if (std::isinf(frontier) && end == received && received == w.rows() && end - begin > 4) {
            const double z = layer.z[begin];
            const double *S = columnSums.data();
            for (int j = 0; j < nOut; ++j) {
                A[j] += z * (S[j] - B[j]);
                B[j] = S[j];
            }
        } else {
            accumulateRows(w.data(), w.outerStride(), layer.order.data() + begin, layer.z.data() + begin, end - begin, A,
                           B, nOut);
        }
        layer.integrated = end;
        layer.checkPending = true;
    }
}

} // namespace

EarlyDecision classifyEarly(const SpikeNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace &ws)
{
    if (!net.prepared())
        throw std::logic_error("classifyEarly needs a prepared network (SpikeNetwork::prepare)");
    const NetworkConfig &cfg = net.config();
    const int L = net.layerCount();
    const double theta = cfg.threshold, maxZ = cfg.maxSpikeZ();
    EarlyDecision result;
    result.spikesBeforeDecision.assign(L, 0);

    // Layer 0's arrivals are all known up front: the same order as forward() (counting sort).
    net.orderInput(pixels, ws.inputOrder);
    ws.layers.resize(L);
    for (int l = 0; l < L; ++l) {
        Layer &layer = ws.layers[l];
        const int nOut = net.fanOut(l);
        layer.order.clear();
        layer.z.clear();
        if (l == 0) {
            layer.order = ws.inputOrder.inputOrder;
            layer.z = ws.inputOrder.orderedZ;
        } else if (cfg.bias) {
            layer.order.push_back(net.fanIn(l)); // the bias leads, at z = 1
            layer.z.push_back(1.0);
        }
        layer.integrated = 0;
        layer.checkPending = false;
        layer.A.setZero(nOut);
        layer.B.setZero(nOut);
        layer.alive.setOnes(nOut);
        layer.aliveCount = nOut;
        layer.spikes = 0;
    }

    // Release the input arrivals one group at a time; after each release every downstream
    // layer catches up as far as its upstream frontier allows. Stop at the first output spike.
    const std::vector<Matrix> &weights = net.allWeights();
    const std::vector<Vector> &sums = net.cachedColumnSums();
    const int inputCount = static_cast<int>(ws.layers[0].order.size());
    std::vector<std::pair<double, int>> emitted;
    int released = 0;
    for (bool last = false; !last;) {
        if (released < inputCount) {
            const double z = ws.layers[0].z[released];
            while (released < inputCount && ws.layers[0].z[released] == z)
                ++released;
        }
        last = released >= inputCount;
        // Nothing not yet released arrives before the next arrival of the input layer.
        double frontier = last ? kSilent : ws.layers[0].z[released];
        for (int l = 0; l < L; ++l) {
            Layer &layer = ws.layers[l];
            const int received = l == 0 ? released : static_cast<int>(layer.order.size());
            emitted.clear();
            // The input layer's frontier is its own next arrival, known exactly.
            advance(layer, received, weights[l], sums[l], theta, maxZ, frontier, l == 0, emitted, l + 1 == L);
            if (l + 1 == L) {
                if (!emitted.empty()) {
                    result.predictedClass = emitted.front().second;
                    result.decisionZ = emitted.front().first;
                    break;
                }
            } else {
                Layer &next = ws.layers[l + 1];
                for (const auto &[z, j] : emitted) {
                    next.order.push_back(j);
                    next.z.push_back(z);
                }
            }
            // Every spike of this layer before `frontier` is out; a finished layer emits no more.
            if (layer.aliveCount == 0)
                frontier = kSilent;
        }
        if (result.predictedClass >= 0 || ws.layers.back().aliveCount == 0)
            break;
    }
    result.inputsIntegrated = ws.layers[0].integrated;
    for (int l = 0; l < L; ++l)
        result.spikesBeforeDecision[l] = ws.layers[l].spikes;
    return result;
}

} // namespace firstspike
