#pragma once
// The reference limit for training speed: a dense ReLU MLP of the same shape, trained with the
// same mini-batches, thread pool, per-thread gradient reduction and Adam as the spiking network,
// its forward and backward passes being plain matrix products (Eigen GEMM).

#include "Dataset.h"
#include "Optimizer.h"
#include "SpikeNetwork.h"
#include "ThreadPool.h"

namespace firstspike {

class DenseMlp {
public:
    DenseMlp(const std::vector<int> &layerSizes, int threads, std::uint64_t seed);
    // One training step on samples[indices[0..n)] of `data`; returns the mean loss.
    double trainBatch(const Dataset &data, const int *indices, int n);
    int threadCount() const { return pool_.size(); }

private:
    struct ThreadState {
        std::vector<Matrix> activations; // per layer, rows = samples, with a trailing 1 column
        std::vector<Matrix> gradients;
        Matrix delta;
        double loss = 0.0;
    };
    std::vector<int> sizes_;
    std::vector<Matrix> weights_; // (in + 1) x out, last row = bias
    std::vector<Matrix> gradients_;
    Optimizer optimizer_;
    ThreadPool pool_;
    std::vector<ThreadState> threads_;
};

} // namespace firstspike
