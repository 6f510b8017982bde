#include "Optimizer.h"

#include <cmath>

namespace firstspike {

std::string optimizerName(OptimizerKind kind)
{
    return kind == OptimizerKind::Adam ? "adam" : "sgd";
}

bool parseOptimizer(const std::string &name, OptimizerKind &out)
{
    if (name == "adam") {
        out = OptimizerKind::Adam;
        return true;
    }
    if (name == "sgd") {
        out = OptimizerKind::Sgd;
        return true;
    }
    return false;
}

Optimizer::Optimizer(const OptimizerConfig &config, const std::vector<Matrix> &shapes)
    : config_(config)
{
    for (const Matrix &w : shapes) {
        m_.push_back(Matrix::Zero(w.rows(), w.cols()));
        v_.push_back(Matrix::Zero(w.rows(), w.cols()));
    }
}

double Optimizer::currentLearningRate() const
{
    return config_.learningRate * std::exp(-config_.lrDecay * static_cast<double>(step_)) + config_.lrFloor;
}

void Optimizer::apply(std::vector<Matrix> &weights, std::vector<Matrix> &gradients)
{
    double scale = 1.0;
    if (config_.normalizeGradient) {
        double norm2 = 0.0;
        for (const Matrix &g : gradients)
            norm2 += g.squaredNorm();
        if (norm2 > 0.0)
            scale = 1.0 / std::sqrt(norm2);
    }
    beginStep();
    for (std::size_t l = 0; l < weights.size(); ++l)
        updateRows(l, weights[l], gradients[l], 0, weights[l].rows(), scale);
}

void Optimizer::beginStep()
{
    stepLearningRate_ = currentLearningRate();
    ++step_;
    const double correction1 = 1.0 - std::pow(config_.beta1, static_cast<double>(step_));
    const double correction2 = 1.0 - std::pow(config_.beta2, static_cast<double>(step_));
    // Adam with the bias corrections folded into the step size and epsilon (Kingma & Ba, sec. 2).
    stepSize_ = stepLearningRate_ * std::sqrt(correction2) / correction1;
    stepEpsilon_ = config_.epsilon * std::sqrt(correction2);
}

void Optimizer::updateRows(std::size_t layer, Matrix &weights, const Matrix &gradients, Eigen::Index rowBegin,
                           Eigen::Index rowEnd, double gradientScale)
{
    const Eigen::Index rows = rowEnd - rowBegin;
    if (rows <= 0)
        return;
    auto w = weights.middleRows(rowBegin, rows).array();
    auto g = gradients.middleRows(rowBegin, rows).array();
    if (config_.kind == OptimizerKind::Sgd) {
        w -= (stepLearningRate_ * gradientScale) * g;
        return;
    }
    const double b1 = config_.beta1, b2 = config_.beta2;
    auto m = m_[layer].middleRows(rowBegin, rows).array();
    auto v = v_[layer].middleRows(rowBegin, rows).array();
    m = b1 * m + ((1.0 - b1) * gradientScale) * g;
    v = b2 * v + ((1.0 - b2) * gradientScale * gradientScale) * g.square();
    w -= stepSize_ * m / (v.sqrt() + stepEpsilon_);
}

} // namespace firstspike
