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

// Term t over columns [j, j + 16): s = the masked term (First) or s + the masked term.
template <bool First, bool Fold>
inline void addTerm(const GradientTerm &t, Eigen::Index j, __m512d *s)
{
    const __m512d z = _mm512_set1_pd(t.z);
    const __m256i group = _mm256_set1_epi32(t.group);
    for (int h = 0; h < 2; ++h) {
        const Eigen::Index c = j + 8 * h;
        __m512d term = _mm512_fmsub_pd(z, _mm512_loadu_pd(t.slice.g + c), _mm512_loadu_pd(t.slice.gz + c));
        if constexpr (Fold)
            term = _mm512_sub_pd(term, _mm512_loadu_pd(t.slice.u + c));
        const __mmask8 reached = _mm512_cmp_epi32_mask(
            _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(t.slice.cut + c))),
            _mm512_castsi256_si512(group), _MM_CMPINT_NLT);
        const __m512d masked = _mm512_maskz_mov_pd(reached, term); // +0.0 where not reached
        s[h] = First ? masked : _mm512_add_pd(s[h], masked);
    }
}

} // namespace
#endif

#if FIRSTSPIKE_ADAM_AVX512
namespace {

// Columns [j, j + 16) of the row's gradient into g[0] (j .. j + 7) and g[1].
inline void gradient16(const GradientRow &row, Eigen::Index j, const double *w, __m512d invBatch, __m512d l2,
                       __m512d *g)
{
    __m512d r[2] = {_mm512_loadu_pd(row.base + j), _mm512_loadu_pd(row.base + j + 8)};
    for (int k = 0; k < row.runCount; ++k) {
        __m512d s[2];
        const int a = row.runs[k], b = row.runs[k + 1];
        if (row.terms[a].slice.u)
            addTerm<true, true>(row.terms[a], j, s);
        else
            addTerm<true, false>(row.terms[a], j, s);
        for (int q = a + 1; q < b; ++q) {
            if (row.terms[q].slice.u)
                addTerm<false, true>(row.terms[q], j, s);
            else
                addTerm<false, false>(row.terms[q], j, s);
        }
        r[0] = _mm512_add_pd(r[0], s[0]);
        r[1] = _mm512_add_pd(r[1], s[1]);
    }
    for (int h = 0; h < 2; ++h) {
        const Eigen::Index c = j + 8 * h;
        const __m512d scaled = _mm512_fmadd_pd(r[h], invBatch, _mm512_loadu_pd(row.h + c));
        g[h] = _mm512_fmadd_pd(l2, _mm512_loadu_pd(w + c), scaled);
    }
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
    Eigen::Index j = 0;
#if FIRSTSPIKE_ADAM_AVX512
    const __m512d invBatch = _mm512_set1_pd(row.invBatch), l2 = _mm512_set1_pd(row.l2);
    for (; j + 16 <= n; j += 16) {
        __m512d v[2];
        gradient16(row, j, w, invBatch, l2, v);
        _mm512_storeu_pd(g + j, v[0]);
        _mm512_storeu_pd(g + j + 8, v[1]);
    }
#else
    (void)row;
    (void)n;
    (void)w;
    (void)g;
#endif
    return j;
}

Eigen::Index adamRowFromGradient(const GradientRow &row, Eigen::Index n, double *w, float *m, float *v,
                                 double *columnSums, const AdamConstants &adam)
{
    Eigen::Index j = 0;
#if FIRSTSPIKE_ADAM_AVX512
    const AdamVectors k(adam);
    const __m512d invBatch = _mm512_set1_pd(row.invBatch), l2 = _mm512_set1_pd(row.l2);
    for (; j + 16 <= n; j += 16) {
        __m512d g[2];
        gradient16(row, j, w, invBatch, l2, g);
        adamStep16(w + j, m + j, v + j, g, columnSums ? columnSums + j : nullptr, k);
    }
#else
    (void)row;
    (void)n;
    (void)w;
    (void)m;
    (void)v;
    (void)columnSums;
    (void)adam;
#endif
    return j;
}

} // namespace firstspike
