#pragma once
// The scan step of docs/MODEL.md over all neurons of a layer at once, shared by the full forward
// scan (SpikeNetwork::scanRange) and the early-exit classification (EarlyDecision.cpp).
//
// A tie group (inputs arriving at the same z) is added to every neuron's sums: its rows are
// summed left to right, s = ((w_0 + w_1) + w_2) + ..., then A = fma(z, s, A) and B += s. The
// multiply-add is explicit (std::fma, _mm512_fmadd_pd) in every path, so that all of them give
// the same bits at any optimisation level (GCC fuses a * b + c on its own only from -O2).
//
// A neuron still alive may then fire in the interval before the next arrival iff B > theta and
// A / (B - theta) <= limit. A slightly loose multiplicative form of that test is applied to
// every neuron and each candidate is handed to `visit(j)`, which applies the exact test; the
// loose form never misses a neuron the exact test accepts. forEachFiringCandidate does this as
// a pass of its own (flags stored and walked eight at a time; a plain loop for at most 32
// neurons); with AVX-512, accumulateGroupAndScreen screens in the group's pass
// (screenGroupVectors) and visits the candidates it listed after the pass, and screenAndVisit
// does the same for the screen alone.
//
// Every function is a template on the scan's scalar type: double for training and the exact
// classification, float for the single-precision early exit (FloatNetwork, EarlyDecision.h).

#include <algorithm>
#include <bit>
#include <cmath>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace firstspike {

// The slack of the loose screen below, relative to the limit: larger than the rounding of the
// screen's product and of the exact test's division (a few units in the last place of T), so
// the screen never drops a neuron the exact test A / (B - theta) <= limit accepts.
template <typename T>
struct ScreenSlack;
template <>
struct ScreenSlack<double> {
    static constexpr double factor = 1.0 + 1e-9;
};
template <>
struct ScreenSlack<float> {
    static constexpr float factor = 1.0f + 1e-6f;
};

// With AVX-512, the neurons one entry of screenGroupVectors' list covers: 32 (four vectors of
// doubles, two of floats), so that a candidate mask fits 32 bits.
constexpr int kListedLanes = 32;

template <typename T, typename Visit>
void forEachFiringCandidate(const T *A, const T *B, const T *alive, int n, T threshold, T limit,
                            std::vector<std::uint8_t> &flags, Visit &&visit)
{
    const T loose = limit * ScreenSlack<T>::factor;
    if (n <= 32) { // a narrow layer (the output layer): no flags pass
        for (int j = 0; j < n; ++j) {
            const T d = B[j] - threshold;
            if ((alive[j] != T(0)) & (d > T(0)) & (A[j] <= loose * d))
                visit(j);
        }
        return;
    }
    flags.resize(static_cast<std::size_t>(n) + 8); // padded for 8-byte reads
    std::uint8_t *F = flags.data();
    int candidates = 0;
    for (int j = 0; j < n; ++j) {
        const T d = B[j] - threshold;
        const std::uint8_t c = (alive[j] != T(0)) & (d > T(0)) & (A[j] <= loose * d);
        F[j] = c;
        candidates += c;
    }
    std::fill(F + n, F + n + 8, std::uint8_t{0});
    for (int j0 = 0; candidates > 0 && j0 < n; j0 += 8) {
        std::uint64_t word;
        std::memcpy(&word, F + j0, 8);
        while (word) { // each flag is 0 or 1: the lowest set bit is one candidate's byte
            const int j = j0 + std::countr_zero(word) / 8;
            word &= word - 1;
            --candidates;
            visit(j);
        }
    }
}

// scratch = (((scratch + y0) + y1) + y2) + y3. Out of line: inlined into sumGroupInto's loop
// over the chunks, GCC vectorised that outer loop with gathers, at a third of the speed.
template <typename T>
[[gnu::noinline]] void addFourRows(const T *__restrict y0, const T *__restrict y1, const T *__restrict y2,
                                   const T *__restrict y3, T *__restrict scratch, int n)
{
    for (int j = 0; j < n; ++j)
        scratch[j] = (((scratch[j] + y0[j]) + y1[j]) + y2[j]) + y3[j];
}

// Column j of one tie group, summed as sumGroupInto sums it (for a scan that visits a few
// neurons; add it with std::fma(z, sum, A[j]) and B[j] += sum).
template <typename T>
T sumGroupAt(const T *weights, long stride, const int *order, int count, int j)
{
    T s = weights[stride * order[0] + j];
    for (int k = 1; k < count; ++k)
        s += weights[stride * order[k] + j];
    return s;
}

// scratch = the sum of one tie group's rows (count >= 2), left to right as described at the
// top (sumGroupAt sums one column the same way).
template <typename T>
void sumGroupInto(const T *weights, long stride, const int *order, int count, T *__restrict scratch, int n)
{
    const T *__restrict x0 = weights + stride * order[0];
    const T *__restrict x1 = weights + stride * order[1];
    if (count == 2) {
        for (int j = 0; j < n; ++j)
            scratch[j] = x0[j] + x1[j];
        return;
    }
    const T *__restrict x2 = weights + stride * order[2];
    if (count == 3) {
        for (int j = 0; j < n; ++j)
            scratch[j] = (x0[j] + x1[j]) + x2[j];
        return;
    }
    const T *__restrict x3 = weights + stride * order[3];
    for (int j = 0; j < n; ++j)
        scratch[j] = ((x0[j] + x1[j]) + x2[j]) + x3[j];
    int k = 4;
    for (; count - k >= 4; k += 4)
        addFourRows(weights + stride * order[k], weights + stride * order[k + 1], weights + stride * order[k + 2],
                    weights + stride * order[k + 3], scratch, n);
    for (; k < count; ++k) {
        const T *__restrict y = weights + stride * order[k];
        for (int j = 0; j < n; ++j)
            scratch[j] += y[j];
    }
}

// The sum of one tie group's rows (the inputs order[0, count)): the row itself for one input,
// else summed into scratch (n values) by sumGroupInto.
template <typename T>
const T *groupRowSum(const T *weights, long stride, const int *order, int count, T *scratch, int n)
{
    if (count == 1)
        return weights + stride * order[0];
    sumGroupInto(weights, stride, order, count, scratch, n);
    return scratch;
}

// One tie group of `count` rows (the inputs order[0, count), all arriving at z) added to A and
// B, summed as described at the top: m + 1 vector operations per neuron for m rows instead of
// 2m (the brightest pixels arrive together as one group of ~80 rows). Up to four rows are
// summed in registers (GCC unswitches the loop on count: a pass through scratch made groups of
// two rows 1.6x slower with AVX2); larger groups go through scratch (n values).
template <typename T>
void accumulateGroup(const T *weights, long stride, const int *order, T z, int count, T *__restrict A,
                     T *__restrict B, int n, T *scratch)
{
    if (count > 4) {
        const T *__restrict s = groupRowSum(weights, stride, order, count, scratch, n);
        for (int j = 0; j < n; ++j) {
            A[j] = std::fma(z, s[j], A[j]);
            B[j] += s[j];
        }
        return;
    }
    const T *__restrict x0 = weights + stride * order[0];
    const T *__restrict x1 = count > 1 ? weights + stride * order[1] : x0;
    const T *__restrict x2 = count > 2 ? weights + stride * order[2] : x0;
    const T *__restrict x3 = count > 3 ? weights + stride * order[3] : x0;
    for (int j = 0; j < n; ++j) {
        T s = x0[j];
        if (count > 1)
            s += x1[j];
        if (count > 2)
            s += x2[j];
        if (count > 3)
            s += x3[j];
        A[j] = std::fma(z, s, A[j]);
        B[j] += s;
    }
}

// The closing group when every input arrives: its rows sum to the column sums S minus what was
// added so far (B), so A += z * (S - B) and B = S; a neuron that fired keeps B = -inf.
template <typename T>
void foldClosingGroup(T z, const T *__restrict S, const T *__restrict alive, T *__restrict A, T *__restrict B, int n)
{
    for (int j = 0; j < n; ++j) {
        A[j] = std::fma(z, S[j] - B[j], A[j]);
        B[j] = alive[j] != T(0) ? S[j] : B[j];
    }
}

#if defined(__AVX512F__)
// One 512-bit vector of T (8 doubles or 16 floats) and its mask, for the passes below.
template <typename T>
struct Simd;

template <>
struct Simd<double> {
    using V = __m512d;
    using M = __mmask8;
    static constexpr int lanes = 8;
    static constexpr M full = 0xFF;
    static V set1(double x) { return _mm512_set1_pd(x); }
    static V zero() { return _mm512_setzero_pd(); }
    static V load(const double *p) { return _mm512_loadu_pd(p); }
    static V load(M m, const double *p) { return _mm512_maskz_loadu_pd(m, p); }
    static void store(double *p, V v) { _mm512_storeu_pd(p, v); }
    static void store(double *p, M m, V v) { _mm512_mask_storeu_pd(p, m, v); }
    static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    static V add(V a, V b) { return _mm512_add_pd(a, b); }
    static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
    static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    static V div(M m, V a, V b) { return _mm512_maskz_div_pd(m, a, b); }
    static V select(M m, V a, V b) { return _mm512_mask_mov_pd(a, m, b); } // b where m, else a
    static M greater(M in, V a, V b) { return _mm512_mask_cmp_pd_mask(in, a, b, _CMP_GT_OQ); }
    static M lessEqual(M in, V a, V b) { return _mm512_mask_cmp_pd_mask(in, a, b, _CMP_LE_OQ); }
    static M notEqual(M in, V a, V b) { return _mm512_mask_cmp_pd_mask(in, a, b, _CMP_NEQ_UQ); }
};

template <>
struct Simd<float> {
    using V = __m512;
    using M = __mmask16;
    static constexpr int lanes = 16;
    static constexpr M full = 0xFFFF;
    static V set1(float x) { return _mm512_set1_ps(x); }
    static V zero() { return _mm512_setzero_ps(); }
    static V load(const float *p) { return _mm512_loadu_ps(p); }
    static V load(M m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
    static void store(float *p, V v) { _mm512_storeu_ps(p, v); }
    static void store(float *p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
    static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static V add(V a, V b) { return _mm512_add_ps(a, b); }
    static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static V div(M m, V a, V b) { return _mm512_maskz_div_ps(m, a, b); }
    static V select(M m, V a, V b) { return _mm512_mask_mov_ps(a, m, b); } // b where m, else a
    static M greater(M in, V a, V b) { return _mm512_mask_cmp_ps_mask(in, a, b, _CMP_GT_OQ); }
    static M lessEqual(M in, V a, V b) { return _mm512_mask_cmp_ps_mask(in, a, b, _CMP_LE_OQ); }
    static M notEqual(M in, V a, V b) { return _mm512_mask_cmp_ps_mask(in, a, b, _CMP_NEQ_UQ); }
};

// The lanes [first, first + lanes) that fall below n, as a mask.
template <typename T>
typename Simd<T>::M lanesBelow(int first, int n)
{
    const int k = std::clamp(n - first, 0, Simd<T>::lanes);
    return static_cast<typename Simd<T>::M>(k == Simd<T>::lanes ? Simd<T>::full : (1u << k) - 1u);
}

// The loose firing screen on one vector of neurons (forEachFiringCandidate's test): the lanes of
// `in` with d = B - theta > 0 and A <= loose * d, where vloose = limit * ScreenSlack<T>::factor.
template <typename T>
typename Simd<T>::M screenVector(typename Simd<T>::M in, typename Simd<T>::V a, typename Simd<T>::V b,
                                 typename Simd<T>::V vtheta, typename Simd<T>::V vloose)
{
    using S = Simd<T>;
    const typename S::V d = S::sub(b, vtheta);
    return S::lessEqual(S::greater(in, d, S::zero()), a, S::mul(vloose, d));
}

// An entry of screenGroupVectors' list, in one 8-byte word (one store): its first neuron in the
// low 32 bits, its candidates' mask (bit k: neuron first + k) in the high 32.
inline std::uint64_t listedEntry(int first, std::uint32_t mask)
{
    return static_cast<std::uint32_t>(first) | std::uint64_t{mask} << 32;
}
inline int listedFirst(std::uint64_t listed) { return static_cast<int>(static_cast<std::uint32_t>(listed)); }
inline std::uint32_t listedMask(std::uint64_t listed) { return static_cast<std::uint32_t>(listed >> 32); }

// One tie group added to A and B, and the loose screen, a vector at a time over a whole layer.
// `Rows` is the number of rows in `rows` (1: a row, or one row of a group's sum; 2 to 4: the
// group's rows, added left to right in registers as sumGroupInto adds them; 0: no group, the
// screen alone). The runs of kListedLanes neurons with candidates are written to `found`
// (listedEntry: first neuron, candidate mask), in increasing order, and counted in the return
// value; `found` needs ceil(n / kListedLanes) slots (each run writes the slot after those kept
// so far). The candidates are recorded without a branch (they come at random, and a branch on
// them mispredicts) and left to the caller, so that no exact test's registers are spilled
// around the pass. One entry per 32 neurons rather than per vector: moving each vector's mask
// out of its mask register and storing it cost about as much as the vector's sums
// (docs/PERFORMANCE.md, "Forward pass"). Out of line: inlined into its callers' loops, its
// constants are spilled and reloaded every vector.
template <int Rows, typename T>
[[gnu::noinline]] int screenGroupVectors(const T *const *rows, T z, T *A, T *B, int n, T threshold, T limit,
                                         std::uint64_t *found)
{
    using S = Simd<T>;
    using V = typename S::V;
    using M = typename S::M;
    constexpr int L = S::lanes;
    constexpr int PerEntry = kListedLanes / L; // vectors of one list entry
    const V vz = S::set1(z), vtheta = S::set1(threshold);
    const V vloose = S::set1(limit * ScreenSlack<T>::factor);
    // The row pointers in registers: the stores below could alias `rows` for all the compiler
    // knows, which otherwise reloads them every vector.
    const T *row0 = Rows > 0 ? rows[0] : nullptr, *row1 = Rows > 1 ? rows[1] : nullptr;
    const T *row2 = Rows > 2 ? rows[2] : nullptr, *row3 = Rows > 3 ? rows[3] : nullptr;
    // One vector: A and B updated and stored, and its candidates (the screen). Always inlined:
    // GCC at -O2 made it a call per vector, which took twice the time.
    auto step = [&](int j, M in) __attribute__((always_inline)) -> M {
        V a = in == S::full ? S::load(A + j) : S::load(in, A + j);
        V b = in == S::full ? S::load(B + j) : S::load(in, B + j);
        if constexpr (Rows > 0) {
            auto row = [&](int r) {
                const T *p = (r == 0 ? row0 : r == 1 ? row1 : r == 2 ? row2 : row3) + j;
                return in == S::full ? S::load(p) : S::load(in, p);
            };
            V sv = row(0);
            if constexpr (Rows > 1)
                sv = S::add(sv, row(1));
            if constexpr (Rows > 2)
                sv = S::add(sv, row(2));
            if constexpr (Rows > 3)
                sv = S::add(sv, row(3));
            __asm__("" : "+v"(sv)); // one load of a row: GCC would read it again as an operand of the add
            a = S::fmadd(vz, sv, a);
            b = S::add(b, sv);
            if (in == S::full) {
                S::store(A + j, a);
                S::store(B + j, b);
            } else {
                S::store(A + j, in, a);
                S::store(B + j, in, b);
            }
        }
        return screenVector<T>(in, a, b, vtheta, vloose);
    };
    int count = 0;
    int j0 = 0;
    for (; j0 + kListedLanes <= n; j0 += kListedLanes) {
        std::uint32_t m = 0;
#pragma GCC unroll 4
        for (int q = 0; q < PerEntry; ++q)
            m |= std::uint32_t{step(j0 + q * L, S::full)} << (q * L);
        found[count] = listedEntry(j0, m); // written always, kept if not empty
        count += m != 0 ? 1 : 0;
    }
    if (j0 < n) { // the last, partial entry
        std::uint32_t m = 0;
        for (int q = 0; q < PerEntry && j0 + q * L < n; ++q)
            m |= std::uint32_t{step(j0 + q * L, lanesBelow<T>(j0 + q * L, n))} << (q * L);
        found[count] = listedEntry(j0, m);
        count += m != 0 ? 1 : 0;
    }
    return count;
}

// screenGroupVectors for one tie group of `count` >= 1 rows (the inputs order[0, count)): up to
// four rows summed in the pass's registers, more first into `scratch` (n values) by
// sumGroupInto. Returns the number of entries listed in `found`.
template <typename T>
int screenGroup(const T *weights, long stride, const int *order, int count, T z, T *A, T *B, int n, T *scratch,
                T threshold, T limit, std::uint64_t *found)
{
    const T *rows[4];
    for (int k = 0; k < std::min(count, 4); ++k)
        rows[k] = weights + stride * order[k];
    switch (count) {
    case 1: return screenGroupVectors<1>(rows, z, A, B, n, threshold, limit, found);
    case 2: return screenGroupVectors<2>(rows, z, A, B, n, threshold, limit, found);
    case 3: return screenGroupVectors<3>(rows, z, A, B, n, threshold, limit, found);
    case 4: return screenGroupVectors<4>(rows, z, A, B, n, threshold, limit, found);
    default:
        sumGroupInto(weights, stride, order, count, scratch, n);
        rows[0] = scratch;
        return screenGroupVectors<1>(rows, z, A, B, n, threshold, limit, found);
    }
}

// A narrow layer (at most two vectors of neurons: the output layer, where each hidden spike is
// a tie group of its own) with A and B in registers for a whole scan, instead of one pass
// through memory per group: neurons [0, L) in a[0], b[0], [L, n) in a[1], b[1]. The same row
// sums (left to right), fma and screen as accumulateGroupAndScreen, so the same spikes.
// `Vectors`: 1 when n <= L (ten outputs in float lanes), so that no work goes to an empty
// second vector; 2 otherwise.
template <typename T, int Vectors = 2>
struct NarrowSums {
    static_assert(Vectors == 1 || Vectors == 2);
    using S = Simd<T>;
    using V = typename S::V;
    using M = typename S::M;
    M in[2];
    // The second vector's first neuron: L, or 0 when it has none (n <= L), so that its masked,
    // empty accesses use the first vector's address and no pointer points past an array.
    int second;
    V a[2], b[2];

    explicit NarrowSums(int n)
        : in{lanesBelow<T>(0, n), lanesBelow<T>(S::lanes, n)}
        , second(n > S::lanes ? S::lanes : 0)
        , a{S::zero(), S::zero()}
        , b{S::zero(), S::zero()}
    {
    }
    void load(const T *A, const T *B)
    {
#pragma GCC unroll 2
        for (int h = 0; h < Vectors; ++h) {
            a[h] = S::load(in[h], A + h * second);
            b[h] = S::load(in[h], B + h * second);
        }
    }
    void store(T *A, T *B) const
    {
#pragma GCC unroll 2
        for (int h = 0; h < Vectors; ++h) {
            S::store(A + h * second, in[h], a[h]);
            S::store(B + h * second, in[h], b[h]);
        }
    }
    // The tie group order[0, count) (count >= 1) arriving at z: A = fma(z, s, A), B += s.
    void addGroup(const T *W, long stride, const int *order, int count, T z)
    {
        const T *x = W + stride * order[0];
        V s0 = S::load(in[0], x), s1 = S::zero();
        if constexpr (Vectors == 2)
            s1 = S::load(in[1], x + second);
        for (int k = 1; k < count; ++k) {
            x = W + stride * order[k];
            s0 = S::add(s0, S::load(in[0], x));
            if constexpr (Vectors == 2)
                s1 = S::add(s1, S::load(in[1], x + second));
        }
        const V vz = S::set1(z);
        a[0] = S::fmadd(vz, s0, a[0]);
        b[0] = S::add(b[0], s0);
        if constexpr (Vectors == 2) {
            a[1] = S::fmadd(vz, s1, a[1]);
            b[1] = S::add(b[1], s1);
        }
    }
    // The loose screen's candidates for the interval ending at `limit`, per vector (none in an
    // absent second vector).
    void screen(T threshold, T limit, M *candidates) const
    {
        const V vtheta = S::set1(threshold), vloose = S::set1(limit * ScreenSlack<T>::factor);
        candidates[1] = 0;
#pragma GCC unroll 2
        for (int h = 0; h < Vectors; ++h)
            candidates[h] = screenVector<T>(in[h], a[h], b[h], vtheta, vloose);
    }
};
#endif

#if defined(__AVX512F__)
// Runs `pass(found)` (a screenGroupVectors pass over n neurons that lists its candidates in
// `found` and returns the number of entries) on a per-thread list, then visits the listed
// candidates in increasing order (visit reads the A and B the pass stored).
template <typename Pass, typename Visit>
void visitListedCandidates(int n, Pass &&pass, Visit &&visit)
{
    thread_local std::vector<std::uint64_t> found;
    if (found.size() < static_cast<std::size_t>(n / kListedLanes + 1))
        found.resize(static_cast<std::size_t>(n / kListedLanes + 1));
    const int entries = pass(found.data());
    for (int k = 0; k < entries; ++k)
        for (std::uint32_t bits = listedMask(found[static_cast<std::size_t>(k)]); bits != 0; bits &= bits - 1)
            visit(listedFirst(found[static_cast<std::size_t>(k)]) + std::countr_zero(bits));
}
#endif

// accumulateGroup followed by forEachFiringCandidate(limit): the same sums, the same loose test
// and the candidates visited in the same (increasing) order, so the same results. With AVX-512
// the group and the screen are one pass over the neurons (screenGroupVectors: A and B are not
// reread, the runs of 32 neurons with candidates are listed in a per-thread buffer and visited
// after the pass); the two-pass form otherwise. The pass is bound by vector-instruction
// throughput, so the alive test is not made there: a neuron that fired must have B = -inf (it
// then never passes B > theta), and `alive` is read only by the two-pass form.
template <typename T, typename Visit>
void accumulateGroupAndScreen(const T *weights, long stride, const int *order, T z, int count, T *A, T *B,
                              const T *alive, int n, T *scratch, T threshold, T limit,
                              std::vector<std::uint8_t> &flags, Visit &&visit)
{
#if defined(__AVX512F__)
    (void)flags;
    (void)alive;
    visitListedCandidates(
        n, [&](std::uint64_t *found) {
            return screenGroup(weights, stride, order, count, z, A, B, n, scratch, threshold, limit, found);
        },
        visit);
#else
    accumulateGroup(weights, stride, order, z, count, A, B, n, scratch);
    forEachFiringCandidate(A, B, alive, n, threshold, limit, flags, visit);
#endif
}

// forEachFiringCandidate for the interval after the last group (no group to add): with
// AVX-512 the screen is screenGroupVectors' pass without a group and the listed candidates are
// visited after it, in increasing order; the same candidates either way. `alive` is read only
// by the plain form: a neuron that fired must have B = -inf.
template <typename T, typename Visit>
void screenAndVisit(T *A, T *B, const T *alive, int n, T threshold, T limit, std::vector<std::uint8_t> &flags,
                    Visit &&visit)
{
#if defined(__AVX512F__)
    (void)flags;
    (void)alive;
    // Without a group the pass only reads A and B.
    visitListedCandidates(
        n, [&](std::uint64_t *found) {
            return screenGroupVectors<0>(static_cast<const T *const *>(nullptr), T(0), A, B, n, threshold, limit,
                                         found);
        },
        visit);
#else
    forEachFiringCandidate(A, B, alive, n, threshold, limit, flags, visit);
#endif
}

} // namespace firstspike
