#pragma once
// The dense ReLU MLP of the same shape trained as the spiking network is: the same validation
// carve, epoch order, pixel shifts, mini-batch size, Adam and learning-rate schedule, early
// stopping and best-validation selection (core/training/DataOrder.h). The reference accuracy
// next to which the spiking network's is reported (`firstspike-cli train --model mlp`).

#include "core/data/Dataset.h"
#include "core/training/TrainConfig.h"

#include <functional>
#include <vector>

namespace firstspike {

struct MlpEpochMetrics {
    int epoch = 0; // 1-based
    double trainLoss = kNoValue;
    double trainAccuracy = kNoValue; // running, with the weights as they were at each batch
    double learningRate = 0.0;
    double validationAccuracy = kNoValue;
    double validationLoss = kNoValue;
    double testAccuracy = kNoValue;
    double trainSeconds = 0.0;
    double seconds = 0.0; // evaluation included
    double samplesPerSecond = 0.0;
};

struct MlpRunResult {
    std::vector<MlpEpochMetrics> history;
    int bestEpoch = 0;                  // by validation accuracy (training accuracy without one)
    double testAccuracy = kNoValue;     // at the best epoch (the last one without restoreBest)
    bool stoppedEarly = false;
    int threads = 1;                    // worker threads it ran on
};

// Trains `layerSizes` (e.g. 784-800-10) on data.train and evaluates every epoch; onEpoch may
// return false to stop.
MlpRunResult runDenseMlp(const DataSplit &data, const std::vector<int> &layerSizes, const TrainConfig &config,
                         const std::function<bool(const MlpEpochMetrics &)> &onEpoch = {});

} // namespace firstspike
