#pragma once
// The reference limit for training speed: a dense ReLU MLP of the same shape, trained with the
// same mini-batches, thread pool and Adam as the spiking network, its forward and backward
// passes being plain matrix products (Eigen GEMM).
//
// Threads split every layer by its output columns (each thread's columns of the weights,
// activations, deltas, gradient and Adam moments for all samples of the mini-batch), the split
// that suits mini-batches of ~10: no per-thread gradient matrices to zero and reduce, and each
// weight column read and written by one core. A layer narrower than 32 columns per thread is
// split by rows for its gradient and update instead (its products are tiny). On several threads
// the first layer's weights are held as one matrix per thread (its columns), as the spiking
// trainer holds them (Trainer: weight panels), so that both sides of the comparison keep the
// same layout.

#include "core/data/Dataset.h"
#include "core/training/Optimizer.h"
#include "core/training/TrainConfig.h"
#include "core/model/SpikeNetwork.h"
#include "core/parallel/ThreadPool.h"

#include <functional>

namespace firstspike {

class DenseMlp {
public:
    DenseMlp(const std::vector<int> &layerSizes, int threads, std::uint64_t seed, const OptimizerConfig &optimizer = {});
    // One training step (softmax cross-entropy, Adam) on samples[indices[0..n)] of `data`;
    // returns the mean loss before the step.
    // With `correct`, adds the samples the network classified right before the step.
    double trainBatch(const Dataset &data, const int *indices, int n, long long *correct = nullptr);
    int threadCount() const { return pool_.size(); }
    // Accuracy, loss and confusion of the first `limit` samples of `set` (all when negative),
    // the prediction being the largest logit.
    EvalResult evaluate(const Dataset &set, int limit = -1);
    // The learning rate of the next step, and a new configuration (e.g. the run's schedule).
    double learningRate() const { return optimizer_.currentLearningRate(); }
    void setOptimizerConfig(const OptimizerConfig &config) { optimizer_.setConfig(config); }
    // For tests: the weights ((inputs + 1) x outputs, the last row the bias; a copy), setting
    // them, and the mean loss and its gradient on a batch without changing anything.
    std::vector<Matrix> weights() const;
    void setWeights(const std::vector<Matrix> &weights);
    double lossAndGradient(const Dataset &data, const int *indices, int n, std::vector<Matrix> *gradients);

private:
    // Forward of a batch into activations_ (the last: the logits).
    void forward(const Dataset &data, const int *indices, int n);
    // Forward and backward of a batch into activations_, deltas_ and gradients_; the mean loss.
    double forwardBackward(const Dataset &data, const int *indices, int n);
    // Thread t's share [begin, end) of layer l's columns (wide layers) or rows (narrow ones).
    void columns(int layer, int t, Eigen::Index &begin, Eigen::Index &end) const;
    bool wide(int layer) const { return sizes_[static_cast<std::size_t>(layer) + 1] >= 32 * pool_.size(); }
    // block(c0, c1, t) over layer l's output columns: each thread t its share of a wide
    // layer's (on several threads), else all of them on the calling thread (t = 0).
    void forColumns(int layer, const std::function<void(Eigen::Index, Eigen::Index, int)> &block);
    bool paneled(int layer) const { return layer == 0 && !firstPanels_.empty(); }
    void splitFirstLayer(); // weights_[0] into firstPanels_ (sized), leaving weights_[0] empty

    std::vector<int> sizes_;
    std::vector<Matrix> weights_;     // (in + 1) x out, last row = bias; layer 0 empty when paneled
    std::vector<Matrix> firstPanels_; // on several threads: layer 0's columns of each thread
    std::vector<Matrix> gradients_;   // narrow layers: the mean gradient of the batch (wide: empty)
    // Wide layers: each thread's gradient columns as a matrix of their own (two cores writing
    // column halves of one row-major matrix stream far slower, docs/PERFORMANCE.md).
    std::vector<std::vector<Matrix>> gradientPanels_;
    std::vector<Matrix> activations_; // per layer input: rows = samples, with a trailing 1 column
    std::vector<Matrix> deltas_;      // per layer: dLoss/d(pre-activation), rows = samples
    Optimizer optimizer_;
    ThreadPool pool_;
};

} // namespace firstspike
