#include "EarlyDecision.h"

#include "FiringScreen.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace firstspike {

namespace {

void insertionSort(std::pair<double, int> *e, std::size_t n)
{
    for (std::size_t k = 1; k < n; ++k)
        for (std::size_t i = k; i > 0 && e[i] < e[i - 1]; --i)
            std::swap(e[i], e[i - 1]);
}

} // namespace

// Spikes in (z, index) order. Most checks emit a few (an insertion sort); the interval after a
// large group may emit a hundred or more: distributed over as many buckets by z (a monotone map,
// so the buckets are in z order and equal z share one), each bucket then sorted by insertion,
// O(n) for spread-out times instead of std::sort's O(n log n).
void sortSpikes(std::vector<std::pair<double, int>> &e, std::vector<std::pair<double, int>> &scratch,
                std::vector<int> &start)
{
    const std::size_t n = e.size();
    if (n <= 16) {
        insertionSort(e.data(), n);
        return;
    }
    // Buckets by the bits of z (spike z are positive, where the IEEE-754 bits order as the
    // values do): about logarithmic in z, so a few late spikes do not crowd the early ones into
    // one bucket.
    auto bits = [](double z) {
        std::uint64_t b;
        std::memcpy(&b, &z, sizeof b);
        return b;
    };
    std::uint64_t lo = bits(e[0].first), hi = lo;
    for (const auto &p : e) {
        if (!(p.first > 0.0)) { // not a spike time; cannot happen, but stay correct
            std::sort(e.begin(), e.end());
            return;
        }
        lo = std::min(lo, bits(p.first));
        hi = std::max(hi, bits(p.first));
    }
    const double scale = static_cast<double>(n) / (static_cast<double>(hi - lo) + 1.0);
    auto bucket = [&](double z) {
        return std::min(n - 1, static_cast<std::size_t>(static_cast<double>(bits(z) - lo) * scale));
    };
    start.assign(n + 1, 0);
    for (const auto &p : e)
        ++start[bucket(p.first) + 1];
    for (std::size_t b = 0; b < n; ++b)
        start[b + 1] += start[b];
    scratch.resize(n);
    for (const auto &p : e)
        scratch[static_cast<std::size_t>(start[bucket(p.first)]++)] = p;
    // start[b] is now the end of bucket b.
    std::size_t begin = 0;
    for (std::size_t b = 0; b < n; ++b) {
        const std::size_t end = static_cast<std::size_t>(start[b]);
        if (end - begin > 32)
            std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(begin), scratch.begin() + static_cast<std::ptrdiff_t>(end));
        else
            insertionSort(scratch.data() + begin, end - begin);
        begin = end;
    }
    e.swap(scratch);
}

namespace {

using Layer = EarlyDecisionWorkspace::Layer;

// The exact test for candidate j: it fires at zc = A/(B - theta) if that is no later than limit.
inline void fireIfDue(Layer &layer, int j, double threshold, double maxZ, double limit)
{
    const double zc = layer.A[j] / (layer.B[j] - threshold);
    if (!(zc <= limit))
        return;
    layer.alive[j] = 0.0;
    layer.B[j] = -std::numeric_limits<double>::infinity(); // as accumulateGroupAndScreen requires
    --layer.aliveCount;
    if (zc <= maxZ)
        layer.emitted.emplace_back(zc, j);
}

void finishCheck(Layer &layer)
{
    sortSpikes(layer.emitted, layer.sortScratch, layer.bucketStart);
    layer.spikes += static_cast<int>(layer.emitted.size());
}

// Tests the interval after the last integrated group: a neuron fires at z = A/(B - theta) if
// that is no later than `limit` (the next arrival, or the earliest time any further input can
// arrive). Spikes within the horizon are appended to layer.emitted in (z, index) order.
void checkInterval(Layer &layer, double threshold, double maxZ, double limit)
{
    layer.emitted.clear();
    const int n = static_cast<int>(layer.A.size());
    forEachFiringCandidate(layer.A.data(), layer.B.data(), layer.alive.data(), n, threshold, limit, layer.flags,
                           [&](int j) { fireIfDue(layer, j, threshold, maxZ, limit); });
    finishCheck(layer);
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
            foldClosingGroup(layer.z[begin], columnSums.data(), layer.alive.data(), A, B, nOut);
        } else if (frontierIsNextArrival || end < received) {
            // The interval after this group ends at the next arrival, known now (a later arrival
            // is already received, or the input layer's frontier is its next arrival): the group
            // and its check in one pass, as checkPending would run it (exact, so not pending).
            const double limit = end < received ? layer.z[end] : frontier;
            layer.emitted.clear();
            double *M = layer.alive.data();
            accumulateGroupAndScreen(w.data(), w.outerStride(), layer.order.data() + begin, layer.z[begin], end - begin,
                                     A, B, M, nOut, layer.groupSum.data(), threshold, limit, layer.flags,
                                     [&](int j) { fireIfDue(layer, j, threshold, maxZ, limit); });
            finishCheck(layer);
            layer.integrated = end;
            out.insert(out.end(), layer.emitted.begin(), layer.emitted.end());
            if (stopAtFirstSpike && !out.empty())
                return;
            continue;
        } else {
            accumulateGroup(w.data(), w.outerStride(), layer.order.data() + begin, layer.z[begin], end - begin, A, B,
                            nOut, layer.groupSum.data());
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
        layer.groupSum.resize(nOut);
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
