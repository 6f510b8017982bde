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
    const double lr = currentLearningRate();
    if (config_.normalizeGradient) {
        double norm2 = 0.0;
        for (const Matrix &g : gradients)
            norm2 += g.squaredNorm();
        const double norm = std::sqrt(norm2);
        if (norm > 0.0)
            for (Matrix &g : gradients)
                g /= norm;
    }
    ++step_;
    if (config_.kind == OptimizerKind::Sgd) {
        for (std::size_t l = 0; l < weights.size(); ++l)
            weights[l] -= lr * gradients[l];
        return;
    }
    const double b1 = config_.beta1, b2 = config_.beta2;
    const double correction1 = 1.0 - std::pow(b1, static_cast<double>(step_));
    const double correction2 = 1.0 - std::pow(b2, static_cast<double>(step_));
    const double stepSize = lr * std::sqrt(correction2) / correction1;
    const double eps = config_.epsilon * std::sqrt(correction2);
    for (std::size_t l = 0; l < weights.size(); ++l) {
        auto g = gradients[l].array();
        m_[l].array() = b1 * m_[l].array() + (1.0 - b1) * g;
        v_[l].array() = b2 * v_[l].array() + (1.0 - b2) * g.square();
        weights[l].array() -= stepSize * m_[l].array() / (v_[l].array().sqrt() + eps);
    }
}

} // namespace firstspike
