#pragma once
// Parameter updates: Adam or plain SGD, optional division of the gradient by its global L2
// norm, and the learning-rate schedule (docs/MODEL.md, "Training"):
//   exponential: lr(step) = lr0 * exp(-decay * step) + floor
//   exponential over the run (the default): the exponential with decay min(decay, kRunDecay / T)
//                over the run's T steps: a long run (many steps an epoch, e.g. full MNIST) is not
//                left at a vanishing rate for its last epochs; a short one decays per step
//   cosine:      a linear warm-up over the first W steps, then
//                lr(step) = floor + (lr0 - floor) * (1 + cos(pi * (step - W) / (T - W))) / 2
//                over the run's T steps, so that the rate reaches the floor at the last step.

#include "core/model/SpikeNetwork.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <string>

namespace firstspike {

enum class OptimizerKind { Adam, Sgd };
enum class LrSchedule { Exponential, Cosine, ExponentialOverRun };
std::string scheduleName(LrSchedule schedule); // "exp" / "cosine" / "exp-run"
// exp-run: over a long run lr0 falls by e^5 (~150x) by its last step.
constexpr double kRunDecay = 5.0;
bool parseSchedule(const std::string &name, LrSchedule &out);
std::string optimizerName(OptimizerKind kind); // "adam" / "sgd"
bool parseOptimizer(const std::string &name, OptimizerKind &out);

struct OptimizerConfig {
    OptimizerKind kind = OptimizerKind::Adam;
    double learningRate = 1e-3;
    double lrDecay = 1e-4;      // per optimiser step (README: decay beat a constant rate)
    double lrFloor = 0.0;
    LrSchedule schedule = LrSchedule::ExponentialOverRun;
    // Cosine and exp-run, both derived by the Trainer from the run (TrainConfig::warmupEpochs, epochs,
    // batch size), never stored: a linear warm-up from lr0 / W to lr0 over W steps, T in all.
    long long warmupSteps = 0;
    long long totalSteps = 0;
    bool normalizeGradient = false;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

// The learning rate of the schedule at optimiser step `step` (0-based).
double learningRateAt(const OptimizerConfig &config, long long step);

// One Adam step's constants (Optimizer::adamConstants): the moments' decay rates b1, b2, the
// gradient's weights c1 = (1 - b1) s and c2 = (1 - b2) s^2 for a gradient scale s, and the step
// size and epsilon with the bias corrections folded in.
struct AdamConstants {
    double b1, c1, b2, c2, step;
    float eps;
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
    // One row from a gradient row held elsewhere (e.g. a reduction of per-thread rows plus costs
    // in a buffer that stays in L1): one pass over the row's weights and moments.
    void updateRow(std::size_t layer, Matrix &weights, Eigen::Index row, const double *gradient,
                   double gradientScale);
    // The columns [begin, end) of one row; gradient[0] is column begin's. With columnSums, each
    // new weight is also added to columnSums[j - begin] (the trainer's column sums, summed while
    // the weights are in registers instead of in a pass of their own).
    void updateRow(std::size_t layer, Matrix &weights, Eigen::Index row, Eigen::Index begin, Eigen::Index end,
                   const double *gradient, double gradientScale, double *columnSums = nullptr);
    // The same with the row's weights held elsewhere: w[0, end - begin) are the weights of the
    // columns [begin, end) of row `row` (e.g. in a trainer's column panel).
    void updateRow(std::size_t layer, double *w, Eigen::Index row, Eigen::Index begin, Eigen::Index end,
                   const double *gradient, double gradientScale, double *columnSums = nullptr);
    // For a caller that applies Adam itself (AdamKernel.h, between beginStep() and the next
    // one): this step's constants for a gradient scale, and the moments of the columns
    // [begin, end) of the layer's rows, when Adam is the optimiser and they lie in one panel:
    // row i's moments are m + i * rowStride and v + i * rowStride, contiguous.
    AdamConstants adamConstants(double gradientScale) const;
    bool momentRows(std::size_t layer, Eigen::Index begin, Eigen::Index end, float *&m, float *&v,
                    Eigen::Index &rowStride);
    // Stores the layer's moments as column panels: the columns [bounds[k], bounds[k + 1]) of
    // every row contiguous, panel after panel (bounds ascend from 0 to the column count; empty:
    // plain rows). A trainer thread that updates the same columns in every step then streams
    // through memory of its own: two cores updating disjoint columns of the same rows share
    // pages and run the update's memory stream at well under twice one core's speed (see
    // docs/PERFORMANCE.md). The values and results do not change; a piece passed to updateRow may
    // span panels.
    void setColumnPanels(std::size_t layer, std::vector<Eigen::Index> bounds);
    // State for checkpoints (stored as doubles; held as floats, see m_).
    std::vector<Matrix> firstMoment() const { return toDouble(m_); }
    std::vector<Matrix> secondMoment() const { return toDouble(v_); }
    void setMoments(const std::vector<Matrix> &first, const std::vector<Matrix> &second);
    void setStepCount(long long step) { step_ = step; }

private:
    using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    static constexpr double kFloatMax = std::numeric_limits<float>::max();
    static constexpr double kFloatMin = std::numeric_limits<float>::min(); // smallest normal
    std::vector<Matrix> toDouble(const std::vector<MatrixF> &m) const; // in row order
    // The moment entry of (row, col) of a layer in m_ or v_'s storage, and the end of its run of
    // contiguous columns (its panel's end).
    Eigen::Index storageIndex(std::size_t layer, Eigen::Index row, Eigen::Index col, Eigen::Index *runEnd) const;
    // One contiguous piece of a row: n weights, moments and gradient entries.
    void updatePiece(double *w, float *m, float *v, const double *g, Eigen::Index n, double gradientScale,
                     double *columnSums) const;

    OptimizerConfig config_;
    // Adam's moments in single precision: the per-mini-batch pass over every weight is bound by
    // memory traffic, and floats cut it by a third (weights, gradients and spike times stay
    // double). They only scale the step, where 7 significant digits are plenty.
    std::vector<MatrixF> m_, v_;
    std::vector<std::vector<Eigen::Index>> panels_; // per layer: column panel bounds, or empty
    long long step_ = 0;
    double stepLearningRate_ = 0.0; // per-step constants set by beginStep()
    double stepSize_ = 0.0;
    double stepEpsilon_ = 0.0;
};

} // namespace firstspike
