#include "core/training/GradientRow.h"

#include "core/training/AdamKernel.h"

#include <cmath>
#include <type_traits>

namespace firstspike {

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
    for (int k = 0; k < row.denseCount; ++k) {
        r[0] = _mm512_add_pd(r[0], load8<Masked>(row.dense[k] + j, lanes[0]));
        r[1] = _mm512_add_pd(r[1], load8<Masked>(row.dense[k] + j + 8, lanes[1]));
    }
    for (int h = 0; h < 2; ++h) {
        const Eigen::Index c = j + 8 * h;
        const __m512d scaled = _mm512_fmadd_pd(r[h], invBatch, load8<Masked>(row.h + c, lanes[h]));
        g[h] = _mm512_fmadd_pd(l2, load8<Masked>(w + c, lanes[h]), scaled);
    }
}

// The row's gradient 16 columns at a time, each piece handed to
// visit(std::bool_constant<Masked>, j, g, lanes): columns [j, j + 16) in g[0] (j .. j + 7) and
// g[1]; the last, partial piece Masked, with lanes its columns among the 16.
template <typename Visit>
inline void forEachGradientPiece(const GradientRow &row, Eigen::Index n, const double *w, Visit &&visit)
{
    const __m512d invBatch = _mm512_set1_pd(row.invBatch), l2 = _mm512_set1_pd(row.l2);
    const __mmask8 all[2] = {0xFF, 0xFF};
    Eigen::Index j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512d g[2];
        gradient16<false>(row, j, w, invBatch, l2, all, g);
        visit(std::false_type{}, j, g, __mmask16{0xFFFF});
    }
    if (j < n) {
        const __mmask16 lanes = static_cast<__mmask16>((1u << static_cast<unsigned>(n - j)) - 1); // 1 .. 15 columns
        const __mmask8 halves[2] = {static_cast<__mmask8>(lanes & 0xFF), static_cast<__mmask8>(lanes >> 8)};
        __m512d g[2];
        gradient16<true>(row, j, w, invBatch, l2, halves, g);
        visit(std::true_type{}, j, g, lanes);
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

void rowGradientVectors(const GradientRow &row, Eigen::Index n, const double *w, double *g)
{
#if FIRSTSPIKE_ADAM_AVX512
    forEachGradientPiece(row, n, w, [&](auto masked, Eigen::Index j, const __m512d *piece, __mmask16 lanes) {
        if constexpr (decltype(masked)::value) {
            _mm512_mask_storeu_pd(g + j, static_cast<__mmask8>(lanes & 0xFF), piece[0]);
            _mm512_mask_storeu_pd(g + j + 8, static_cast<__mmask8>(lanes >> 8), piece[1]);
        } else {
            _mm512_storeu_pd(g + j, piece[0]);
            _mm512_storeu_pd(g + j + 8, piece[1]);
        }
    });
#else
    (void)row;
    (void)n;
    (void)w;
    (void)g;
#endif
}

void adamRowFromGradient(const GradientRow &row, Eigen::Index n, double *w, float *m, float *v, double *columnSums,
                         const AdamConstants &adam)
{
#if FIRSTSPIKE_ADAM_AVX512
    const AdamVectors k(adam);
    forEachGradientPiece(row, n, w, [&](auto masked, Eigen::Index j, const __m512d *g, __mmask16 lanes) {
        adamStep16<decltype(masked)::value>(w + j, m + j, v + j, g, columnSums ? columnSums + j : nullptr, k, lanes);
    });
#else
    (void)row;
    (void)n;
    (void)w;
    (void)m;
    (void)v;
    (void)columnSums;
    (void)adam;
#endif
}

} // namespace firstspike
