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
// neurons); accumulateGroupAndScreen fuses it into the group's last pass (AVX-512).

#include <algorithm>
#include <bit>
#include <cmath>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <cstdint>
#include <cstring>
#include <vector>

namespace firstspike {

template <typename Visit>
void forEachFiringCandidate(const double *A, const double *B, const double *alive, int n, double threshold,
                            double limit, std::vector<std::uint8_t> &flags, Visit &&visit)
{
    const double loose = limit * (1.0 + 1e-9);
    if (n <= 32) { // a narrow layer (the output layer): no flags pass
        for (int j = 0; j < n; ++j) {
            const double d = B[j] - threshold;
            if ((alive[j] != 0.0) & (d > 0.0) & (A[j] <= loose * d))
                visit(j);
        }
        return;
    }
    flags.resize(static_cast<std::size_t>(n) + 8); // padded for 8-byte reads
    std::uint8_t *F = flags.data();
    int candidates = 0;
    for (int j = 0; j < n; ++j) {
        const double d = B[j] - threshold;
        const std::uint8_t c = (alive[j] != 0.0) & (d > 0.0) & (A[j] <= loose * d);
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
[[gnu::noinline]] inline void addFourRows(const double *__restrict y0, const double *__restrict y1,
                                          const double *__restrict y2, const double *__restrict y3,
                                          double *__restrict scratch, int n)
{
    for (int j = 0; j < n; ++j)
        scratch[j] = (((scratch[j] + y0[j]) + y1[j]) + y2[j]) + y3[j];
}

// Column j of one tie group, summed as sumGroupInto sums it (for a scan that visits a few
// neurons; add it with std::fma(z, sum, A[j]) and B[j] += sum).
inline double sumGroupAt(const double *weights, long stride, const int *order, int count, int j)
{
    double s = weights[stride * order[0] + j];
    for (int k = 1; k < count; ++k)
        s += weights[stride * order[k] + j];
    return s;
}

// scratch = the sum of one tie group's rows (count >= 2), left to right as described at the
// top (sumGroupAt sums one column the same way).
inline void sumGroupInto(const double *weights, long stride, const int *order, int count, double *__restrict scratch,
                         int n)
{
    const double *__restrict x0 = weights + stride * order[0];
    const double *__restrict x1 = weights + stride * order[1];
    if (count == 2) {
        for (int j = 0; j < n; ++j)
            scratch[j] = x0[j] + x1[j];
        return;
    }
    const double *__restrict x2 = weights + stride * order[2];
    if (count == 3) {
        for (int j = 0; j < n; ++j)
            scratch[j] = (x0[j] + x1[j]) + x2[j];
        return;
    }
    const double *__restrict x3 = weights + stride * order[3];
    for (int j = 0; j < n; ++j)
        scratch[j] = ((x0[j] + x1[j]) + x2[j]) + x3[j];
    int k = 4;
    for (; count - k >= 4; k += 4)
        addFourRows(weights + stride * order[k], weights + stride * order[k + 1], weights + stride * order[k + 2],
                    weights + stride * order[k + 3], scratch, n);
    for (; k < count; ++k) {
        const double *__restrict y = weights + stride * order[k];
        for (int j = 0; j < n; ++j)
            scratch[j] += y[j];
    }
}

// The sum of one tie group's rows (the inputs order[0, count)): the row itself for one input,
// else summed into scratch (n doubles) by sumGroupInto.
inline const double *groupRowSum(const double *weights, long stride, const int *order, int count, double *scratch,
                                 int n)
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
// two rows 1.6x slower with AVX2); larger groups go through scratch (n doubles).
inline void accumulateGroup(const double *weights, long stride, const int *order, double z, int count,
                            double *__restrict A, double *__restrict B, int n, double *scratch)
{
    if (count > 4) {
        const double *__restrict s = groupRowSum(weights, stride, order, count, scratch, n);
        for (int j = 0; j < n; ++j) {
            A[j] = std::fma(z, s[j], A[j]);
            B[j] += s[j];
        }
        return;
    }
    const double *__restrict x0 = weights + stride * order[0];
    const double *__restrict x1 = count > 1 ? weights + stride * order[1] : x0;
    const double *__restrict x2 = count > 2 ? weights + stride * order[2] : x0;
    const double *__restrict x3 = count > 3 ? weights + stride * order[3] : x0;
    for (int j = 0; j < n; ++j) {
        double s = x0[j];
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
inline void foldClosingGroup(double z, const double *__restrict S, const double *__restrict alive, double *__restrict A,
                             double *__restrict B, int n)
{
    for (int j = 0; j < n; ++j) {
        A[j] = std::fma(z, S[j] - B[j], A[j]);
        B[j] = alive[j] != 0.0 ? S[j] : B[j];
    }
}

// accumulateGroup followed by forEachFiringCandidate(limit) in one pass over the neurons: the
// same sums, the same loose test and the candidates visited in the same (increasing) order, so
// the same results; A and B are not reread, and no flags are stored. With AVX-512 only; the
// two-pass form otherwise. The pass is bound by vector-instruction throughput, so the alive
// test is not made here: a neuron that fired must have B = -inf (it then never passes B > theta),
// and `alive` is read only by the two-pass form.
template <typename Visit>
void accumulateGroupAndScreen(const double *weights, long stride, const int *order, double z, int count, double *A,
                              double *B, const double *alive, int n, double *scratch, double threshold, double limit,
                              std::vector<std::uint8_t> &flags, Visit &&visit)
{
#if defined(__AVX512F__)
    (void)flags;
    (void)alive;
    const double *s = groupRowSum(weights, stride, order, count, scratch, n);
    const __m512d vz = _mm512_set1_pd(z);
    const __m512d vtheta = _mm512_set1_pd(threshold);
    const __m512d vloose = _mm512_set1_pd(limit * (1.0 + 1e-9));
    const __m512d zero = _mm512_setzero_pd();
    // Eight neurons: A = fma(z, s, A), B += s (returned in a and b), and their candidate mask.
    // Full vectors use plain loads and stores (masked stores are slow on AMD), the tail masked
    // ones.
    auto step = [&](__m512d sv, __m512d a0, __m512d b0, __mmask8 in, __m512d &a, __m512d &b) -> unsigned {
        a = _mm512_fmadd_pd(vz, sv, a0);
        b = _mm512_add_pd(b0, sv);
        const __m512d d = _mm512_sub_pd(b, vtheta);
        const __mmask8 m = _mm512_mask_cmp_pd_mask(in, d, zero, _CMP_GT_OQ);
        return _mm512_mask_cmp_pd_mask(m, a, _mm512_mul_pd(vloose, d), _CMP_LE_OQ);
    };
    auto visitMask = [&](int j0, unsigned bits) {
        for (; bits != 0; bits &= bits - 1)
            visit(j0 + std::countr_zero(bits));
    };
    // Sixteen neurons per step, one branch for both masks (candidates are rare).
    int j0 = 0;
    for (; j0 + 16 <= n; j0 += 16) {
        __m512d a0, b0, a1, b1;
        const unsigned m0 = step(_mm512_loadu_pd(s + j0), _mm512_loadu_pd(A + j0), _mm512_loadu_pd(B + j0), 0xFF, a0, b0);
        const unsigned m1 = step(_mm512_loadu_pd(s + j0 + 8), _mm512_loadu_pd(A + j0 + 8), _mm512_loadu_pd(B + j0 + 8),
                                 0xFF, a1, b1);
        _mm512_storeu_pd(A + j0, a0);
        _mm512_storeu_pd(B + j0, b0);
        _mm512_storeu_pd(A + j0 + 8, a1);
        _mm512_storeu_pd(B + j0 + 8, b1);
        if ((m0 | m1) != 0)
            visitMask(j0, m0 | (m1 << 8));
    }
    for (; j0 < n; j0 += 8) {
        const __mmask8 in = n - j0 >= 8 ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n - j0)) - 1u);
        __m512d a, b;
        const unsigned m = step(_mm512_maskz_loadu_pd(in, s + j0), _mm512_maskz_loadu_pd(in, A + j0),
                                _mm512_maskz_loadu_pd(in, B + j0), in, a, b);
        _mm512_mask_storeu_pd(A + j0, in, a);
        _mm512_mask_storeu_pd(B + j0, in, b);
        visitMask(j0, m);
    }
#else
    accumulateGroup(weights, stride, order, z, count, A, B, n, scratch);
    forEachFiringCandidate(A, B, alive, n, threshold, limit, flags, visit);
#endif
}

} // namespace firstspike
