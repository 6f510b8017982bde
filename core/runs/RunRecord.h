#pragma once
// A run folder as read back (RunReader.h): its manifest, metrics history, the mini-batch loss
// curve, and whether it could be read at all. Plain value types.
#include "core/runs/RunManifest.h"
#include "core/training/TrainConfig.h"

#include <string>
#include <vector>

namespace firstspike {

// One point of batches.csv: the mean over a block of consecutive mini-batches.
struct BatchRecord {
    long long step = 0;       // optimiser steps after the block's last mini-batch
    double epochPosition = 0; // epochs completed + fraction of the running one
    double loss = 0;          // mean cross-entropy over the block
    double accuracy = 0;      // fraction correct over the block
};

enum class RunHealth {
    Ok,      // read completely (a torn last line of a CSV file is dropped and noted in `problem`)
    Damaged, // a file is missing, truncated, too large, not a regular file or not valid
    Refused, // written by a newer Firstspike (format version beyond this program's)
};

struct RunRecord {
    std::string folder;  // the run folder's path
    std::string id;      // its name
    RunHealth health = RunHealth::Ok;
    std::string problem; // why it is damaged or refused; a note when a torn line was dropped
    RunManifest manifest;
    bool live = false;   // a process holds the run's lock (it is training now)
    std::vector<EpochMetrics> history;
    std::vector<BatchRecord> batches;

    // "running" (live), "interrupted" (running, but no process holds it: killed or crashed),
    // "complete", "stopped", "failed", "damaged" or "refused".
    std::string status() const;
    // The checkpoint's path, "" when the run has none.
    std::string checkpointPath() const;
};

} // namespace firstspike
