#pragma once
// The immutable values the training worker hands to the GUI thread (docs/ARCHITECTURE.md):
// views read these and nothing else of the engine. A snapshot is built in the worker, shared
// as std::shared_ptr<const TrainingSnapshot> through a queued signal and never modified again.

#include "core/model/NetworkConfig.h"
#include "core/training/TrainConfig.h"

#include <QMetaType>

#include <cstdint>
#include <memory>
#include <vector>

namespace firstspike {

// Everything that defines a run; the worker builds a Trainer from it.
struct RunConfig {
    NetworkConfig network;
    TrainConfig training;
    int trainLimit = 0;   // use only the first N training samples (0: all); for tests and demos
    int testLimit = 0;    // evaluate only the first N test samples per epoch (0: all)
};

// The settings that may change between mini-batches of a live run.
struct LiveConfig {
    int batchSize = 10;
    double learningRate = 1e-3;
};

// One optimiser step, at full resolution.
struct BatchPoint {
    long long step = 0;       // optimiser steps after this batch (1-based)
    double epochPosition = 0; // epochs completed + fraction of the running one, after this batch
    double loss = 0;          // mean cross-entropy of the batch
    double accuracy = 0;      // fraction correct in the batch (weights before the update)
};

// Input weights of the watched hidden neurons (first weight layer), as 28x28 tiles.
struct WeightTiles {
    int rows = 0;
    int cols = 0;
    int layerSize = 0;            // neurons in the layer the tiles come from
    std::vector<int> neurons;     // neuron index of each tile
    std::vector<float> weights;   // tile-major: tile t, pixel p at [t * rows * cols + p]
    std::vector<double> biasWeight; // per tile; NaN when the network has no bias
    std::vector<double> weightSum;  // per tile: sum of all input weights, bias included
    double threshold = 1.0;
    float absMax = 0.f;           // max |w| over all tiles (robust colour scale, see worker)
    long long step = 0;           // optimiser step the weights are from
};

// Firing statistics of the watched neurons on a fixed probe batch of test samples.
struct NeuronActivity {
    int probeSamples = 0;
    std::vector<int> neurons;           // same order as WeightTiles::neurons
    std::vector<double> firingFraction; // fraction of probe samples on which the neuron spiked
    std::vector<double> meanSpikeTime;  // mean t of its spikes (NaN if it never spiked)
    double layerSilentFraction = 0;     // over the whole layer and all probe samples
    long long step = 0;
};

// One test sample pushed through the current network.
struct SampleRecord {
    int testIndex = -1;
    int label = -1;
    int predicted = -1;           // -1: no output neuron spiked
    int rows = 0;
    int cols = 0;
    std::vector<std::uint8_t> pixels;
    std::vector<double> outputTimes; // t of each output neuron's spike; +inf when silent
    std::vector<double> hiddenTimes; // t of each first-hidden-layer spike; +inf when silent
    double maxSpikeTime = 8.0;
    long long step = 0;
};

struct TrainingSnapshot {
    std::uint64_t generation = 0;  // bumps with every Reset; the GUI drops stale snapshots
    int epochsCompleted = 0;
    int epochs = 0;                // configured maximum
    int cursor = 0;                // samples of the running epoch done
    int epochSize = 0;
    int testSize = 0;
    long long step = 0;
    int batchSize = 0;
    double learningRate = 0;
    double samplesPerSecond = 0;   // wall-clock, over the last half second or so of training
    long long runSamples = 0;      // trained since the last Reset
    double runSeconds = 0;         // wall-clock of the worker's batch loop (publication included,
                                   // epoch-end evaluation and pauses excluded)
    double trainSeconds = 0;       // inside Trainer::trainBatch() only, since the last Reset (what
                                   // the CLI's samples/s counts)
    bool evaluating = false;       // the worker is evaluating the epoch that just ended
    bool runFinished = false;
    std::vector<BatchPoint> newBatches;  // steps since the previous snapshot of this generation
    std::vector<EpochMetrics> history;   // every completed epoch of this run
    std::shared_ptr<const WeightTiles> weights;     // null: unchanged since the last snapshot
    std::shared_ptr<const NeuronActivity> activity; // null: unchanged
    std::shared_ptr<const SampleRecord> sample;     // null: unchanged
};

using SnapshotPtr = std::shared_ptr<const TrainingSnapshot>;

} // namespace firstspike

Q_DECLARE_METATYPE(firstspike::SnapshotPtr)
