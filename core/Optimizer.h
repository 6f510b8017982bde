#pragma once
// Parameter updates: Adam or plain SGD, optional division of the gradient by its global L2
// norm, and the exponential learning-rate schedule lr(step) = lr0 * exp(-decay * step) + floor.

#include "SpikeNetwork.h"

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

    // State for checkpoints.
    std::vector<Matrix> &firstMoment() { return m_; }
    std::vector<Matrix> &secondMoment() { return v_; }
    const std::vector<Matrix> &firstMoment() const { return m_; }
    const std::vector<Matrix> &secondMoment() const { return v_; }
    void setStepCount(long long step) { step_ = step; }

private:
    OptimizerConfig config_;
    std::vector<Matrix> m_, v_;
    long long step_ = 0;
    double stepLearningRate_ = 0.0; // per-step constants set by beginStep()
    double stepSize_ = 0.0;
    double stepEpsilon_ = 0.0;
};

} // namespace firstspike
