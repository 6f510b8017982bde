// Adam's update of 16 weights with AVX-512, shared by Optimizer::updatePiece and the trainer's
// fused gradient-and-update pass (core/training/GradientRow.cpp). Plain multiplies and adds:
// include it only in sources compiled with -ffp-contract=off (core/CMakeLists.txt), or GCC may
// fuse them and the bits would differ from the portable loop's.
#pragma once

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#define FIRSTSPIKE_ADAM_AVX512 1
#endif

#include "core/training/Optimizer.h"

#include <limits>

namespace firstspike {

#if FIRSTSPIKE_ADAM_AVX512
struct AdamVectors {
    __m512d b1, c1, b2, c2, step, max, negMax, min;
    __m512 eps;
    explicit AdamVectors(const AdamConstants &k)
        : b1(_mm512_set1_pd(k.b1))
        , c1(_mm512_set1_pd(k.c1))
        , b2(_mm512_set1_pd(k.b2))
        , c2(_mm512_set1_pd(k.c2))
        , step(_mm512_set1_pd(k.step))
        , max(_mm512_set1_pd(std::numeric_limits<float>::max()))
        , negMax(_mm512_set1_pd(-std::numeric_limits<float>::max()))
        , min(_mm512_set1_pd(std::numeric_limits<float>::min()))
        , eps(_mm512_set1_ps(k.eps))
    {
    }
};

// Weights w[0, 16) with moments m, v and gradient g[0] (columns 0-7), g[1] (8-15); with
// columnSums, each new weight is added to columnSums[j]. The portable loop's operations in the
// same order (vminpd(K, x) is x > K ? K : x, NaN kept; the flushes are zero masks). With
// Masked, only the columns `lanes` selects are read and written (a row's last, partial step);
// each of them gets the same bits as in a full step.
template <bool Masked = false>
inline void adamStep16(double *w, float *m, float *v, const __m512d *g, double *columnSums, const AdamVectors &k,
                       __mmask16 lanes = 0xFFFF)
{
    const __mmask8 half[2] = {static_cast<__mmask8>(lanes & 0xFF), static_cast<__mmask8>(lanes >> 8)};
    const __m512 mOld = Masked ? _mm512_maskz_loadu_ps(lanes, m) : _mm512_loadu_ps(m);
    const __m512 vOld = Masked ? _mm512_maskz_loadu_ps(lanes, v) : _mm512_loadu_ps(v);
    __m256 mNew[2], vNew[2];
    for (int h = 0; h < 2; ++h) {
        const __m512d gj = g[h];
        const __m512d mo = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(mOld) : _mm512_extractf32x8_ps(mOld, 1));
        const __m512d vo = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(vOld) : _mm512_extractf32x8_ps(vOld, 1));
        __m512d md = _mm512_add_pd(_mm512_mul_pd(k.b1, mo), _mm512_mul_pd(k.c1, gj));
        md = _mm512_max_pd(k.negMax, _mm512_min_pd(k.max, md));
        __m512d vd = _mm512_add_pd(_mm512_mul_pd(k.b2, vo), _mm512_mul_pd(k.c2, _mm512_mul_pd(gj, gj)));
        vd = _mm512_min_pd(k.max, vd);
        const __mmask8 mKeep = _mm512_cmp_pd_mask(_mm512_abs_pd(md), k.min, _CMP_NLT_UQ);
        const __mmask8 vKeep = _mm512_cmp_pd_mask(vd, k.min, _CMP_NLT_UQ);
        mNew[h] = _mm512_maskz_cvtpd_ps(mKeep, md);
        vNew[h] = _mm512_maskz_cvtpd_ps(vKeep, vd);
    }
    const __m512 mj = _mm512_insertf32x8(_mm512_castps256_ps512(mNew[0]), mNew[1], 1);
    const __m512 vj = _mm512_insertf32x8(_mm512_castps256_ps512(vNew[0]), vNew[1], 1);
    if (Masked) {
        _mm512_mask_storeu_ps(m, lanes, mj);
        _mm512_mask_storeu_ps(v, lanes, vj);
    } else {
        _mm512_storeu_ps(m, mj);
        _mm512_storeu_ps(v, vj);
    }
    const __m512 dir = _mm512_div_ps(mj, _mm512_add_ps(_mm512_sqrt_ps(vj), k.eps));
    for (int h = 0; h < 2; ++h) {
        if (Masked && half[h] == 0)
            continue;
        const __m512d d = _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(dir) : _mm512_extractf32x8_ps(dir, 1));
        const __m512d wj = Masked ? _mm512_maskz_loadu_pd(half[h], w + 8 * h) : _mm512_loadu_pd(w + 8 * h);
        const __m512d wNew = _mm512_sub_pd(wj, _mm512_mul_pd(k.step, d));
        if (Masked)
            _mm512_mask_storeu_pd(w + 8 * h, half[h], wNew);
        else
            _mm512_storeu_pd(w + 8 * h, wNew);
        if (columnSums) {
            double *sum = columnSums + 8 * h;
            const __m512d old = Masked ? _mm512_maskz_loadu_pd(half[h], sum) : _mm512_loadu_pd(sum);
            if (Masked)
                _mm512_mask_storeu_pd(sum, half[h], _mm512_add_pd(old, wNew));
            else
                _mm512_storeu_pd(sum, _mm512_add_pd(old, wNew));
        }
    }
}
#endif

} // namespace firstspike
