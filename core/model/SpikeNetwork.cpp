#include "core/model/SpikeNetwork.h"

#include "core/model/SpikeOrder.h"

#include "core/model/FiringScreen.h"
#include "core/common/Random.h"

#include <algorithm>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <bit>
#include <limits>
#include <cstring>
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
    computeEncodingTables();
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
    for (int i = 0; i < n; ++i)
        inputZ[i] = byteZ_[pixels[i]];
}

void SpikeNetwork::encodingTable(double table[256]) const
{
    std::copy(byteZ_.begin(), byteZ_.end(), table);
}

void SpikeNetwork::orderInput(const std::uint8_t *pixels, LayerActivity &out) const
{
    orderPixels(pixels, config_.inputSize(), byteZ_.data(), byteRank_.data(), config_.bias, out);
}

void SpikeNetwork::computeEncodingTables()
{
    // The map from byte to z is fixed per network: computed once, not 784 exp() per sample.
    double *table = byteZ_.data();
    const EncodingConfig &e = config_.encoding;
    for (int v = 0; v < 256; ++v) {
        const double x = v / 255.0;
        double t = 0.0;
        if (e.kind == InputEncoding::LinearLatency)
            t = e.latencyScale * (1.0 - x);
        else
            t = x >= e.binarizeThreshold ? 0.0 : e.binaryLateTime;
        table[v] = std::exp(t);
    }
    rankBytes(byteZ_.data(), byteRank_.data());
}

void SpikeNetwork::rankBytes(const double *byteZ, int *rankOf)
{
    // Bytes ranked by their z; bytes with equal z share a rank (binarised input).
    int bytes[256];
    std::iota(bytes, bytes + 256, 0);
    std::stable_sort(bytes, bytes + 256, [&](int a, int b) { return byteZ[a] < byteZ[b]; });
    int rank = -1;
    for (int k = 0; k < 256; ++k) {
        if (k == 0 || byteZ[bytes[k]] != byteZ[bytes[k - 1]])
            ++rank;
        rankOf[bytes[k]] = rank;
    }
}

void SpikeNetwork::forward(const std::uint8_t *pixels, ForwardPass &pass) const
{
    encode(pixels, pass.inputZ);
    pass.layers.resize(weights_.size());
    orderInput(pixels, pass.layers[0]);
    finishForward(pass, 0);
}

void SpikeNetwork::forwardEncoded(const Vector &inputZ, ForwardPass &pass) const
{
    if (inputZ.size() != config_.inputSize())
        throw std::invalid_argument("input size does not match the network's input layer");
    if (&pass.inputZ != &inputZ)
        pass.inputZ = inputZ;
    pass.layers.resize(weights_.size());
    orderInputs(pass.inputZ, config_.bias, pass.layers[0]);
    finishForward(pass, 0);
}

namespace {

// Eigen's resize() frees the old buffer before allocating the new one and keeps the freed
// pointer when that allocation throws, so a thread_local vector would be freed again when its
// thread exits. Scratch vectors grow through a fresh vector instead: on std::bad_alloc they keep
// their old buffer.
void resizeScratch(Vector &v, Eigen::Index n)
{
    if (v.size() != n) {
        Vector fresh(n);
        v.swap(fresh);
    }
}

} // namespace

const Vector &SpikeNetwork::sumsForScan(int layer) const
{
    if (columnSumsValid_)
        return columnSums_[static_cast<std::size_t>(layer)];
    thread_local Vector sums;
    resizeScratch(sums, weights_[static_cast<std::size_t>(layer)].cols());
    columnSums(weights_[static_cast<std::size_t>(layer)], sums);
    return sums;
}

void SpikeNetwork::beginForward(const std::uint8_t *pixels, ForwardPass &pass) const
{
    encode(pixels, pass.inputZ);
    pass.layers.resize(weights_.size());
    orderInput(pixels, pass.layers[0]);
    sizeOutputs(pass.layers[0], fanOut(0));
}

void SpikeNetwork::orderLayer(int layer, ForwardPass &pass) const
{
    if (layer <= 0 || layer >= layerCount())
        throw std::invalid_argument("orderLayer: layer out of range");
    LayerActivity &act = pass.layers[static_cast<std::size_t>(layer)];
    orderInputs(pass.layers[static_cast<std::size_t>(layer) - 1].spikeZ, config_.bias, act);
    sizeOutputs(act, fanOut(layer));
}

void SpikeNetwork::scanColumns(int layer, LayerActivity &activity, int c0, int c1) const
{
    scanRange(weights_[static_cast<std::size_t>(layer)], config_.threshold, config_.maxSpikeZ(), activity,
              &sumsForScan(layer), c0, c1);
}

void SpikeNetwork::scanColumns(int layer, LayerActivity &activity, int c0, int c1, const double *weights,
                               Eigen::Index stride) const
{
    const Matrix &w = weights_[static_cast<std::size_t>(layer)];
    if (c0 < 0 || c1 > w.cols() || c1 < c0 || stride < c1 - c0)
        throw std::invalid_argument("scanColumns: neuron range or weight stride do not match the layer");
    if (!columnSumsValid_) // the sums would be computed from the network's own weights
        throw std::logic_error("scanColumns with weights held elsewhere needs the cached column sums (prepare())");
    scanView(weights, stride, w.rows(), w.cols(), config_.threshold, config_.maxSpikeZ(), activity,
             &sumsForScan(layer), c0, c1);
}

void SpikeNetwork::finishForward(ForwardPass &pass, int fromLayer) const
{
    const double maxZ = config_.maxSpikeZ();
    for (int l = fromLayer; l < layerCount(); ++l) {
        if (l > 0)
            orderInputs(pass.layers[static_cast<std::size_t>(l) - 1].spikeZ, config_.bias, pass.layers[static_cast<std::size_t>(l)]);
        scanLayer(weights_[static_cast<std::size_t>(l)], config_.threshold, maxZ, pass.layers[static_cast<std::size_t>(l)],
                  &sumsForScan(l));
    }
}

int SpikeNetwork::columnSumBlockRows(Eigen::Index cols)
{
    // ~16k weights per run, at most 64 rows: a narrow layer (the output layer) still has runs
    // enough for the trainer's threads to share its update.
    return std::clamp<int>(static_cast<int>(16384 / std::max<Eigen::Index>(1, cols)), 1, 64);
}

namespace {
// Columns [c0, c1) of `weights` summed in the order columnSums() documents.
void blockedColumnSums(const Matrix &weights, Eigen::Index c0, Eigen::Index c1, double *__restrict out)
{
    const Eigen::Index n = c1 - c0;
    const Eigen::Index step = SpikeNetwork::columnSumBlockRows(weights.cols());
    thread_local std::vector<double> partial;
    partial.resize(static_cast<std::size_t>(n));
    double *__restrict p = partial.data();
    for (Eigen::Index r0 = 0; r0 < weights.rows(); r0 += step) {
        std::fill(p, p + n, 0.0);
        for (Eigen::Index i = r0; i < std::min(weights.rows(), r0 + step); ++i) {
            const double *__restrict w = weights.row(i).data() + c0;
            for (Eigen::Index j = 0; j < n; ++j)
                p[j] += w[j];
        }
        if (r0 == 0)
            std::copy(p, p + n, out);
        else
            for (Eigen::Index j = 0; j < n; ++j)
                out[j] += p[j];
    }
    if (weights.rows() == 0)
        std::fill(out, out + n, 0.0);
}
} // namespace

void SpikeNetwork::columnSums(const Matrix &weights, Vector &out)
{
    out.resize(weights.cols());
    blockedColumnSums(weights, 0, weights.cols(), out.data());
}

void SpikeNetwork::prepare(ThreadPool &pool)
{
    columnSums_.resize(weights_.size());
    for (std::size_t l = 0; l < weights_.size(); ++l)
        columnSums_[l].resize(weights_[l].cols());
    // Blocks of 128 columns (1 KB of each row), handed out dynamically; each column is summed in
    // columnSums()' order whoever sums it.
    constexpr Eigen::Index kColumns = 128;
    std::vector<std::pair<std::size_t, Eigen::Index>> blocks; // (layer, first column)
    for (std::size_t l = 0; l < weights_.size(); ++l)
        for (Eigen::Index c = 0; c < weights_[l].cols(); c += kColumns)
            blocks.emplace_back(l, c);
    pool.forEachBlock(static_cast<int>(blocks.size()), [&](int b, int) {
        const std::size_t l = blocks[static_cast<std::size_t>(b)].first;
        const Eigen::Index c0 = blocks[static_cast<std::size_t>(b)].second;
        const Matrix &w = weights_[l];
        blockedColumnSums(w, c0, std::min(w.cols(), c0 + kColumns), columnSums_[l].data() + c0);
    });
    columnSumsValid_ = true;
}

std::vector<Vector> &SpikeNetwork::columnSumsToFill()
{
    columnSumsValid_ = false;
    columnSums_.resize(weights_.size());
    for (std::size_t l = 0; l < weights_.size(); ++l)
        columnSums_[l].resize(weights_[l].cols());
    return columnSums_;
}

void SpikeNetwork::prepare()
{
    columnSums_.resize(weights_.size());
    for (std::size_t l = 0; l < weights_.size(); ++l)
        columnSums(weights_[l], columnSums_[l]);
    columnSumsValid_ = true;
}

void SpikeNetwork::orderInputs(const Vector &inputZ, bool bias, LayerActivity &out)
{
    const int fanIn = static_cast<int>(inputZ.size());
    // A stable sort of the finite z by their IEEE-754 bits (monotone for z > 0), so ties keep
    // index order: the order is a pure function of the input. Measured on 800 hidden spike
    // times: the fast path ~4 us, a radix sort over every differing byte ~20 us.
    thread_local KeySort sort;
    std::vector<std::uint64_t> &keys = sort.keys;
    std::vector<int> &idx = sort.idx;
    keys.resize(static_cast<std::size_t>(fanIn));
    idx.resize(static_cast<std::size_t>(fanIn));
    std::size_t m = 0;
    int i = 0;
#if defined(__AVX512F__) && defined(__AVX512VL__)
    // The finite inputs' keys (z's bits) and indices in index order, eight at a time: compressed
    // in registers and stored whole (entries past the m kept are overwritten or cut off below;
    // a store ends at m + 8 <= i + 8 <= fanIn).
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512d infinity = _mm512_set1_pd(std::numeric_limits<double>::infinity());
    for (; i + 8 <= fanIn; i += 8) {
        const __m512d z = _mm512_loadu_pd(inputZ.data() + i);
        const __mmask8 finite = _mm512_cmp_pd_mask(_mm512_abs_pd(z), infinity, _CMP_LT_OQ);
        _mm512_storeu_si512(keys.data() + m, _mm512_maskz_compress_epi64(finite, _mm512_castpd_si512(z)));
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(idx.data() + m),
                            _mm256_maskz_compress_epi32(finite, _mm256_add_epi32(lanes, _mm256_set1_epi32(i))));
        m += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(finite)));
    }
#endif
    for (; i < fanIn; ++i) {
        const double z = inputZ[i];
        if (std::isfinite(z)) {
            std::memcpy(&keys[m], &z, sizeof z);
            idx[m++] = i;
        }
    }
    keys.resize(m);
    idx.resize(m);
    stableSortByKey(sort);
    // The bias, if any, leads: z = 1 is the earliest possible arrival (t = 0). Each ordered z
    // is its key's bits.
    const std::size_t lead = bias ? 1 : 0;
    out.inputOrder.resize(lead + m);
    out.orderedZ.resize(lead + m);
    if (bias) {
        out.inputOrder[0] = fanIn;
        out.orderedZ[0] = 1.0;
    }
    if (m > 0) { // (memcpy must not see the null data of an empty vector)
        std::copy_n(idx.data(), m, out.inputOrder.data() + lead);
        std::memcpy(out.orderedZ.data() + lead, keys.data(), m * sizeof(double));
    }
    finishOrder(out);
}

void SpikeNetwork::orderPixels(const std::uint8_t *pixels, int count, const double *byteZ, bool bias,
                               LayerActivity &out)
{
    int rankOf[256];
    rankBytes(byteZ, rankOf);
    orderPixels(pixels, count, byteZ, rankOf, bias, out);
}

#if defined(__AVX512BW__)
namespace {

// orderPixels when byte 0 is the only byte of its rank (every encoding but binarised input):
// the lit pixels are found 64 bytes at a time and counting-sorted on their own; the black ones,
// in index order, are written by compress-stores into their rank's range. Same order as the
// scalar form. False (nothing written) when a lit byte shares black's rank.
bool orderLitPixels(const std::uint8_t *pixels, int count, const double *byteZ, const int *rankOf, int offset,
                    int *order, double *orderedZ)
{
    constexpr int kMaxPixels = 4096;
    if (count > kMaxPixels)
        return false;
    // Compressed in registers and stored whole (a compress-store to memory is microcoded on some
    // AMD cores): each store may write up to 15 entries past the count, hence the slack.
    int lit[kMaxPixels + 16];
    int black[kMaxPixels + 16];
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // Indices of the non-zero (or the zero) bytes, in index order, to out; returns how many.
    auto compress = [&](bool nonZero, int *out) {
        int written = 0;
        int i = 0;
        for (; i + 64 <= count; i += 64) {
            const __m512i v = _mm512_loadu_si512(pixels + i);
            const __mmask64 m = nonZero ? _mm512_test_epi8_mask(v, v) : _mm512_testn_epi8_mask(v, v);
            for (int q = 0; q < 4; ++q) {
                const auto part = static_cast<__mmask16>(m >> (16 * q));
                _mm512_storeu_si512(out + written,
                                    _mm512_maskz_compress_epi32(part, _mm512_add_epi32(lanes, _mm512_set1_epi32(i + 16 * q))));
                written += std::popcount(static_cast<unsigned>(part));
            }
        }
        for (; i < count; ++i)
            if ((pixels[i] != 0) == nonZero)
                out[written++] = i;
        return written;
    };
    const int nLit = compress(true, lit);
    const int blackRank = rankOf[0];
    int start[257] = {0};
    for (int k = 0; k < nLit; ++k) {
        const int r = rankOf[pixels[lit[k]]];
        if (r == blackRank)
            return false;
        ++start[r + 1];
    }
    start[blackRank + 1] = count - nLit;
    for (int r = 0; r < 256; ++r)
        start[r + 1] += start[r];
    const int blackStart = start[blackRank];
    for (int k = 0; k < nLit; ++k) {
        const int i = lit[k];
        const int at = start[rankOf[pixels[i]]]++;
        order[offset + at] = i;
        orderedZ[offset + at] = byteZ[pixels[i]];
    }
    const int nBlack = compress(false, black);
    std::copy(black, black + nBlack, order + offset + blackStart);
    std::fill(orderedZ + offset + blackStart, orderedZ + offset + blackStart + (count - nLit), byteZ[0]);
    return true;
}

} // namespace
#endif

void SpikeNetwork::orderPixels(const std::uint8_t *pixels, int count, const double *byteZ, const int *rankOf,
                               bool bias, LayerActivity &out)
{
    // Counting sort over the byte ranks: the same (z, index) order as orderInputs, in O(n).
    const int offset = bias ? 1 : 0;
    out.inputOrder.resize(count + offset);
    out.orderedZ.resize(count + offset);
    if (bias) {
        out.inputOrder[0] = count;
        out.orderedZ[0] = 1.0;
    }
#if defined(__AVX512BW__)
    if (orderLitPixels(pixels, count, byteZ, rankOf, offset, out.inputOrder.data(), out.orderedZ.data())) {
        finishOrder(out);
        return;
    }
#endif
    // Most pixels of a digit are black: their rank is counted and placed through a register
    // instead of one counter in memory, which every black pixel would otherwise wait on.
    const int blackRank = rankOf[0];
    int byRank[256];
    int start[257] = {0};
    int black = 0;
    for (int i = 0; i < count; ++i) {
        const int r = rankOf[pixels[i]];
        if (r == blackRank)
            ++black;
        else
            ++start[r + 1];
    }
    start[blackRank + 1] = black;
    for (int r = 0; r < 256; ++r)
        start[r + 1] += start[r];
    std::copy(start, start + 256, byRank);
    int *order = out.inputOrder.data() + offset;
    double *orderedZ = out.orderedZ.data() + offset;
    int blackNext = byRank[blackRank];
    for (int i = 0; i < count; ++i) {
        const int r = rankOf[pixels[i]];
        const int k = r == blackRank ? blackNext++ : byRank[r]++;
        order[k] = i;
        orderedZ[k] = byteZ[pixels[i]];
    }
    finishOrder(out);
}

void SpikeNetwork::finishOrder(LayerActivity &out)
{
    // Ties: inputs with equal time form one step of the scan (docs/MODEL.md, "Pitfalls").
    const int n = static_cast<int>(out.inputOrder.size());
    out.groupEnd.resize(static_cast<std::size_t>(n) + 8); // slack for whole 8-entry stores
    const double *z = out.orderedZ.data();
    int *ends = out.groupEnd.data();
    int groups = 0;
    int k = 1;
#if defined(__AVX512F__) && defined(__AVX512VL__)
    // k ends a group iff z[k] != z[k - 1]: eight compares at a time, the ends compressed in a
    // register and stored whole (up to 7 entries past them, overwritten or cut off below).
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (; k + 8 <= n; k += 8) {
        const __mmask8 m = _mm512_cmp_pd_mask(_mm512_loadu_pd(z + k), _mm512_loadu_pd(z + k - 1), _CMP_NEQ_UQ);
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(ends + groups),
                            _mm256_maskz_compress_epi32(m, _mm256_add_epi32(lanes, _mm256_set1_epi32(k))));
        groups += std::popcount(static_cast<unsigned>(m));
    }
#endif
    for (; k < n; ++k)
        if (z[k] != z[k - 1])
            ends[groups++] = k;
    if (n > 0)
        ends[groups++] = n;
    out.groupEnd.resize(static_cast<std::size_t>(groups));
}

void SpikeNetwork::forwardLayer(const Matrix &weights, bool bias, double threshold, double maxZ,
                                const Vector &inputZ, LayerActivity &out, const Vector *columnSums)
{
    orderInputs(inputZ, bias, out);
    scanLayer(weights, threshold, maxZ, out, columnSums);
}

void SpikeNetwork::sizeOutputs(LayerActivity &out, int neurons)
{
    out.spikeZ.resize(neurons);
    out.denominator.resize(neurons);
    out.causalSetSize.resize(static_cast<std::size_t>(neurons));
    out.firedInGroup.resize(static_cast<std::size_t>(neurons));
}

void SpikeNetwork::scanLayer(const Matrix &weights, double threshold, double maxZ, LayerActivity &out,
                             const Vector *columnSums)
{
    sizeOutputs(out, static_cast<int>(weights.cols()));
    scanRange(weights, threshold, maxZ, out, columnSums, 0, static_cast<int>(weights.cols()));
}

void SpikeNetwork::scanRange(const Matrix &weights, double threshold, double maxZ, LayerActivity &out,
                             const Vector *columnSums, int c0, int c1)
{
    if (c0 < 0 || c1 > weights.cols() || c1 < c0)
        throw std::invalid_argument("scanRange: neuron range does not match the layer");
    scanView(weights.data() + c0, weights.outerStride(), weights.rows(), weights.cols(), threshold, maxZ, out,
             columnSums, c0, c1);
}

#if defined(__AVX512F__)
namespace {
// scanView for a narrow layer (at most 16 neurons: the output layer, where each hidden spike
// is a tie group of its own): A and B in registers for the whole scan (NarrowSums), each
// vector's candidates tested in one division. The same sums, closing-group fold, screen and
// exact test (B > theta, A / (B - theta) <= z_next) as the wide scan, so the same spikes.
void scanNarrow(const double *W, Eigen::Index stride, const LayerActivity &act, const double *columnSums,
                int nOut, double threshold, double maxZ, double *spikeZ, double *denominator, int *causalSetSize,
                int *firedInGroup)
{
    using S = Simd<double>;
    NarrowSums<double> sums(nOut);
    S::M alive[2] = {sums.in[0], sums.in[1]};
    int aliveCount = nOut;
    const S::V vtheta = S::set1(threshold);
    const int groups = static_cast<int>(act.groupEnd.size());
    int begin = 0;
    for (int g = 0; g < groups && aliveCount > 0; ++g) {
        const int end = act.groupEnd[g];
        const double z = act.orderedZ[static_cast<std::size_t>(begin)];
        const double zNext = g + 1 < groups ? act.orderedZ[static_cast<std::size_t>(end)] : kSilent;
        if (columnSums != nullptr && g + 1 == groups && end - begin > 4) {
            // foldClosingGroup: A = fma(z, S - B, A), B = S where alive.
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {
                const S::V sum = S::load(sums.in[h], columnSums + h * sums.second);
                sums.a[h] = S::fmadd(S::set1(z), S::sub(sum, sums.b[h]), sums.a[h]);
                sums.b[h] = S::select(alive[h], sums.b[h], sum);
            }
        } else {
            sums.addGroup(W, static_cast<long>(stride), act.inputOrder.data() + begin, end - begin, z);
        }
        S::M candidates[2];
        sums.screen(threshold, zNext, candidates);
        // The exact test on vector h's candidates; those due retire (B = -inf) and, within the
        // horizon (beyond it a neuron counts as silent), record their spike.
        auto fire = [&](int h) {
            const S::V d = S::sub(sums.b[h], vtheta);
            const S::V zc = S::div(candidates[h], sums.a[h], d);
            const S::M fired = S::lessEqual(candidates[h], zc, S::set1(zNext));
            if (fired == 0)
                return;
            sums.b[h] = S::select(fired, sums.b[h], S::set1(-std::numeric_limits<double>::infinity()));
            alive[h] = static_cast<S::M>(alive[h] & ~fired);
            aliveCount -= std::popcount(static_cast<unsigned>(fired));
            alignas(64) double zs[S::lanes], ds[S::lanes];
            S::store(zs, zc);
            S::store(ds, d);
            for (unsigned bits = S::lessEqual(fired, zc, S::set1(maxZ)); bits != 0; bits &= bits - 1) {
                const int lane = std::countr_zero(bits);
                const int j = h * sums.second + lane;
                spikeZ[j] = zs[lane];
                denominator[j] = ds[lane];
                causalSetSize[j] = end;
                firedInGroup[j] = g;
            }
        };
        if ((candidates[0] | candidates[1]) != 0) { // rare
            if (candidates[0] != 0)
                fire(0);
            if (candidates[1] != 0)
                fire(1);
        }
        begin = end;
    }
}
} // namespace
#endif

void SpikeNetwork::scanView(const double *W, Eigen::Index stride, Eigen::Index rows, Eigen::Index cols,
                            double threshold, double maxZ, LayerActivity &out, const Vector *columnSums, int c0,
                            int c1)
{
    // Neurons [c0, c1) as if they were the whole layer: local index j is neuron c0 + j, its
    // weight from input i at W[i * stride + j].
    const int nOut = c1 - c0;
    const int n = static_cast<int>(out.inputOrder.size());
    if (c0 < 0 || c1 > cols || nOut < 0 || out.spikeZ.size() != cols)
        throw std::invalid_argument("scanRange: neuron range or outputs do not match the layer");
    out.spikeZ.segment(c0, nOut).setConstant(kSilent);
    out.denominator.segment(c0, nOut).setZero();
    std::fill(out.causalSetSize.begin() + c0, out.causalSetSize.begin() + c1, 0);
    std::fill(out.firedInGroup.begin() + c0, out.firedInGroup.begin() + c1, -1);
    double *spikeZ = out.spikeZ.data() + c0;
    double *denominator = out.denominator.data() + c0;
    int *causalSetSize = out.causalSetSize.data() + c0;
    int *firedInGroup = out.firedInGroup.data() + c0;
    // When every input arrives, the last group is "all the rest": its weights sum to the
    // column sum minus what was added so far, so it costs one step instead of one per input.
    const bool allArrive = n == static_cast<int>(rows) && columnSums != nullptr;
#if defined(__AVX512F__)
    if (nOut <= 2 * Simd<double>::lanes) {
        scanNarrow(W, stride, out, allArrive ? columnSums->data() + c0 : nullptr, nOut, threshold, maxZ, spikeZ,
                   denominator, causalSetSize, firedInGroup);
        return;
    }
#endif

    thread_local Vector sumWZ, sumW, aliveMask, groupSum; // A_k and B_k of docs/MODEL.md, per neuron
    thread_local std::vector<int> alive;
    thread_local std::vector<std::uint8_t> flags; // candidates of the firing screen
    for (Vector *v : {&sumWZ, &sumW, &aliveMask, &groupSum})
        resizeScratch(*v, nOut);
    sumWZ.setZero();
    sumW.setZero();
    aliveMask.setOnes();
    double *A = sumWZ.data();
    double *B = sumW.data();
    double *M = aliveMask.data();
    int aliveCount = nOut;
    bool sparse = false; // once few neurons are left, keep an explicit list of them

    // A neuron of the group's interval fires iff B > theta and A / (B - theta) <= z_next
    // (docs/MODEL.md). retire() applies the exact test to a candidate and records the spike.
    auto retire = [&](int j, int g, int end, double zNext) -> bool {
        const double d = B[j] - threshold;
        if (!(d > 0.0))
            return false;
        const double zc = A[j] / d;
        if (!(zc <= zNext))
            return false;
        if (zc <= maxZ) { // beyond the horizon the neuron counts as silent
            spikeZ[j] = zc;
            denominator[j] = d;
            causalSetSize[j] = end;
            firedInGroup[j] = g;
        }
        M[j] = 0.0;
        B[j] = -std::numeric_limits<double>::infinity(); // as accumulateGroupAndScreen requires
        --aliveCount;
        return true;
    };

    int begin = 0;
    const int groups = static_cast<int>(out.groupEnd.size());
    for (int g = 0; g < groups && aliveCount > 0; ++g) {
        const int end = out.groupEnd[g];
        if (!sparse && aliveCount * 4 < nOut) {
            sparse = true;
            alive.clear();
            for (int j = 0; j < nOut; ++j)
                if (M[j] != 0.0)
                    alive.push_back(j);
        }
        const double zNext = g + 1 < groups ? out.orderedZ[end] : kSilent;
        const bool fold = allArrive && g + 1 == groups && end - begin > 4;
        if (!fold && !sparse) { // the group's rows and the firing screen in one pass
            accumulateGroupAndScreen(W, stride, out.inputOrder.data() + begin, out.orderedZ[begin], end - begin, A, B,
                                     M, nOut, groupSum.data(), threshold, zNext, flags,
                                     [&](int j) { retire(j, g, end, zNext); });
            begin = end;
            continue;
        }
        if (fold) {
            const double z = out.orderedZ[begin];
            const double *S = columnSums->data() + c0;
            if (sparse) {
                for (int j : alive) {
                    A[j] = std::fma(z, S[j] - B[j], A[j]);
                    B[j] = S[j];
                }
            } else {
                foldClosingGroup(z, S, M, A, B, nOut);
            }
        } else {
            // Few neurons left: touch only those still integrating.
            const double z = out.orderedZ[begin];
            for (int j : alive) {
                const double sum = sumGroupAt(W, stride, out.inputOrder.data() + begin, end - begin, j);
                A[j] = std::fma(z, sum, A[j]);
                B[j] += sum;
            }
        }
        if (sparse) {
            std::size_t kept = 0;
            for (std::size_t a = 0; a < alive.size(); ++a) {
                const int j = alive[a];
                if (!retire(j, g, end, zNext))
                    alive[kept++] = j;
            }
            alive.resize(kept);
        } else {
            forEachFiringCandidate(A, B, M, nOut, threshold, zNext, flags,
                                   [&](int j) { retire(j, g, end, zNext); });
        }
        begin = end;
    }
}

RecordSlice LayerGradientRecord::slice(Eigen::Index begin) const
{
    return {G.data() + begin, GZ.data() + begin, folded ? U.data() + begin : nullptr, cut.data() + begin};
}

void LayerGradientRecord::accumulate(const Entry &entry, Eigen::Index begin, Eigen::Index end, double *acc,
                                     bool assign) const
{
    slice(begin).accumulate(entry.z, entry.group, end - begin, acc, assign);
}

void RecordSlice::accumulate(double zi, int group, Eigen::Index n, double *__restrict acc, bool assign) const
{
    // Selects of values computed unconditionally: vectorises with -fno-trapping-math. The
    // multiply-add is explicit, so that every build and path (backward()'s writes, the trainer's
    // GradientRow.h) rounds it once, whatever the compiler's contraction setting.
    const double *__restrict gp = g;
    const double *__restrict gzp = gz;
    const int *__restrict c = cut;
    if (u) {
        const double *__restrict up = u;
        if (assign) {
            for (Eigen::Index j = 0; j < n; ++j) {
                const double term = std::fma(zi, gp[j], -gzp[j]) - up[j];
                acc[j] = c[j] >= group ? term : 0.0;
            }
        } else {
            for (Eigen::Index j = 0; j < n; ++j) {
                const double term = std::fma(zi, gp[j], -gzp[j]) - up[j];
                acc[j] += c[j] >= group ? term : 0.0;
            }
        }
    } else {
        if (assign) {
            for (Eigen::Index j = 0; j < n; ++j) {
                const double term = std::fma(zi, gp[j], -gzp[j]);
                acc[j] = c[j] >= group ? term : 0.0;
            }
        } else {
            for (Eigen::Index j = 0; j < n; ++j) {
                const double term = std::fma(zi, gp[j], -gzp[j]);
                acc[j] += c[j] >= group ? term : 0.0;
            }
        }
    }
}

void SpikeNetwork::backward(const ForwardPass &pass, const Vector &dLossDzOut, std::vector<Matrix> &gradients,
                            BackwardWorkspace &ws, Vector *dLossDzInput,
                            std::vector<Eigen::RowVectorXd> *rowBroadcast, GradientRecord *record) const
{
    const int L = layerCount();
    const int denseFrom = record ? std::max(0, record->denseFrom) : 0; // layers written into `gradients`
    if (denseFrom < L) {
        if (static_cast<int>(gradients.size()) != L)
            throw std::invalid_argument("gradient buffers do not match the network");
        for (int l = denseFrom; l < L; ++l)
            if (gradients[static_cast<std::size_t>(l)].rows() != weights_[static_cast<std::size_t>(l)].rows()
                || gradients[static_cast<std::size_t>(l)].cols() != weights_[static_cast<std::size_t>(l)].cols())
                throw std::invalid_argument("gradient buffers do not match the network");
    }
    if (record)
        record->layers.resize(L);
    ws.dLossDz.resize(L);
    ws.dLossDz[L - 1] = dLossDzOut;
    ws.touchedRows.resize(L);
    for (int l = 0; l < L; ++l)
        ws.touchedRows[l].resize(weights_[l].rows(), 0);

    for (int l = L - 1; l >= 0; --l) {
        const LayerActivity &act = pass.layers[l];
        const Matrix &W = weights_[l];
        Matrix *grad = l >= denseFrom ? &gradients[l] : nullptr;
        const int fanInSize = fanIn(l);
        const int nOut = fanOut(l);
        const bool needInput = l > 0 || dLossDzInput != nullptr;
        Vector *dIn = nullptr;
        if (needInput) {
            dIn = l > 0 ? &ws.dLossDz[l - 1] : dLossDzInput;
            dIn->setZero(fanInSize);
        }

        LayerGradientRecord *rec = grad ? nullptr : &record->layers[l];
        if (record) {
            record->layers[l].entries.clear();
            record->layers[l].folded = false; // U keeps its buffer for the next sample
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
            if (g == 0.0) // underflow: no gradient, and it must not count as active below
                continue;
            ws.active[j] = g;
            ws.activeZ[j] = g * act.spikeZ[j];
            const double scale = std::max(std::abs(g), std::abs(ws.activeZ[j]));
            ws.maxGradientScale = std::isnan(scale) ? scale : std::max(ws.maxGradientScale, scale);
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
        const int last = groups - 1;
        const int lastBegin = groups > 1 ? act.groupEnd[groups - 2] : 0;
        const int lastSize = act.groupEnd[last] - lastBegin;
        // Fold the closing tie group (e.g. every black pixel) into one broadcast row: each of
        // its rows gets u = z_last * G_L - GZ_L from the neurons that fired in its interval.
        // Adding u to every row and subtracting it from the earlier rows is exact and touches
        // only the earlier rows.
        const bool fold = rowBroadcast != nullptr && dIn == nullptr
                          && static_cast<int>(act.inputOrder.size()) == W.rows() && lastSize > W.rows() / 2
                          && ws.bucketStart[last + 1] > ws.bucketStart[last];
        const double *U = nullptr;
        if (fold) {
            ws.foldRow.setZero(nOut);
            const double zLast = act.orderedZ[lastBegin];
            for (int b = ws.bucketStart[last]; b < ws.bucketStart[last + 1]; ++b) {
                const int j = ws.bucketNeurons[b];
                ws.foldRow[j] = zLast * G[j] - GZ[j];
            }
            (*rowBroadcast)[l] += ws.foldRow.transpose();
            U = ws.foldRow.data();
        }
        const int scanGroups = fold ? last : groups;
        if (rec) {
            rec->G = ws.active;
            rec->GZ = ws.activeZ;
            if (U)
                rec->U = ws.foldRow;
            rec->folded = U != nullptr;
            rec->cut.resize(static_cast<std::size_t>(nOut));
            for (int j = 0; j < nOut; ++j)
                rec->cut[static_cast<std::size_t>(j)] = ws.active[j] != 0.0 ? act.firedInGroup[j] : -1;
        }
        std::uint8_t *touched = ws.touchedRows[l].data();
        int begin = 0;
        for (int g = 0; g < scanGroups && activeCount > 0; ++g) {
            const int end = act.groupEnd[g];
            for (int k = begin; k < end; ++k) {
                const int i = act.inputOrder[k];
                const double zi = act.orderedZ[k];
                if (rec) {
                    rec->entries.push_back({i, g, zi});
                    if (dIn && i < fanInSize)
                        (*dIn)[i] = W.row(i).dot(ws.active.transpose());
                    continue;
                }
                double *gr = grad->row(i).data();
                // A row's first write in a mini-batch assigns (its old content is stale, see
                // BackwardWorkspace::touchedRows), so nobody has to clear the buffers.
                if (touched[i]) {
                    if (U) {
                        for (int j = 0; j < nOut; ++j)
                            gr[j] += std::fma(zi, G[j], -GZ[j]) - U[j];
                    } else {
                        for (int j = 0; j < nOut; ++j)
                            gr[j] += std::fma(zi, G[j], -GZ[j]);
                    }
                } else {
                    touched[i] = 1;
                    if (U) {
                        for (int j = 0; j < nOut; ++j)
                            gr[j] = std::fma(zi, G[j], -GZ[j]) - U[j];
                    } else {
                        for (int j = 0; j < nOut; ++j)
                            gr[j] = std::fma(zi, G[j], -GZ[j]);
                    }
                }
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
