#pragma once
// Parameter updates: Adam or plain SGD, optional division of the gradient by its global L2
// norm, and the exponential learning-rate schedule lr(step) = lr0 * exp(-decay * step) + floor.

#include "SpikeNetwork.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <string>

namespace firstspike {

enum class OptimizerKind { Adam, Sgd };
std::string optimizerName(OptimizerKind kind); // "adam" / "sgd"
bool parseOptimizer(const std::string &name, OptimizerKind &out);

struct OptimizerConfig {
    OptimizerKind kind = OptimizerKind::Adam;
    double learningRate = 1e-3;
    double lrDecay = 1e-4;      // per optimiser step (README: decay beat a constant rate)
    double lrFloor = 0.0;
    bool normalizeGradient = false;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

class Optimizer {
public:
    Optimizer() = default;
    Optimizer(const OptimizerConfig &config, const std::vector<Matrix> &shapes);

    void setConfig(const OptimizerConfig &config) { config_ = config; } // e.g. live lr change
    const OptimizerConfig &config() const { return config_; }
    double currentLearningRate() const;
    long long stepCount() const { return step_; }

    // weights -= update(gradients); gradients may be modified (normalisation).
    void apply(std::vector<Matrix> &weights, std::vector<Matrix> &gradients);

    // The same update split so that row ranges can run on different threads: beginStep() once,
    // then updateRows() over disjoint row ranges. gradientScale multiplies the gradient (the
    // global-norm normalisation when enabled: 1 / norm).
    void beginStep();
    void updateRows(std::size_t layer, Matrix &weights, const Matrix &gradients, Eigen::Index rowBegin,
                    Eigen::Index rowEnd, double gradientScale);
    // One row from a gradient row held elsewhere: one pass over the row's weights and moments.
    void updateRow(std::size_t layer, Matrix &weights, Eigen::Index row, const double *gradient,
                   double gradientScale);
    // The same with the gradient computed on the fly, gradient(j, w_j), e.g. a reduction of
    // per-thread rows plus costs, so that nothing is written before the update reads it.
    template <typename Gradient>
    void updateRowWith(std::size_t layer, Matrix &weights, Eigen::Index row, double gradientScale,
                       Gradient &&gradient);

    // State for checkpoints (stored as doubles; held as floats, see m_).
    std::vector<Matrix> firstMoment() const { return toDouble(m_); }
    std::vector<Matrix> secondMoment() const { return toDouble(v_); }
    void setMoments(const std::vector<Matrix> &first, const std::vector<Matrix> &second);
    void setStepCount(long long step) { step_ = step; }

private:
    using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    static constexpr double kFloatMax = std::numeric_limits<float>::max();
    static constexpr double kFloatMin = std::numeric_limits<float>::min(); // smallest normal
    static std::vector<Matrix> toDouble(const std::vector<MatrixF> &m);

    OptimizerConfig config_;
    // Adam's moments in single precision: the per-mini-batch pass over every weight is bound by
    // memory traffic, and floats cut it by a third (weights, gradients and spike times stay
    // double). They only scale the step, where 7 significant digits are plenty.
    std::vector<MatrixF> m_, v_;
    long long step_ = 0;
    double stepLearningRate_ = 0.0; // per-step constants set by beginStep()
    double stepSize_ = 0.0;
    double stepEpsilon_ = 0.0;
};

template <typename Gradient>
void Optimizer::updateRowWith(std::size_t layer, Matrix &weights, Eigen::Index row, double gradientScale,
                              Gradient &&gradient)
{
    // Plain loops over contiguous rows (row-major): one pass that reads and writes each weight
    // and moment once; with -fno-math-errno the square root vectorises.
    const Eigen::Index n = weights.cols();
    double *__restrict w = weights.row(row).data();
    if (config_.kind == OptimizerKind::Sgd) {
        const double step = stepLearningRate_ * gradientScale;
        for (Eigen::Index j = 0; j < n; ++j) {
            const double wj = w[j];
            w[j] = wj - step * gradient(j, wj);
        }
        return;
    }
    float *__restrict m = m_[layer].row(row).data();
    float *__restrict v = v_[layer].row(row).data();
    const double b1 = config_.beta1, b2 = config_.beta2;
    const double c1 = (1.0 - b1) * gradientScale;
    const double c2 = (1.0 - b2) * gradientScale * gradientScale;
    const double step = stepSize_;
    const float eps = static_cast<float>(stepEpsilon_);
    for (Eigen::Index j = 0; j < n; ++j) {
        const double wj = w[j];
        const double gj = gradient(j, wj);
        // Moments updated in double from the stored floats, then rounded once; the step's
        // direction m / (sqrt(v) + eps) in float. Kept inside float's normal range: clamped at
        // FLT_MAX (a huge but finite gradient must not become inf and freeze or NaN the
        // weight), flushed to 0 below FLT_MIN (a moment decaying under zero gradients would
        // otherwise end as a denormal, slow on every step after).
        const double md = std::clamp(b1 * m[j] + c1 * gj, -kFloatMax, kFloatMax);
        const double vd = std::min(b2 * v[j] + c2 * (gj * gj), kFloatMax);
        const float mj = std::abs(md) < kFloatMin ? 0.0f : static_cast<float>(md);
        const float vj = vd < kFloatMin ? 0.0f : static_cast<float>(vd);
        m[j] = mj;
        v[j] = vj;
        w[j] = wj - step * static_cast<double>(mj / (std::sqrt(vj) + eps));
    }
}

} // namespace firstspike
