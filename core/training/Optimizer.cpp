#include "core/training/Optimizer.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/training/AdamKernel.h"
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
    panels_.resize(m_.size());
}

namespace {
// Where (row, col) of a rows x cols matrix lies in a column-panel layout (see setColumnPanels),
// and the end of its panel.
Eigen::Index panelIndex(const std::vector<Eigen::Index> &bounds, Eigen::Index rows, Eigen::Index cols, Eigen::Index row,
                        Eigen::Index col, Eigen::Index *runEnd)
{
    if (bounds.empty()) {
        if (runEnd)
            *runEnd = cols;
        return row * cols + col;
    }
    const std::size_t k = static_cast<std::size_t>(std::upper_bound(bounds.begin(), bounds.end(), col) - bounds.begin()) - 1;
    if (runEnd)
        *runEnd = bounds[k + 1];
    return rows * bounds[k] + row * (bounds[k + 1] - bounds[k]) + (col - bounds[k]);
}
} // namespace

Eigen::Index Optimizer::storageIndex(std::size_t layer, Eigen::Index row, Eigen::Index col, Eigen::Index *runEnd) const
{
    return panelIndex(panels_[layer], m_[layer].rows(), m_[layer].cols(), row, col, runEnd);
}

void Optimizer::setColumnPanels(std::size_t layer, std::vector<Eigen::Index> bounds)
{
    if (layer >= m_.size())
        throw std::invalid_argument("Optimizer::setColumnPanels: no such layer");
    const Eigen::Index rows = m_[layer].rows(), cols = m_[layer].cols();
    if (!bounds.empty()
        && (bounds.size() < 2 || bounds.front() != 0 || bounds.back() != cols
            || std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) != bounds.end()))
        throw std::invalid_argument("Optimizer::setColumnPanels: bounds must ascend from 0 to the column count");
    if (bounds.size() == 2)
        bounds.clear(); // one panel is the plain layout
    if (bounds == panels_[layer])
        return;
    // The values move to the new layout (built aside: an allocation failure changes nothing).
    MatrixF m(rows, cols), v(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
        for (Eigen::Index j = 0; j < cols; ++j) {
            const Eigen::Index from = storageIndex(layer, i, j, nullptr);
            const Eigen::Index to = panelIndex(bounds, rows, cols, i, j, nullptr);
            m.data()[to] = m_[layer].data()[from];
            v.data()[to] = v_[layer].data()[from];
        }
    m_[layer].swap(m);
    v_[layer].swap(v);
    panels_[layer].swap(bounds);
}

std::vector<Matrix> Optimizer::toDouble(const std::vector<MatrixF> &m) const
{
    std::vector<Matrix> out;
    out.reserve(m.size());
    for (std::size_t l = 0; l < m.size(); ++l) {
        Matrix x(m[l].rows(), m[l].cols());
        for (Eigen::Index i = 0; i < x.rows(); ++i)
            for (Eigen::Index j = 0; j < x.cols(); ++j)
                x(i, j) = static_cast<double>(m[l].data()[storageIndex(l, i, j, nullptr)]);
        out.push_back(std::move(x));
    }
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
        for (Eigen::Index i = 0; i < first[l].rows(); ++i)
            for (Eigen::Index j = 0; j < first[l].cols(); ++j) {
                const Eigen::Index k = storageIndex(l, i, j, nullptr);
                m_[l].data()[k] = static_cast<float>(first[l](i, j));
                v_[l].data()[k] = static_cast<float>(second[l](i, j));
            }
    }
}

double Optimizer::currentLearningRate() const
{
    return learningRateAt(config_, step_);
}

double learningRateAt(const OptimizerConfig &c, long long step)
{
    if (c.schedule != LrSchedule::Cosine) {
        // exp-run: the per-step decay slowed down so that the run's T steps take lr0 down by
        // e^kRunDecay, never faster than the per-step decay (short runs, and an optimiser
        // outside a Trainer, decay per step).
        double decay = c.lrDecay;
        if (c.schedule == LrSchedule::ExponentialOverRun && c.totalSteps > 0)
            decay = std::min(decay, kRunDecay / static_cast<double>(c.totalSteps));
        return c.learningRate * std::exp(-decay * static_cast<double>(step)) + c.lrFloor;
    }
    const long long warmup = std::max(0LL, c.warmupSteps);
    if (step < warmup)
        return c.learningRate * static_cast<double>(step + 1) / static_cast<double>(warmup);
    const long long span = c.totalSteps - warmup;
    if (span <= 0)
        return c.learningRate;
    const double progress = std::min(1.0, static_cast<double>(step - warmup) / static_cast<double>(span));
    return c.lrFloor + (c.learningRate - c.lrFloor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * progress));
}

std::string scheduleName(LrSchedule schedule)
{
    switch (schedule) {
    case LrSchedule::Cosine: return "cosine";
    case LrSchedule::ExponentialOverRun: return "exp-run";
    case LrSchedule::Exponential: break;
    }
    return "exp";
}

bool parseSchedule(const std::string &name, LrSchedule &out)
{
    if (name == "exp" || name == "exponential") {
        out = LrSchedule::Exponential;
        return true;
    }
    if (name == "exp-run") {
        out = LrSchedule::ExponentialOverRun;
        return true;
    }
    if (name == "cosine" || name == "cos") {
        out = LrSchedule::Cosine;
        return true;
    }
    return false;
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
    updateRow(layer, weights, row, 0, weights.cols(), g, gradientScale);
}

void Optimizer::updateRow(std::size_t layer, Matrix &weights, Eigen::Index row, Eigen::Index begin, Eigen::Index end,
                          const double *g, double gradientScale, double *columnSums)
{
    updateRow(layer, weights.row(row).data() + begin, row, begin, end, g, gradientScale, columnSums);
}

void Optimizer::updateRow(std::size_t layer, double *w, Eigen::Index row, Eigen::Index begin, Eigen::Index end,
                          const double *g, double gradientScale, double *columnSums)
{
    if (config_.kind == OptimizerKind::Sgd) {
        updatePiece(w, nullptr, nullptr, g, end - begin, gradientScale, columnSums);
        return;
    }
    for (Eigen::Index c = begin, runEnd = begin; c < end; c = runEnd) { // one piece per panel
        const Eigen::Index k = storageIndex(layer, row, c, &runEnd);
        runEnd = std::min(runEnd, end);
        const Eigen::Index offset = c - begin;
        updatePiece(w + offset, m_[layer].data() + k, v_[layer].data() + k, g + offset, runEnd - c, gradientScale,
                    columnSums ? columnSums + offset : nullptr);
    }
}

AdamConstants Optimizer::adamConstants(double gradientScale) const
{
    const double b1 = config_.beta1, b2 = config_.beta2;
    return {b1, (1.0 - b1) * gradientScale, b2, (1.0 - b2) * gradientScale * gradientScale, stepSize_,
            static_cast<float>(stepEpsilon_)};
}

bool Optimizer::momentRows(std::size_t layer, Eigen::Index begin, Eigen::Index end, float *&m, float *&v,
                           Eigen::Index &rowStride)
{
    if (config_.kind != OptimizerKind::Adam || m_[layer].rows() == 0 || begin < 0 || begin >= end
        || end > m_[layer].cols())
        return false;
    Eigen::Index runEnd = 0;
    const Eigen::Index k = storageIndex(layer, 0, begin, &runEnd);
    if (runEnd < end)
        return false;
    // The panel's width (row 1's offset); 0 for a one-row layer, where only row 0 exists.
    rowStride = storageIndex(layer, 1 % m_[layer].rows(), begin, nullptr) - k;
    m = m_[layer].data() + k;
    v = v_[layer].data() + k;
    return true;
}

void Optimizer::updatePiece(double *__restrict w, float *__restrict m, float *__restrict v, const double *__restrict g,
                            Eigen::Index n, double gradientScale, double *__restrict columnSums) const
{
    // Plain loops over contiguous memory: one pass that reads and writes each weight and moment
    // once. It vectorises with -fno-math-errno (std::sqrt) and -fno-trapping-math (the selects
    // below); scalar, this pass was half of a mini-batch's time.
    if (config_.kind == OptimizerKind::Sgd) {
        const double step = stepLearningRate_ * gradientScale;
        for (Eigen::Index j = 0; j < n; ++j) {
            const double wj = w[j];
            w[j] = wj - step * g[j];
        }
        if (columnSums)
            for (Eigen::Index j = 0; j < n; ++j)
                columnSums[j] += w[j];
        return;
    }
    const AdamConstants constants = adamConstants(gradientScale);
    const double b1 = constants.b1, c1 = constants.c1, b2 = constants.b2, c2 = constants.c2;
    const double step = constants.step;
    const float eps = constants.eps;
    Eigen::Index j = 0;
#if FIRSTSPIKE_ADAM_AVX512
    // The loop below, 16 weights at a time, written out (AdamKernel.h): GCC's own vectorisation
    // of it juggles mask registers and ran at ~6 cycles per weight. The same bits
    // (tst_training: adamKernelGivesTheSameBitsAtEveryWidth).
    {
        const AdamVectors k(constants);
        for (; j + 16 <= n; j += 16) {
            const __m512d gj[2] = {_mm512_loadu_pd(g + j), _mm512_loadu_pd(g + j + 8)};
            adamStep16(w + j, m + j, v + j, gj, columnSums ? columnSums + j : nullptr, k);
        }
    }
#endif
    const Eigen::Index tail = j;
    for (; j < n; ++j) {
        const double wj = w[j];
        const double gj = g[j];
        // Moments updated in double from the stored floats, then rounded once; the step's
        // direction m / (sqrt(v) + eps) in float. Kept inside float's normal range: clamped at
        // FLT_MAX (a huge but finite gradient must not become inf and freeze or NaN the
        // weight), flushed to 0 below FLT_MIN (a moment decaying under zero gradients would
        // otherwise end as a denormal, slow on every step after).
        // Every value computed unconditionally, then selected: GCC keeps a conditional
        // conversion (which may raise a floating-point flag) or std::clamp's reference as a
        // branch, and the loop then stays scalar. The same results, NaN included.
        double md = b1 * m[j] + c1 * gj;
        md = md > kFloatMax ? kFloatMax : md;
        md = md < -kFloatMax ? -kFloatMax : md;
        double vd = b2 * v[j] + c2 * (gj * gj);
        vd = vd > kFloatMax ? kFloatMax : vd;
        const float mf = static_cast<float>(md), vf = static_cast<float>(vd);
        const float mj = std::abs(md) < kFloatMin ? 0.0f : mf;
        const float vj = vd < kFloatMin ? 0.0f : vf;
        m[j] = mj;
        v[j] = vj;
        w[j] = wj - step * static_cast<double>(mj / (std::sqrt(vj) + eps));
    }
    if (columnSums) // the plain loop's weights (the vector body added its own)
        for (Eigen::Index k = tail; k < n; ++k)
            columnSums[k] += w[k];
}

} // namespace firstspike
