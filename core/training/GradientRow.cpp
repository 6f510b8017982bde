#include "core/training/GradientRow.h"

#include "core/training/AdamKernel.h"

#include <cmath>

namespace firstspike {

void rowGradientColumns(const GradientRow &row, Eigen::Index j0, Eigen::Index j1, const double *w, double *g)
{
    for (Eigen::Index j = j0; j < j1; ++j) {
        double r = row.base[j];
        for (int k = 0; k < row.runCount; ++k) {
            double s = 0.0;
            for (int q = row.runs[k]; q < row.runs[k + 1]; ++q) {
                const GradientTerm &t = row.terms[q];
                double term = std::fma(t.z, t.slice.g[j], -t.slice.gz[j]);
                if (t.slice.u)
                    term -= t.slice.u[j];
                const double masked = t.slice.cut[j] >= t.group ? term : 0.0;
                s = q == row.runs[k] ? masked : s + masked;
            }
            r += s;
        }
        g[j - j0] = std::fma(row.l2, w[j], std::fma(r, row.invBatch, row.h[j]));
    }
}

#if FIRSTSPIKE_ADAM_AVX512
namespace {

// 8 doubles or ints from p; with Masked only the lanes `lanes` selects are read (0 elsewhere).
template <bool Masked>
inline __m512d load8(const double *p, __mmask8 lanes)
{
    return Masked ? _mm512_maskz_loadu_pd(lanes, p) : _mm512_loadu_pd(p);
}
template <bool Masked>
inline __m512i load8(const int *p, __mmask8 lanes)
{
    if (Masked)
        return _mm512_maskz_loadu_epi32(static_cast<__mmask16>(lanes), p);
    return _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
}

// Term t over columns [j, j + 16): s = the masked term (First) or s + the masked term.
template <bool First, bool Fold, bool Masked>
inline void addTerm(const GradientTerm &t, Eigen::Index j, const __mmask8 *lanes, __m512d *s)
{
    const __m512d z = _mm512_set1_pd(t.z);
    const __m512i group = _mm512_set1_epi32(t.group);
    for (int h = 0; h < 2; ++h) {
        const Eigen::Index c = j + 8 * h;
        __m512d term = _mm512_fmsub_pd(z, load8<Masked>(t.slice.g + c, lanes[h]), load8<Masked>(t.slice.gz + c, lanes[h]));
        if constexpr (Fold)
            term = _mm512_sub_pd(term, load8<Masked>(t.slice.u + c, lanes[h]));
        // The low 8 lanes of the compare are the 8 columns' (the cast leaves the rest undefined).
        const __mmask8 reached = static_cast<__mmask8>(
            _mm512_cmp_epi32_mask(load8<Masked>(t.slice.cut + c, lanes[h]), group, _MM_CMPINT_NLT));
        const __m512d masked = _mm512_maskz_mov_pd(reached, term); // +0.0 where not reached
        s[h] = First ? masked : _mm512_add_pd(s[h], masked);
    }
}

// Columns [j, j + 16) of the row's gradient into g[0] (j .. j + 7) and g[1]; with Masked, only
// the columns lanes[0] (j .. j + 7) and lanes[1] select are read.
template <bool Masked>
inline void gradient16(const GradientRow &row, Eigen::Index j, const double *w, __m512d invBatch, __m512d l2,
                       const __mmask8 *lanes, __m512d *g)
{
    __m512d r[2] = {load8<Masked>(row.base + j, lanes[0]), load8<Masked>(row.base + j + 8, lanes[1])};
    for (int k = 0; k < row.runCount; ++k) {
        __m512d s[2];
        const int a = row.runs[k], b = row.runs[k + 1];
        if (row.terms[a].slice.u)
            addTerm<true, true, Masked>(row.terms[a], j, lanes, s);
        else
            addTerm<true, false, Masked>(row.terms[a], j, lanes, s);
        for (int q = a + 1; q < b; ++q) {
            if (row.terms[q].slice.u)
                addTerm<false, true, Masked>(row.terms[q], j, lanes, s);
            else
                addTerm<false, false, Masked>(row.terms[q], j, lanes, s);
        }
        r[0] = _mm512_add_pd(r[0], s[0]);
        r[1] = _mm512_add_pd(r[1], s[1]);
    }
    for (int h = 0; h < 2; ++h) {
        const Eigen::Index c = j + 8 * h;
        const __m512d scaled = _mm512_fmadd_pd(r[h], invBatch, load8<Masked>(row.h + c, lanes[h]));
        g[h] = _mm512_fmadd_pd(l2, load8<Masked>(w + c, lanes[h]), scaled);
    }
}

// The lanes of the columns [j, n) among [j, j + 16), as two 8-lane masks and one 16-lane mask.
inline __mmask16 tailLanes(Eigen::Index j, Eigen::Index n, __mmask8 *halves)
{
    const unsigned count = static_cast<unsigned>(n - j); // 1 .. 15
    const __mmask16 lanes = static_cast<__mmask16>((1u << count) - 1);
    halves[0] = static_cast<__mmask8>(lanes & 0xFF);
    halves[1] = static_cast<__mmask8>(lanes >> 8);
    return lanes;
}

} // namespace
#endif

bool adamRowStepIsVectorised()
{
#if FIRSTSPIKE_ADAM_AVX512
    return true;
#else
    return false;
#endif
}

Eigen::Index rowGradientVectors(const GradientRow &row, Eigen::Index n, const double *w, double *g)
{
#if FIRSTSPIKE_ADAM_AVX512
    const __m512d invBatch = _mm512_set1_pd(row.invBatch), l2 = _mm512_set1_pd(row.l2);
    const __mmask8 all[2] = {0xFF, 0xFF};
    Eigen::Index j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512d v[2];
        gradient16<false>(row, j, w, invBatch, l2, all, v);
        _mm512_storeu_pd(g + j, v[0]);
        _mm512_storeu_pd(g + j + 8, v[1]);
    }
    if (j < n) {
        __mmask8 halves[2];
        tailLanes(j, n, halves);
        __m512d v[2];
        gradient16<true>(row, j, w, invBatch, l2, halves, v);
        _mm512_mask_storeu_pd(g + j, halves[0], v[0]);
        _mm512_mask_storeu_pd(g + j + 8, halves[1], v[1]);
    }
    return n;
#else
    (void)row;
    (void)n;
    (void)w;
    (void)g;
    return 0;
#endif
}

Eigen::Index adamRowFromGradient(const GradientRow &row, Eigen::Index n, double *w, float *m, float *v,
                                 double *columnSums, const AdamConstants &adam)
{
#if FIRSTSPIKE_ADAM_AVX512
    const AdamVectors k(adam);
    const __m512d invBatch = _mm512_set1_pd(row.invBatch), l2 = _mm512_set1_pd(row.l2);
    const __mmask8 all[2] = {0xFF, 0xFF};
    Eigen::Index j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512d g[2];
        gradient16<false>(row, j, w, invBatch, l2, all, g);
        adamStep16(w + j, m + j, v + j, g, columnSums ? columnSums + j : nullptr, k);
    }
    if (j < n) { // the last, partial step
        __mmask8 halves[2];
        const __mmask16 lanes = tailLanes(j, n, halves);
        __m512d g[2];
        gradient16<true>(row, j, w, invBatch, l2, halves, g);
        adamStep16<true>(w + j, m + j, v + j, g, columnSums ? columnSums + j : nullptr, k, lanes);
    }
    return n;
#else
    (void)row;
    (void)n;
    (void)w;
    (void)m;
    (void)v;
    (void)columnSums;
    (void)adam;
    return 0;
#endif
}

} // namespace firstspike
