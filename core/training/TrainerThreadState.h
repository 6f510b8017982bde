// The per-thread state of a Trainer, shared by its two source files: Trainer.cpp (the run:
// epochs, evaluation) and TrainerBatch.cpp (one mini-batch: work layout, weight panels,
// forward/backward records, the update pass). Private to core/training.
#pragma once

#include "core/training/GradientRow.h"
#include "core/training/Trainer.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace firstspike {

// Seconds on a monotonic clock.
inline double trainerClockSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct Trainer::ThreadState {
    ForwardPass pass;
    BackwardWorkspace workspace;
    // This batch's gradient records, one per sample in assignment order (see
    // LayerGradientRecord); kept across batches so their buffers are reused.
    std::vector<GradientRecord> records;
    int recordCount = 0;
    // The layers from Trainer's denseFrom_ on: this batch's gradient as dense rows (backward()
    // with the workspace's touchedRows flags, cleared at each batch's start); empty elsewhere.
    std::vector<Matrix> denseGradients;
    std::vector<Eigen::RowVectorXd> rowBroadcast; // see SpikeNetwork::backward
    Vector dLossDz;
    std::vector<std::uint8_t> image;
    std::vector<double> rowBuffer; // one reduced gradient row, then a run's column sums (trainBatch)
    std::vector<double> threadRows; // the per-thread sums of one gradient row (trainBatch)
    // The record terms of the row being updated, one run per thread with records for it
    // (trainBatch, GradientRow.h).
    std::vector<GradientTerm> gradTerms;
    std::vector<int> gradRuns;
    std::vector<const double *> gradDense; // or its threads' dense rows (a dense layer's row)
    // This thread's record entries by row, per layer: row i's are rowTerms[l][rowTermStart[l][i]
    // .. rowTermStart[l][i + 1]), in sample order (a counting sort; rowTermFill its cursors).
    std::vector<std::vector<int>> rowTermStart;
    std::vector<std::vector<RowTerm>> rowTerms;
    std::vector<int> rowTermFill;
    // The records' slices an update block reads (trainBatch), and the copies they may point at.
    std::vector<RecordSlice> slices;
    std::vector<double> sliceData;
    std::vector<int> sliceCut;
    double loss = 0.0;
    int correct = 0;
    // evaluation accumulators
    EvalResult eval;
    double decisionTimeSum = 0.0;
    int decisions = 0;
    double beforeDecisionSum = 0.0;
    std::vector<double> silentSum;
    std::vector<std::vector<char>> everFired;
};

} // namespace firstspike
