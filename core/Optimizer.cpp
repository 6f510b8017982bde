#include "Optimizer.h"

#include <cmath>
#include <stdexcept>

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
        m_.push_back(MatrixF::Zero(w.rows(), w.cols()));
        v_.push_back(MatrixF::Zero(w.rows(), w.cols()));
    }
}

std::vector<Matrix> Optimizer::toDouble(const std::vector<MatrixF> &m)
{
    std::vector<Matrix> out;
    out.reserve(m.size());
    for (const MatrixF &x : m)
        out.push_back(x.cast<double>());
    return out;
}

void Optimizer::setMoments(const std::vector<Matrix> &first, const std::vector<Matrix> &second)
{
    if (first.size() != m_.size() || second.size() != v_.size())
        throw std::invalid_argument("optimiser state does not match the network's layers");
    for (std::size_t l = 0; l < m_.size(); ++l) {
        if (first[l].rows() != m_[l].rows() || first[l].cols() != m_[l].cols() || second[l].rows() != v_[l].rows()
            || second[l].cols() != v_[l].cols())
            throw std::invalid_argument("optimiser state does not match the network's layer sizes");
        m_[l] = first[l].cast<float>();
        v_[l] = second[l].cast<float>();
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
    for (Eigen::Index i = rowBegin; i < rowEnd; ++i)
        updateRow(layer, weights, i, gradients.row(i).data(), gradientScale);
}

void Optimizer::updateRow(std::size_t layer, Matrix &weights, Eigen::Index row, const double *g,
                          double gradientScale)
{
    updateRowWith(layer, weights, row, gradientScale, [g](Eigen::Index j, double) { return g[j]; });
}

} // namespace firstspike
