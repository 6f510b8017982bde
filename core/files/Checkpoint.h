#pragma once
// Checkpoint files: everything needed to resume or inspect a run. Format (docs/FORMATS.md):
//
//   offset  size  field
//   0       8     magic "FSPIKECK"
//   8       4     format version, u32 little-endian (currently 2; version 1 is read too)
//   12      8     payload length N, u64 little-endian
//   20      N     payload: the fields of Checkpoint below in declaration order (see FORMATS.md)
//   20+N    4     CRC-32 (zlib) of the payload, u32 little-endian
//
// Numbers are little-endian; doubles are stored as their IEEE-754 bits, so a round trip is
// bit-exact. Saving writes a temporary file in the same folder, fsyncs it and renames it over
// the target, so an interrupted save never destroys the previous file.
//
// Reading refuses, with one line naming the file (docs/FORMATS.md, "Limits"): what is not a
// regular file (a FIFO or device is never read); a file, or the matrices its header declares,
// larger than the memory available ("run.fsck: loading the matrices of 784-1-30000 (2 copies of
// 60785 weights) needs 972.6 kB, 500.0 kB available"); settings outside the ranges of
// SettingsLimits.h ("run.fsck: threshold = -1e+308 is outside [1e-12, 1e+12]"); more layers or
// larger ones than kMaxLayerEntries / kMaxLayerSize; and NaN or infinite weights, best weights
// or Adam moments ("run.fsck: weights of layer 1 contain NaN at row 3, column 7").

#include "core/model/NetworkConfig.h"
#include "core/model/SpikeNetwork.h"
#include "core/training/TrainConfig.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

class CheckpointError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Checkpoint {
    static constexpr std::uint32_t kFormatVersion = 2; // reads 1 and 2

    NetworkConfig network;
    TrainConfig training;
    std::string dataSource;          // "embedded" or the data folder
    int epochsCompleted = 0;
    long long optimizerStep = 0;
    std::vector<Matrix> weights;
    std::vector<Matrix> adamFirstMoment;  // empty for SGD
    std::vector<Matrix> adamSecondMoment;
    int bestEpoch = 0;
    std::vector<Matrix> bestWeights;      // may be empty
    std::vector<EpochMetrics> history;
};

std::vector<std::uint8_t> serializeCheckpoint(const Checkpoint &checkpoint);
// Every problem of the bytes, the memory check included, is a CheckpointError naming `name`.
Checkpoint deserializeCheckpoint(const std::vector<std::uint8_t> &bytes, const std::string &name);

// Atomic save; throws CheckpointError naming the file on failure (the old file stays intact).
void saveCheckpoint(const Checkpoint &checkpoint, const std::string &path);
Checkpoint loadCheckpoint(const std::string &path);

} // namespace firstspike

namespace firstspike {
class Trainer;
// The trainer's current state as a checkpoint, and back (the trainer must have the same
// architecture; throws CheckpointError otherwise).
Checkpoint makeCheckpoint(const Trainer &trainer);
void restoreTrainer(Trainer &trainer, const Checkpoint &checkpoint);
} // namespace firstspike
