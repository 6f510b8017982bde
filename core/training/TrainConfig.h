#pragma once
// Training options and the metrics a run records (plain value types, see docs/ARCHITECTURE.md).

#include "core/training/Optimizer.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace firstspike {

struct TrainConfig {
    int epochs = 30;
    int batchSize = 10;
    OptimizerConfig optimizer;
    double weightSumK = 1.0;     // K of the weight-sum cost (docs/MODEL.md cites 100; 1 measured better)
    double l2 = 1e-3;            // K2: L2 cost (K2 / 2) * sum w^2
    double initLow = 1.0;        // initial weights U(initLow / n, initHigh / n), n = inputs + bias
    double initHigh = 5.0;
    std::uint64_t seed = 1;
    int threads = 0;             // 0: all hardware threads
    double validationFraction = 0.1; // carved from the training set, never from the test set
    int patience = 10;           // stop after this many epochs without validation gain (0: off)
    bool restoreBest = true;     // end with the weights of the best validation epoch
    int augmentShift = 1;        // random translation of training images by up to N pixels
    double warmupEpochs = 0.0;   // cosine schedule: linear warm-up over this many epochs
    // Decision-time cost (docs/MODEL.md, "Loss and regularisers"): gamma * t of the correct
    // output neuron's spike, pushing the decision earlier (0: off).
    double decisionTimeCost = 0.0;
};

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// Evaluation of a network on a data set.
struct EvalResult {
    int samples = 0;
    int correct = 0;
    int noDecision = 0;              // samples where every output neuron stayed silent
    double loss = kNoValue;          // mean cross-entropy
    int classes = 0;
    std::vector<int> confusion;      // [trueClass * classes + predicted]; no-decision not counted
    double meanDecisionTime = kNoValue;       // mean t of the first output spike
    double hiddenFiredBeforeDecision = kNoValue; // fraction of hidden neurons spiking before it
    std::vector<double> meanSilentPerLayer;   // mean silent neurons per sample, per layer
    std::vector<int> neverFiredPerLayer;      // neurons silent on every sample, per layer
    double accuracy() const { return samples ? static_cast<double>(correct) / samples : kNoValue; }
};

struct EpochMetrics {
    int epoch = 0;                   // 1-based
    long long step = 0;              // optimiser steps so far
    double seconds = 0.0;            // wall time of the epoch, evaluation included
    double trainSeconds = 0.0;       // wall time of the mini-batches only
    double samplesPerSecond = 0.0;   // training samples / trainSeconds
    double learningRate = 0.0;       // at the end of the epoch
    double trainLoss = kNoValue;     // running mean over the epoch's mini-batches
    double trainAccuracy = kNoValue; // running, with the weights as they were at each batch
    double regularization = kNoValue; // weight-sum + L2 cost at the end of the epoch
    double validationLoss = kNoValue;
    double validationAccuracy = kNoValue;
    double testLoss = kNoValue;
    double testAccuracy = kNoValue;
    double meanDecisionTime = kNoValue;          // test set
    double hiddenFiredBeforeDecision = kNoValue; // test set
    std::vector<double> meanSilentPerLayer;      // test set
    std::vector<int> neverFiredPerLayer;         // test set
    // Spike economy (test set): spikes per hidden neuron and sample, i.e. the fraction of the
    // hidden neurons that fire (each fires at most once). Derived from meanSilentPerLayer and the
    // layer sizes (hiddenSpikesPerNeuron()), not stored in checkpoints.
    double hiddenSpikesPerNeuron = kNoValue;
};

// Spikes per hidden neuron and sample from the silent counts of each layer (all but the output).
double hiddenSpikesPerNeuron(const std::vector<double> &meanSilentPerLayer, const std::vector<int> &layerSizes);

} // namespace firstspike
