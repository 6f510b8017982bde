#include "core/model/EarlyDecision.h"

#include "core/model/FiringScreen.h"
#include "core/model/SpikeOrder.h"

#include <algorithm>
#include <bit>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace firstspike {

namespace {

constexpr std::size_t kRankSortMax = 64;

// For short runs of equal z (put in index order), and the fallback for keys that are not spike
// times (a NaN: std::sort needs a strict weak order; this ends whatever the compares say).
void insertionSort(std::pair<double, int> *e, std::size_t n)
{
    for (std::size_t k = 1; k < n; ++k) {
        const std::pair<double, int> x = e[k];
        std::size_t i = k;
        for (; i > 0 && x < e[i - 1]; --i)
            e[i] = e[i - 1];
        e[i] = x;
    }
}

// Up to kRankSortMax pairs: each one's rank counted against all others, then placed. O(n^2)
// compares, but branch-free ones that vectorise, where an insertion sort's data-dependent
// branches mispredict (this was a fifth of the early exit's time). Equal pairs are told apart by
// position, so the ranks are a permutation. False (untouched) for a NaN z.
bool rankSort(std::vector<std::pair<double, int>> &e, std::vector<std::pair<double, int>> &scratch)
{
    const std::size_t n = e.size();
    alignas(64) double z[kRankSortMax];
    alignas(64) std::int64_t key[kRankSortMax]; // index, then position
    for (std::size_t i = 0; i < n; ++i) {
        z[i] = e[i].first;
        if (std::isnan(z[i]))
            return false;
        key[i] = static_cast<std::int64_t>(e[i].second) * static_cast<std::int64_t>(kRankSortMax) + static_cast<std::int64_t>(i);
    }
    scratch.resize(n);
#if defined(__AVX512F__)
    // Eight compares at a time; the lanes past n are masked off.
    const std::size_t chunks = (n + 7) / 8;
    const auto lastMask = static_cast<__mmask8>(0xFFu >> (8 * chunks - n));
    for (std::size_t i = n; i < 8 * chunks; ++i) { // never compared; set so that no lane is read unset
        z[i] = 0.0;
        key[i] = 0;
    }
    for (std::size_t i = 0; i < n; ++i) {
        const __m512d zi = _mm512_set1_pd(z[i]);
        const __m512i ki = _mm512_set1_epi64(key[i]);
        unsigned rank = 0;
        for (std::size_t c = 0; c < chunks; ++c) {
            const __mmask8 valid = c + 1 < chunks ? __mmask8(0xFF) : lastMask;
            const __m512d zc = _mm512_load_pd(z + 8 * c);
            const __mmask8 lt = _mm512_mask_cmp_pd_mask(valid, zc, zi, _CMP_LT_OQ);
            const __mmask8 eq = _mm512_mask_cmp_pd_mask(valid, zc, zi, _CMP_EQ_OQ);
            const __mmask8 before = _mm512_mask_cmplt_epi64_mask(eq, _mm512_load_si512(key + 8 * c), ki);
            rank += static_cast<unsigned>(std::popcount(static_cast<unsigned>(lt | before)));
        }
        scratch[rank] = e[i];
    }
#else
    for (std::size_t i = 0; i < n; ++i) {
        const double zi = z[i];
        const std::int64_t ki = key[i];
        std::int64_t rank = 0;
        for (std::size_t j = 0; j < n; ++j)
            rank += (z[j] < zi) | ((z[j] == zi) & (key[j] < ki));
        scratch[static_cast<std::size_t>(rank)] = e[i];
    }
#endif
    e.swap(scratch);
    return true;
}

} // namespace

// Spikes in (z, index) order. Most checks emit a few (a rank sort); the interval after the last
// input emits hundreds (most of the hidden neurons still alive; the output layer then uses about
// two thirds of them before it decides): a stable sort of z's bits (monotone for z > 0) with the
// spikes' positions (stableSortByKey, as the forward pass orders its arrivals), the spikes
// gathered in that order, then each run of equal z put in index order (the spikes may come in
// any order; equal times are rare).
void sortSpikes(std::vector<std::pair<double, int>> &e, std::vector<std::pair<double, int>> &scratch, KeySort &sort)
{
    const std::size_t n = e.size();
    if (n <= 1)
        return;
    if (n <= kRankSortMax) {
        if (!rankSort(e, scratch))
            insertionSort(e.data(), n);
        return;
    }
    if (n > static_cast<std::size_t>(std::numeric_limits<int>::max())) { // positions are ints
        std::sort(e.begin(), e.end());
        return;
    }
    sort.keys.resize(n);
    sort.idx.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double z = e[i].first;
        if (!(z > 0.0)) { // not a spike time (bits not monotone, or NaN); cannot happen
            if (std::isnan(z))
                insertionSort(e.data(), n);
            else
                std::sort(e.begin(), e.end());
            return;
        }
        std::memcpy(&sort.keys[i], &z, sizeof z);
        sort.idx[i] = static_cast<int>(i);
    }
    stableSortByKey(sort);
    scratch.resize(n);
    for (std::size_t k = 0; k < n; ++k)
        scratch[k] = e[static_cast<std::size_t>(sort.idx[k])];
    for (std::size_t a = 0, b = 0; a < n; a = b) {
        for (b = a + 1; b < n && sort.keys[b] == sort.keys[a]; ++b) {
        }
        if (b - a > 16)
            std::sort(scratch.begin() + static_cast<std::ptrdiff_t>(a), scratch.begin() + static_cast<std::ptrdiff_t>(b));
        else if (b - a > 1)
            insertionSort(scratch.data() + a, b - a);
    }
    e.swap(scratch);
}

namespace {

template <typename T>
using Layer = typename EarlyDecisionWorkspaceOf<T>::Layer;

template <typename T>
using LayerWeights = typename EarlyDecisionWorkspaceOf<T>::Weights;

// The exact test for candidate j: it fires at zc = A/(B - theta) if that is no later than limit.
template <typename T>
inline void fireIfDue(Layer<T> &layer, int j, T threshold, T maxZ, T limit)
{
    const T zc = layer.A[j] / (layer.B[j] - threshold);
    if (!(zc <= limit))
        return;
    layer.alive[j] = T(0);
    layer.B[j] = -std::numeric_limits<T>::infinity(); // as accumulateGroupAndScreen requires
    --layer.aliveCount;
    if (zc <= maxZ)
        layer.emitted.emplace_back(static_cast<double>(zc), j);
}

// A check's spikes of a single-precision layer as one distinct integer key each, in (z, index)
// order: z is a positive float and each neuron spikes once, so (z's bits << 32 | index). False
// if a z is not positive (its bits would not be in order; sortSpikes handles it).
bool packFloatSpikes(const std::vector<std::pair<double, int>> &e, std::uint64_t *key)
{
    for (std::size_t i = 0; i < e.size(); ++i) {
        const float z = static_cast<float>(e[i].first); // exact: z came from a float
        if (!(z > 0.0f))
            return false;
        std::uint32_t bits;
        std::memcpy(&bits, &z, sizeof bits);
        key[i] = (static_cast<std::uint64_t>(bits) << 32) | static_cast<std::uint32_t>(e[i].second);
    }
    return true;
}

#if defined(__AVX512F__)
// Up to kRankSortMax of them ranked by their keys, eight compares an instruction.
bool rankSortFloatSpikes(std::vector<std::pair<double, int>> &e, std::vector<std::pair<double, int>> &scratch)
{
    const std::size_t n = e.size();
    alignas(64) std::uint64_t key[kRankSortMax];
    if (!packFloatSpikes(e, key))
        return false;
    const std::size_t chunks = (n + 7) / 8;
    for (std::size_t i = n; i < 8 * chunks; ++i)
        key[i] = ~std::uint64_t{0}; // after every key: never counted
    scratch.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const __m512i ki = _mm512_set1_epi64(static_cast<long long>(key[i]));
        unsigned rank = 0;
        for (std::size_t c = 0; c < chunks; ++c)
            rank += static_cast<unsigned>(
                std::popcount(static_cast<unsigned>(_mm512_cmplt_epu64_mask(_mm512_load_si512(key + 8 * c), ki))));
        scratch[rank] = e[i];
    }
    e.swap(scratch);
    return true;
}
#endif

// More of them (hundreds when the black pixels arrive): the keys sorted by sortDistinctKeys,
// each spike read back from its key (one array moved, no gather, no ties to settle).
bool sortFloatSpikes(std::vector<std::pair<double, int>> &e, KeySort &sort)
{
    const std::size_t n = e.size();
    sort.keys.resize(n);
    if (!packFloatSpikes(e, sort.keys.data()))
        return false;
    sortDistinctKeys(sort);
    for (std::size_t k = 0; k < n; ++k) {
        const std::uint64_t key = sort.keys[k];
        const std::uint32_t bits = static_cast<std::uint32_t>(key >> 32);
        float z;
        std::memcpy(&z, &bits, sizeof z);
        e[k] = {static_cast<double>(z), static_cast<int>(static_cast<std::uint32_t>(key))};
    }
    return true;
}

template <typename LayerOfT>
void finishCheck(LayerOfT &layer)
{
    const std::size_t n = layer.emitted.size();
    layer.spikes += static_cast<int>(n);
    if constexpr (std::is_same_v<decltype(layer.z), std::vector<float>>) { // packed (z bits, index) keys
#if defined(__AVX512F__)
        if (n > 1 && n <= kRankSortMax && rankSortFloatSpikes(layer.emitted, layer.sortScratch))
            return;
#endif
        if (n > kRankSortMax && sortFloatSpikes(layer.emitted, layer.sortKeys))
            return;
    }
    if (n > 1) // most checks emit nothing
        sortSpikes(layer.emitted, layer.sortScratch, layer.sortKeys);
}

// The end of the tie group that starts at `begin` among z[0, received): the first later index
// whose z differs (compared as `==` does: a NaN ends a group). Most groups are one arrival; the
// black pixels are one group of hundreds, compared a vector at a time.
template <typename T>
int tieGroupEnd(const T *z, int begin, int received)
{
    int k = begin + 1;
    if (k >= received || z[k] != z[begin])
        return k;
#if defined(__AVX512F__)
    using S = Simd<T>;
    const auto zb = S::set1(z[begin]);
    for (; k + S::lanes <= received; k += S::lanes) {
        const auto differs = S::notEqual(S::full, S::load(z + k), zb);
        if (differs != 0)
            return k + std::countr_zero(static_cast<unsigned>(differs));
    }
#endif
    while (k < received && z[k] == z[begin])
        ++k;
    return k;
}

// A check's spikes appended to `out` (moved when it is empty, as it mostly is).
inline void deliver(std::vector<std::pair<double, int>> &emitted, std::vector<std::pair<double, int>> &out)
{
    if (out.empty())
        out.swap(emitted);
    else
        out.insert(out.end(), emitted.begin(), emitted.end());
}

// Tests the interval after the last integrated group: a neuron fires at z = A/(B - theta) if
// that is no later than `limit` (the next arrival, or the earliest time any further input can
// arrive). Spikes within the horizon are appended to layer.emitted in (z, index) order.
template <typename T>
void checkInterval(Layer<T> &layer, T threshold, T maxZ, T limit)
{
    layer.emitted.clear();
    screenAndVisit(layer.A.data(), layer.B.data(), layer.alive.data(), static_cast<int>(layer.A.size()), threshold,
                   limit, layer.flags, [&](int j) { fireIfDue(layer, j, threshold, maxZ, limit); });
    finishCheck(layer);
}

#if defined(__AVX512F__)
// fireIfDue for a vector of candidates (neurons j0 + lane, their A and B in a and b): the exact
// times A / (B - theta) in one division, and those due (<= limit) retired (alive = 0, and B =
// -inf in the returned b: passed by value, so that the caller's b stays in a register) and,
// within the horizon, emitted in increasing index order. The same operations on the same
// values as fireIfDue, so the same spikes.
template <typename T>
[[nodiscard]] typename Simd<T>::V fireVector(Layer<T> &layer, int j0, typename Simd<T>::M candidates,
                                            typename Simd<T>::V a, typename Simd<T>::V b, T threshold, T maxZ,
                                            T limit)
{
    using S = Simd<T>;
    using M = typename S::M;
    const typename S::V zc = S::div(candidates, a, S::sub(b, S::set1(threshold)));
    const M fired = S::lessEqual(candidates, zc, S::set1(limit));
    if (fired == 0)
        return b;
    const typename S::V retired = S::select(fired, b, S::set1(-std::numeric_limits<T>::infinity()));
    S::store(layer.alive.data() + j0, fired, S::zero());
    layer.aliveCount -= std::popcount(static_cast<unsigned>(fired));
    const M emit = S::lessEqual(fired, zc, S::set1(maxZ));
    if (emit == 0)
        return retired;
    alignas(64) T due[S::lanes];
    S::store(due, zc);
    for (unsigned bits = emit; bits != 0; bits &= bits - 1) {
        const int lane = std::countr_zero(bits);
        layer.emitted.emplace_back(static_cast<double>(due[lane]), j0 + lane);
    }
    return retired;
}
#endif

#if defined(__AVX512F__)
// The groups of a narrow layer (at most 16 neurons: the output layer) whose next arrival is
// already received, in one loop with A and B in registers: the same row sums (left to right),
// fma, screen and exact tests in the same order as accumulateGroupAndScreen, without its
// per-group setup (most of the early exit's output-layer time: each hidden spike is a group of
// its own). Stops before a group whose end is not yet known. Returns true if it stopped at a
// spike (stopAtFirstSpike).
// `Vectors`: the neurons' vectors (NarrowSums).
template <typename T, int Vectors>
bool advanceNarrowWith(Layer<T> &layer, int received, const LayerWeights<T> &w, T threshold, T maxZ,
                       std::vector<std::pair<double, int>> &out, bool stopAtFirstSpike)
{
    NarrowSums<T, Vectors> sums(w.cols);
    sums.load(layer.A.data(), layer.B.data());
    const int *order = layer.order.data();
    const T *z = layer.z.data();
    bool stopped = false;
    for (int begin = layer.integrated;;) {
        const int end = tieGroupEnd(z, begin, received);
        if (end >= received)
            break;
        sums.addGroup(w.w, w.stride, order + begin, end - begin, z[begin]);
        const T limit = z[end];
        typename Simd<T>::M candidates[2];
        sums.screen(threshold, limit, candidates);
        layer.integrated = end;
        begin = end;
        if ((candidates[0] | candidates[1]) == 0)
            continue;
        layer.emitted.clear();
        if (candidates[0] != 0)
            sums.b[0] = fireVector(layer, 0, candidates[0], sums.a[0], sums.b[0], threshold, maxZ, limit);
        if constexpr (Vectors == 2)
            if (candidates[1] != 0)
                sums.b[1] = fireVector(layer, sums.second, candidates[1], sums.a[1], sums.b[1], threshold, maxZ, limit);
        finishCheck(layer);
        deliver(layer.emitted, out);
        if (stopAtFirstSpike && !out.empty()) {
            stopped = true;
            break;
        }
        if (layer.aliveCount == 0)
            break;
    }
    sums.store(layer.A.data(), layer.B.data());
    return stopped;
}

template <typename T>
bool advanceNarrow(Layer<T> &layer, int received, const LayerWeights<T> &w, T threshold, T maxZ,
                   std::vector<std::pair<double, int>> &out, bool stopAtFirstSpike)
{
    if constexpr (Simd<T>::lanes >= 16) // float: every narrow layer (at most 16 neurons) fits one vector
        return advanceNarrowWith<T, 1>(layer, received, w, threshold, maxZ, out, stopAtFirstSpike);
    else
        return w.cols <= Simd<T>::lanes
                   ? advanceNarrowWith<T, 1>(layer, received, w, threshold, maxZ, out, stopAtFirstSpike)
                   : advanceNarrowWith<T, 2>(layer, received, w, threshold, maxZ, out, stopAtFirstSpike);
}
#endif

// Integrates every complete group among the first `received` arrivals and checks each interval
// as far as the known arrivals allow. `frontier`: no arrival not yet received comes before it
// (+inf when the stream is complete). Emitted spikes are appended to `out`.
template <typename T>
void advance(Layer<T> &layer, int received, const LayerWeights<T> &w, T threshold, T maxZ, T frontier,
             bool frontierIsNextArrival, std::vector<std::pair<double, int>> &out, bool stopAtFirstSpike)
{
    const int nOut = w.cols;
    for (;;) {
        if (layer.checkPending) {
            const bool exact = layer.integrated < received || std::isinf(frontier) || frontierIsNextArrival;
            const T limit = layer.integrated < received ? layer.z[layer.integrated] : frontier;
            checkInterval(layer, threshold, maxZ, limit);
            deliver(layer.emitted, out);
            if (stopAtFirstSpike && !out.empty())
                return;
            if (!exact)
                return; // wait: the interval may still be cut short by an arrival
            layer.checkPending = false;
        }
        if (layer.integrated >= received || layer.aliveCount == 0)
            return;
        const int begin = layer.integrated;
        const int end = tieGroupEnd(layer.z.data(), begin, received);
        if (end == received && !(layer.z[begin] < frontier))
            return; // an arrival not yet received could still join this group (a tie)
#if defined(__AVX512F__)
        if (nOut <= 16 && end < received) {
            if (advanceNarrow(layer, received, w, threshold, maxZ, out, stopAtFirstSpike))
                return;
            continue;
        }
#endif
        T *A = layer.A.data();
        T *B = layer.B.data();
        // As SpikeNetwork::scanLayer: when every input arrives, the closing group through the
        // column sums (same numbers, so the same spikes).
        if (std::isinf(frontier) && end == received && received == w.rows && end - begin > 4) {
            foldClosingGroup(layer.z[begin], w.columnSums, layer.alive.data(), A, B, nOut);
        } else if (frontierIsNextArrival || end < received) {
            // The interval after this group ends at the next arrival, known now (a later arrival
            // is already received, or the input layer's frontier is its next arrival): the group
            // and its check in one pass, as checkPending would run it (exact, so not pending).
            const T limit = end < received ? layer.z[end] : frontier;
            layer.emitted.clear();
            accumulateGroupAndScreen(w.w, w.stride, layer.order.data() + begin, layer.z[begin], end - begin, A, B,
                                     layer.alive.data(), nOut, layer.groupSum.data(), threshold, limit, layer.flags,
                                     [&](int j) { fireIfDue(layer, j, threshold, maxZ, limit); });
            finishCheck(layer);
            layer.integrated = end;
            deliver(layer.emitted, out);
            if (stopAtFirstSpike && !out.empty())
                return;
            continue;
        } else {
            accumulateGroup(w.w, w.stride, layer.order.data() + begin, layer.z[begin], end - begin, A, B,
                            nOut, layer.groupSum.data());
        }
        layer.integrated = end;
        layer.checkPending = true;
    }
}

// The early exit over any layer storage: `weights` per layer, layer 0's arrivals already in
// ws.inputOrder.
template <typename T>
EarlyDecision run(const NetworkConfig &cfg, const LayerWeights<T> *weights, EarlyDecisionWorkspaceOf<T> &ws)
{
    const int L = static_cast<int>(cfg.layerSizes.size()) - 1;
    const T theta = static_cast<T>(cfg.threshold), maxZ = static_cast<T>(cfg.maxSpikeZ());
    const T never = std::numeric_limits<T>::infinity();
    EarlyDecision result;
    result.spikesBeforeDecision.assign(L, 0);

    ws.layers.resize(L);
    for (int l = 0; l < L; ++l) {
        Layer<T> &layer = ws.layers[l];
        const int nOut = cfg.layerSizes[l + 1];
        layer.order.clear();
        layer.z.clear();
        if (l == 0) {
            layer.order = ws.inputOrder.inputOrder;
            layer.z.assign(ws.inputOrder.orderedZ.begin(), ws.inputOrder.orderedZ.end());
        } else if (cfg.bias) {
            layer.order.push_back(cfg.layerSizes[l]); // the bias leads, at z = 1
            layer.z.push_back(T(1));
        }
        layer.integrated = 0;
        layer.checkPending = false;
        layer.A.assign(nOut, T(0));
        layer.B.assign(nOut, T(0));
        layer.alive.assign(nOut, T(1));
        layer.groupSum.resize(nOut);
        layer.aliveCount = nOut;
        layer.spikes = 0;
    }

    // Release the input arrivals one group at a time; after each release every downstream
    // layer catches up as far as its upstream frontier allows. Stop at the first output spike.
    const int inputCount = static_cast<int>(ws.layers[0].order.size());
    std::vector<std::pair<double, int>> &emitted = ws.delivered;
    int released = 0;
    for (bool last = false; !last;) {
        if (released < inputCount)
            released = tieGroupEnd(ws.layers[0].z.data(), released, inputCount);
        last = released >= inputCount;
        // Nothing not yet released arrives before the next arrival of the input layer.
        T frontier = last ? never : ws.layers[0].z[released];
        for (int l = 0; l < L; ++l) {
            Layer<T> &layer = ws.layers[l];
            const int received = l == 0 ? released : static_cast<int>(layer.order.size());
            emitted.clear();
            // The input layer's frontier is its own next arrival, known exactly.
            advance(layer, received, weights[l], theta, maxZ, frontier, l == 0, emitted, l + 1 == L);
            if (l + 1 == L) {
                if (!emitted.empty()) {
                    result.predictedClass = emitted.front().second;
                    result.decisionZ = emitted.front().first;
                    break;
                }
            } else {
                Layer<T> &next = ws.layers[l + 1];
                const std::size_t base = next.order.size();
                next.order.resize(base + emitted.size());
                next.z.resize(base + emitted.size());
                for (std::size_t k = 0; k < emitted.size(); ++k) {
                    next.order[base + k] = emitted[k].second;
                    next.z[base + k] = static_cast<T>(emitted[k].first); // exact: z came from a T
                }
            }
            // Every spike of this layer before `frontier` is out; a finished layer emits no more.
            if (layer.aliveCount == 0)
                frontier = never;
        }
        if (result.predictedClass >= 0 || ws.layers.back().aliveCount == 0)
            break;
    }
    result.inputsIntegrated = ws.layers[0].integrated;
    for (int l = 0; l < L; ++l)
        result.spikesBeforeDecision[l] = ws.layers[l].spikes;
    return result;
}

// The early exit of a network (SpikeNetwork or FloatNetwork) whose layers' weights and column
// sums are `weights` and `sums`.
template <typename T, typename Network, typename WeightMatrix, typename SumVector>
EarlyDecision classifyNetwork(const Network &net, const std::vector<WeightMatrix> &weights,
                              const std::vector<SumVector> &sums, const std::uint8_t *pixels,
                              EarlyDecisionWorkspaceOf<T> &ws)
{
    ws.weights.resize(weights.size());
    for (std::size_t l = 0; l < weights.size(); ++l) {
        const WeightMatrix &w = weights[l];
        ws.weights[l] = {w.data(), static_cast<long>(w.outerStride()), static_cast<int>(w.rows()),
                         static_cast<int>(w.cols()), sums[l].data()};
    }
    net.orderInput(pixels, ws.inputOrder);
    return run(net.config(), ws.weights.data(), ws);
}

} // namespace

EarlyDecision classifyEarly(const SpikeNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace &ws)
{
    if (!net.prepared())
        throw std::logic_error("classifyEarly needs a prepared network (SpikeNetwork::prepare)");
    return classifyNetwork(net, net.allWeights(), net.cachedColumnSums(), pixels, ws);
}

FloatNetwork::FloatNetwork(const SpikeNetwork &net)
    : config_(net.config())
{
    if (!net.prepared())
        throw std::logic_error("FloatNetwork needs a prepared network (SpikeNetwork::prepare)");
    // The column sums of the float weights (summed in double, then rounded), so that the closing
    // group's fold, S - B, stands for the float rows it replaces.
    for (int l = 0; l < net.layerCount(); ++l) {
        weights_.push_back(net.allWeights()[l].cast<float>());
        columnSums_.push_back(weights_.back().cast<double>().colwise().sum().transpose().cast<float>());
    }
    net.encodingTable(byteZ_);
    SpikeNetwork::rankBytes(byteZ_, byteRank_);
}

void FloatNetwork::orderInput(const std::uint8_t *pixels, LayerActivity &out) const
{
    SpikeNetwork::orderPixels(pixels, config_.inputSize(), byteZ_, byteRank_, config_.bias, out);
}

EarlyDecision classifyEarly(const FloatNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace32 &ws)
{
    return classifyNetwork(net, net.weights(), net.columnSums(), pixels, ws);
}

} // namespace firstspike
