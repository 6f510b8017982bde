#pragma once
// Throughput measurements behind `firstspike-cli bench`: spiking-network training and
// inference, and the dense-MLP reference, on the same data. Each bench object is built and
// warmed up once and can then be measured repeatedly, so that a caller can interleave the
// configurations in rounds and report medians (shared machines drift by tens of percent over
// seconds; paired rounds keep that drift out of the ratios).

#include "core/data/Dataset.h"
#include "core/baseline/DenseMlp.h"
#include "core/files/Checkpoint.h"
#include "core/model/EarlyDecision.h"
#include "core/model/NetworkConfig.h"
#include "core/parallel/ThreadPool.h"
#include "core/training/Trainer.h"

#include <memory>
#include <vector>

namespace firstspike {

struct Throughput {
    int samples = 0;
    double seconds = 0.0;
    double samplesPerSecond() const { return seconds > 0 ? samples / seconds : 0.0; }
};

// The default trainer (Adam, the given batch size and threads), trained `warmupBatches`
// mini-batches first so that the spike patterns are those of a network that has started to learn.
// With `start`, the trainer of a checkpoint instead: its network, weights, training settings,
// optimiser and the optimiser's state, with the given batch size and threads, and the learning
// rate held where the checkpoint's run left it (continuedOptimizer), so that the mini-batches
// after it keep the trained network's spike patterns.
class SnnBench {
public:
    SnnBench(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
             int warmupBatches, const Checkpoint *start = nullptr);
    // The checkpoint's optimiser at a constant learning rate: the one of its last epoch (the
    // configured one if it has no history).
    static OptimizerConfig continuedOptimizer(const Checkpoint &start);
    // `batches` more mini-batches, timed (epoch-end evaluation excluded).
    Throughput train(int batches);
    // Full forward passes (evaluation of the test set, repeated up to `samples`).
    Throughput infer(int samples);
    // Classification only, with the decision-time early exit (EarlyDecision.h).
    Throughput classify(int samples);
    // The same in single precision (FloatNetwork, converted from the current weights untimed).
    Throughput classifySingle(int samples);
    const Trainer &trainer() const { return trainer_; }

private:
    const SpikeNetwork &preparedNetwork(); // the trainer's network, column sums cached
    std::shared_ptr<const DataSplit> data_;
    Trainer trainer_;
    ThreadPool pool_;
    std::vector<EarlyDecisionWorkspace> workspaces_;
    std::vector<EarlyDecisionWorkspace32> workspaces32_;
};

// A dense Eigen MLP of the same shape, batch size, threads and optimiser (default: Adam).
class MlpBench {
public:
    MlpBench(const std::vector<int> &sizes, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
             int warmupBatches, const OptimizerConfig &optimizer = {});
    Throughput train(int batches);

private:
    const int *nextBatch();
    std::shared_ptr<const DataSplit> data_;
    DenseMlp mlp_;
    int batchSize_;
    std::vector<int> order_;
    int cursor_ = 0;
};

// What the machine itself allows two or more threads, measured by the bench next to the
// trainers (on a shared or virtual machine it changes from minute to minute): the time of a
// cache line handed from one thread to another and back (every piece of data one core writes
// and another reads pays a part of it; cores that share a cache are ~0.1 us apart, cores on
// different chips several times that), and the speed-up of `threads` threads over one on two
// loops that share no data: vector multiply-adds (are the cores and their floating-point units
// there, at the same clock?) and an Adam-like update streaming through 4 MB per thread (are
// the caches and memory?). Its 4 MB per thread count in the bench's peak memory.
struct MachineProbe {
    double roundTripNs = 0.0;    // 0 with one thread
    double computeScaling = 0.0; // threads' speed over one thread's
    double streamScaling = 0.0;
};
MachineProbe probeMachine(int threads);

// The median of a set of measurements (0 when empty); benchmarks report medians of rounds.
double median(std::vector<double> values);

// Peak resident memory of this process so far, in bytes.
long long peakResidentBytes();

} // namespace firstspike
