#include "DenseMlp.h"

#include "Random.h"

#include <cmath>

namespace firstspike {

DenseMlp::DenseMlp(const std::vector<int> &layerSizes, int threads, std::uint64_t seed)
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
        gradients_.push_back(Matrix::Zero(w.rows(), w.cols()));
    }
    optimizer_ = Optimizer(OptimizerConfig{}, weights_);
    threads_.resize(pool_.size());
    for (ThreadState &t : threads_)
        t.gradients = gradients_;
}

double DenseMlp::trainBatch(const Dataset &data, const int *indices, int n)
{
    const int threads = pool_.size();
    const int layers = static_cast<int>(weights_.size());
    pool_.run([&](int t) {
        ThreadState &st = threads_[t];
        const int begin = static_cast<int>(static_cast<long long>(n) * t / threads);
        const int end = static_cast<int>(static_cast<long long>(n) * (t + 1) / threads);
        const int m = end - begin;
        st.loss = 0.0;
        for (Matrix &g : st.gradients)
            g.setZero();
        if (m <= 0)
            return;
        st.activations.resize(layers + 1);
        Matrix &x = st.activations[0];
        x.resize(m, sizes_[0] + 1);
        for (int r = 0; r < m; ++r) {
            const std::uint8_t *p = data.image(indices[begin + r]);
            for (int i = 0; i < sizes_[0]; ++i)
                x(r, i) = p[i] / 255.0;
            x(r, sizes_[0]) = 1.0;
        }
        for (int l = 0; l < layers; ++l) {
            Matrix &out = st.activations[l + 1];
            const bool hidden = l + 1 < layers;
            out.resize(m, sizes_[l + 1] + (hidden ? 1 : 0));
            out.leftCols(sizes_[l + 1]).noalias() = st.activations[l] * weights_[l];
            if (hidden) {
                out.leftCols(sizes_[l + 1]) = out.leftCols(sizes_[l + 1]).cwiseMax(0.0);
                out.col(sizes_[l + 1]).setOnes();
            }
        }
        // Softmax cross-entropy on the logits.
        Matrix &logits = st.activations[layers];
        st.delta.resize(m, sizes_.back());
        for (int r = 0; r < m; ++r) {
            const double mx = logits.row(r).maxCoeff();
            const Eigen::RowVectorXd e = (logits.row(r).array() - mx).exp();
            const double sum = e.sum();
            const int label = data.labels[indices[begin + r]];
            st.loss += -(logits(r, label) - mx - std::log(sum));
            st.delta.row(r) = e / sum;
            st.delta(r, label) -= 1.0;
        }
        for (int l = layers - 1; l >= 0; --l) {
            st.gradients[l].noalias() += st.activations[l].transpose() * st.delta;
            if (l > 0) {
                Matrix back = st.delta * weights_[l].topRows(sizes_[l]).transpose();
                back.array() *= (st.activations[l].leftCols(sizes_[l]).array() > 0.0).cast<double>();
                st.delta = std::move(back);
            }
        }
    });
    double loss = 0.0;
    for (int t = 0; t < threads; ++t)
        loss += threads_[t].loss;
    // Reduction and Adam over row ranges in parallel, as the spiking trainer does.
    optimizer_.beginStep();
    pool_.run([&](int t) {
        for (int l = 0; l < layers; ++l) {
            const Eigen::Index rows = weights_[l].rows();
            const Eigen::Index r0 = rows * t / threads, r1 = rows * (t + 1) / threads;
            if (r1 <= r0)
                continue;
            auto g = gradients_[l].middleRows(r0, r1 - r0);
            g = threads_[0].gradients[l].middleRows(r0, r1 - r0);
            for (int u = 1; u < threads; ++u)
                g += threads_[u].gradients[l].middleRows(r0, r1 - r0);
            g *= 1.0 / n;
            optimizer_.updateRows(static_cast<std::size_t>(l), weights_[l], gradients_[l], r0, r1, 1.0);
        }
    });
    return loss / n;
}

} // namespace firstspike
