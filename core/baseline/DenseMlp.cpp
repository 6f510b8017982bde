#include "core/baseline/DenseMlp.h"

#include "core/common/Random.h"

#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>

namespace firstspike {

DenseMlp::DenseMlp(const std::vector<int> &layerSizes, int threads, std::uint64_t seed, const OptimizerConfig &optimizer)
    : sizes_(layerSizes)
    , pool_(threads)
{
    Random rng(seed);
    for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
        Matrix w(sizes_[l] + 1, sizes_[l + 1]);
        const double scale = std::sqrt(6.0 / (sizes_[l] + sizes_[l + 1]));
        for (Eigen::Index k = 0; k < w.size(); ++k)
            w.data()[k] = rng.uniform(-scale, scale);
        weights_.push_back(w);
    }
    optimizer_ = Optimizer(optimizer, weights_);
    // Gradients: a wide layer's as one matrix per thread (its columns), a narrow layer's whole.
    // Each thread's columns of a wide layer's moments in memory of their own too, as the spiking
    // trainer keeps them (Optimizer::setColumnPanels).
    gradients_.resize(weights_.size());
    gradientPanels_.resize(weights_.size());
    for (int l = 0; l < static_cast<int>(weights_.size()); ++l) {
        const std::size_t k = static_cast<std::size_t>(l);
        if (!wide(l)) {
            gradients_[k] = Matrix::Zero(weights_[k].rows(), weights_[k].cols());
            continue;
        }
        std::vector<Eigen::Index> bounds;
        for (int t = 0; t < pool_.size(); ++t) {
            Eigen::Index b, e;
            columns(l, t, b, e);
            bounds.push_back(b);
            gradientPanels_[k].push_back(Matrix::Zero(weights_[k].rows(), e - b));
        }
        bounds.push_back(weights_[k].cols());
        optimizer_.setColumnPanels(k, bounds);
    }
    if (wide(0) && pool_.size() > 1) {
        firstPanels_.resize(static_cast<std::size_t>(pool_.size()));
        splitFirstLayer();
    }
}

void DenseMlp::splitFirstLayer()
{
    for (int t = 0; t < pool_.size(); ++t) {
        Eigen::Index b, e;
        columns(0, t, b, e);
        firstPanels_[static_cast<std::size_t>(t)] = weights_[0].middleCols(b, e - b);
    }
    weights_[0].resize(0, 0);
}

std::vector<Matrix> DenseMlp::weights() const
{
    std::vector<Matrix> out = weights_;
    if (!firstPanels_.empty()) {
        out[0].resize(sizes_[0] + 1, sizes_[1]);
        for (int t = 0; t < pool_.size(); ++t) {
            Eigen::Index b, e;
            columns(0, t, b, e);
            out[0].middleCols(b, e - b) = firstPanels_[static_cast<std::size_t>(t)];
        }
    }
    return out;
}

void DenseMlp::setWeights(const std::vector<Matrix> &weights)
{
    if (weights.size() + 1 != sizes_.size())
        throw std::invalid_argument("DenseMlp::setWeights: wrong number of layers");
    for (std::size_t l = 0; l < weights.size(); ++l)
        if (weights[l].rows() != sizes_[l] + 1 || weights[l].cols() != sizes_[l + 1])
            throw std::invalid_argument("DenseMlp::setWeights: layer " + std::to_string(l) + " has the wrong shape");
    weights_ = weights;
    if (!firstPanels_.empty())
        splitFirstLayer();
}

void DenseMlp::forColumns(int layer, const std::function<void(Eigen::Index, Eigen::Index, int)> &block)
{
    if (!wide(layer) || pool_.size() == 1) {
        block(0, sizes_[static_cast<std::size_t>(layer) + 1], 0);
        return;
    }
    pool_.run([&](int t) {
        Eigen::Index c0, c1;
        columns(layer, t, c0, c1);
        if (c1 > c0)
            block(c0, c1, t);
    });
}

void DenseMlp::columns(int layer, int t, Eigen::Index &begin, Eigen::Index &end) const
{
    const int threads = pool_.size();
    const Eigen::Index rows = sizes_[static_cast<std::size_t>(layer)] + 1;
    const Eigen::Index cols = sizes_[static_cast<std::size_t>(layer) + 1];
    if (wide(layer)) { // column blocks on multiples of 8 (whole cache lines of a row)
        const Eigen::Index units = (cols + 7) / 8;
        begin = std::min(cols, 8 * (units * t / threads));
        end = t + 1 == threads ? cols : std::min(cols, 8 * (units * (t + 1) / threads));
    } else {
        begin = rows * t / threads;
        end = rows * (t + 1) / threads;
    }
}

void DenseMlp::forward(const Dataset &data, const int *indices, int n)
{
    const int layers = static_cast<int>(weights_.size());
    const int threads = pool_.size();
    activations_.resize(static_cast<std::size_t>(layers) + 1);
    deltas_.resize(static_cast<std::size_t>(layers));
    for (int l = 0; l <= layers; ++l)
        activations_[static_cast<std::size_t>(l)].resize(n, sizes_[static_cast<std::size_t>(l)] + (l < layers ? 1 : 0));
    for (int l = 0; l < layers; ++l)
        deltas_[static_cast<std::size_t>(l)].resize(n, sizes_[static_cast<std::size_t>(l) + 1]);

    // Forward: the inputs (rows split over threads), then each layer by column blocks (a
    // narrow layer, whose product is tiny, by the first thread).
    pool_.run([&](int t) {
        Matrix &x = activations_[0];
        for (int r = n * t / threads; r < n * (t + 1) / threads; ++r) {
            const std::uint8_t *p = data.image(indices[r]);
            for (int i = 0; i < sizes_[0]; ++i)
                x(r, i) = p[i] / 255.0;
            x(r, sizes_[0]) = 1.0;
        }
    });
    for (int l = 0; l < layers; ++l) {
        const bool hidden = l + 1 < layers;
        const Matrix &in = activations_[static_cast<std::size_t>(l)];
        Matrix &out = activations_[static_cast<std::size_t>(l) + 1];
        auto block = [&](Eigen::Index c0, Eigen::Index c1, int t) {
            if (paneled(l))
                out.middleCols(c0, c1 - c0).noalias() = in * firstPanels_[static_cast<std::size_t>(t)];
            else
                out.middleCols(c0, c1 - c0).noalias() = in * weights_[static_cast<std::size_t>(l)].middleCols(c0, c1 - c0);
            if (hidden)
                out.middleCols(c0, c1 - c0) = out.middleCols(c0, c1 - c0).cwiseMax(0.0);
        };
        forColumns(l, block);
        if (hidden)
            out.col(sizes_[static_cast<std::size_t>(l) + 1]).setOnes();
    }
}

double DenseMlp::forwardBackward(const Dataset &data, const int *indices, int n)
{
    forward(data, indices, n);
    const int layers = static_cast<int>(weights_.size());
    // Softmax cross-entropy on the logits; delta = (softmax - one-hot) / n.
    const Matrix &logits = activations_[static_cast<std::size_t>(layers)];
    Matrix &top = deltas_[static_cast<std::size_t>(layers) - 1];
    double loss = 0.0;
    for (int r = 0; r < n; ++r) {
        const double mx = logits.row(r).maxCoeff();
        const Eigen::RowVectorXd e = (logits.row(r).array() - mx).exp();
        const double sum = e.sum();
        const int label = data.labels[indices[r]];
        loss += -(logits(r, label) - mx - std::log(sum));
        top.row(r) = e / sum;
        top(r, label) -= 1.0;
    }
    top *= 1.0 / n;
    // Backward: the deltas of the hidden layers by their column blocks (the old weights), then
    // in the update pass each thread's gradient columns.
    for (int l = layers - 1; l > 0; --l) {
        const Matrix &d = deltas_[static_cast<std::size_t>(l)];
        Matrix &below = deltas_[static_cast<std::size_t>(l) - 1];
        const Matrix &act = activations_[static_cast<std::size_t>(l)];
        auto block = [&](Eigen::Index c0, Eigen::Index c1, int) {
            below.middleCols(c0, c1 - c0).noalias()
                = d * weights_[static_cast<std::size_t>(l)].middleRows(c0, c1 - c0).transpose();
            below.middleCols(c0, c1 - c0).array() *= (act.middleCols(c0, c1 - c0).array() > 0.0).cast<double>();
        };
        forColumns(l - 1, block); // layer l - 1's output columns are layer l's input rows
    }
    return loss / n;
}

double DenseMlp::lossAndGradient(const Dataset &data, const int *indices, int n, std::vector<Matrix> *gradients)
{
    const double loss = forwardBackward(data, indices, n);
    if (gradients) {
        gradients->clear();
        for (std::size_t l = 0; l < weights_.size(); ++l)
            gradients->push_back(activations_[l].transpose() * deltas_[l]);
    }
    return loss;
}

double DenseMlp::trainBatch(const Dataset &data, const int *indices, int n, long long *correct)
{
    const double loss = forwardBackward(data, indices, n);
    const int layers = static_cast<int>(weights_.size());
    if (correct) {
        const Matrix &logits = activations_[static_cast<std::size_t>(layers)];
        for (int r = 0; r < n; ++r) {
            Eigen::Index predicted = 0;
            logits.row(r).maxCoeff(&predicted);
            *correct += predicted == data.labels[static_cast<std::size_t>(indices[r])] ? 1 : 0;
        }
    }
    // Each thread: its gradient columns (wide layers) or rows (narrow ones), then Adam on them.
    optimizer_.beginStep();
    pool_.run([&](int t) {
        for (int l = 0; l < layers; ++l) {
            const std::size_t k = static_cast<std::size_t>(l);
            Eigen::Index b, e;
            columns(l, t, b, e);
            if (e <= b)
                continue;
            Matrix &w = weights_[k];
            Matrix &g = gradients_[k];
            if (wide(l)) {
                Matrix &panel = gradientPanels_[k][static_cast<std::size_t>(t)];
                panel.noalias() = activations_[k].transpose() * deltas_[k].middleCols(b, e - b);
                for (Eigen::Index i = 0; i < panel.rows(); ++i)
                    optimizer_.updateRow(k, paneled(l) ? firstPanels_[static_cast<std::size_t>(t)].row(i).data() : w.row(i).data() + b,
                                         i, b, e, panel.row(i).data(), 1.0);
            } else {
                g.middleRows(b, e - b).noalias() = activations_[k].middleCols(b, e - b).transpose() * deltas_[k];
                optimizer_.updateRows(k, w, g, b, e, 1.0);
            }
        }
    });
    return loss;
}

EvalResult DenseMlp::evaluate(const Dataset &set, int limit)
{
    const int n = limit >= 0 ? std::min(limit, set.size()) : set.size();
    const int classes = sizes_.back();
    EvalResult r;
    r.classes = classes;
    r.confusion.assign(static_cast<std::size_t>(classes) * classes, 0);
    double loss = 0.0;
    constexpr int kChunk = 500;
    std::vector<int> indices;
    for (int start = 0; start < n; start += kChunk) {
        const int m = std::min(kChunk, n - start);
        indices.resize(static_cast<std::size_t>(m));
        for (int k = 0; k < m; ++k)
            indices[static_cast<std::size_t>(k)] = start + k;
        forward(set, indices.data(), m);
        const Matrix &logits = activations_.back();
        for (int k = 0; k < m; ++k) {
            Eigen::Index predicted = 0;
            const double mx = logits.row(k).maxCoeff(&predicted);
            const int label = set.labels[static_cast<std::size_t>(start + k)];
            loss += -(logits(k, label) - mx - std::log((logits.row(k).array() - mx).exp().sum()));
            ++r.samples;
            r.correct += predicted == label ? 1 : 0;
            ++r.confusion[static_cast<std::size_t>(label) * classes + static_cast<std::size_t>(predicted)];
        }
    }
    r.loss = n > 0 ? loss / n : kNoValue;
    return r;
}

} // namespace firstspike
