// One weight row's step in the trainer's update pass (Trainer::trainBatch): its gradient formed
// from the samples' gradient records, and Adam applied to it, 16 columns at a time while they
// are in registers. Compiled with -ffp-contract=off: every fused multiply-add is written out.
#pragma once

#include "core/model/SpikeNetwork.h"
#include "core/training/Optimizer.h"

namespace firstspike {

// One record term of a row: over the columns of `slice`,
//   cut[j] >= group ? fma(z, g[j], -gz[j]) - u[j] : 0      (no "- u[j]" when u is null),
// the term LayerGradientRecord::accumulate adds.
struct GradientTerm {
    RecordSlice slice;
    double z;
    int group;
};

// The row's gradient, column j (j counted from the update block's first column, as the
// slices, `base`, `h` and the weights are):
//   g[j] = fma(l2, w[j], fma(r[j], invBatch, h[j])),
//   r = ((base + s_0) + s_1) + ... + s_{runCount-1},
//   s_k = t_a + t_{a+1} + ... + t_{b-1}    (left to right; run k is terms[runs[k]] ..
//         terms[runs[k + 1]], one thread's records of the row, never empty),
// t_q being term q; or, for a layer whose gradient the threads keep as dense rows
// (GradientRecord::denseFrom), s_k = dense[k][j], k < denseCount. The additions of Trainer's
// accumulate-then-reduce form in the same order (the first term of a run assigned), so the
// same bits.
struct GradientRow {
    const GradientTerm *terms;
    const int *runs;
    int runCount;
    const double *base, *h;
    double invBatch, l2;
    const double *const *dense = nullptr;
    int denseCount = 0;
};

// Whether adamRowFromGradient and rowGradientVectors work in this build (AVX-512). Without
// it they do nothing, and the trainer keeps its row-buffer form, which gives the same bits.
bool adamRowStepIsVectorised();

// g[0, n) = the row's gradient, 16 columns a step, the last step masked: the form
// adamRowFromGradient uses.
void rowGradientVectors(const GradientRow &row, Eigen::Index n, const double *w, double *g);

// Adam (the constants of Optimizer::adamConstants(1.0)) on the row, 16 columns at a time (the
// last step masked), each piece's gradient as rowGradientVectors computes it, in registers: w, m
// and v are the weights and moments of columns [0, n); with columnSums, each new weight is added
// to columnSums[j]. The bits of the row-buffer form and Optimizer::updateRow.
void adamRowFromGradient(const GradientRow &row, Eigen::Index n, double *w, float *m, float *v, double *columnSums,
                         const AdamConstants &adam);

} // namespace firstspike
