#pragma once
// Throughput measurements shared by `firstspike-cli bench` and bench/ (Google Benchmark):
// spiking-network training and inference, and the dense-MLP reference, on the same data.

#include "Dataset.h"
#include "NetworkConfig.h"

#include <memory>

namespace firstspike {

struct Throughput {
    int samples = 0;
    double seconds = 0.0;
    double samplesPerSecond() const { return seconds > 0 ? samples / seconds : 0.0; }
};

// Training throughput of the default trainer (Adam, batch size as given) after `warmupBatches`
// mini-batches, over `batches` mini-batches.
Throughput measureSnnTraining(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                              int batchSize, int warmupBatches, int batches);
// Forward passes only (evaluation of the test set, repeated up to `samples`), after the same
// warm-up training so that the spike patterns are those of a network that has learnt a little.
Throughput measureSnnInference(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                               int warmupBatches, int samples);
// Classification only, with the decision-time early exit (EarlyDecision.h), same warm-up.
Throughput measureSnnClassification(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                                    int warmupBatches, int samples);
Throughput measureMlpTraining(const std::vector<int> &sizes, const DataSplit &data, int threads, int batchSize,
                              int warmupBatches, int batches);

// Peak resident memory of this process so far, in bytes.
long long peakResidentBytes();

} // namespace firstspike
