#pragma once
// Records one training run into its run folder (docs/FORMATS.md, "Run folders"), for the command
// line and the desktop app alike. Every file is written through writeFileAtomically, so a run
// killed at any moment keeps what it had at its last epoch:
//
//   manifest.json    settings, seed, data set, state, timing, results; rewritten at the start,
//                    after every epoch and at the end
//   metrics.csv      one row per epoch (the columns of `export --what metrics`)
//   batches.csv      the mini-batch loss and accuracy, averaged over blocks of mini-batches
//                    (at most kBatchPointsPerEpoch points an epoch, kMaxBatchPoints in all)
//   checkpoint.fsck  the network: after an epoch when the last one is older than
//                    kCheckpointPeriod seconds, and at the end (the selected weights)
//
// While it records, the recorder holds the folder's RunLock. Not thread-safe: one thread (the
// one that trains) drives it.
#include "core/runs/RunLock.h"
#include "core/runs/RunManifest.h"
#include "core/runs/RunRecord.h"

#include <memory>
#include <string>
#include <vector>

namespace firstspike {

class Trainer;

class RunRecorder {
public:
    static constexpr const char *kManifestFile = "manifest.json";
    static constexpr const char *kMetricsFile = "metrics.csv";
    static constexpr const char *kBatchesFile = "batches.csv";
    static constexpr const char *kCheckpointFile = "checkpoint.fsck";
    static constexpr int kBatchPointsPerEpoch = 250;
    static constexpr std::size_t kMaxBatchPoints = 100000;
    static constexpr double kCheckpointPeriod = 30.0;

    // Creates runsDir (and its parents) and the folder runsDir/<manifest.id>, takes its lock and
    // writes the manifest as running. A folder left by an earlier attempt of the same id (a
    // restarted sweep run) is taken over: its files are replaced. Throws RunBusyError when a
    // live process records that id, FileError when the folder cannot be written, and
    // std::invalid_argument for an id that is not a plain folder name (isValidRunId).
    RunRecorder(const std::string &runsDir, RunManifest manifest);
    // A run that did not reach finish() is marked stopped ("the run was closed before its end").
    ~RunRecorder();
    RunRecorder(const RunRecorder &) = delete;
    RunRecorder &operator=(const RunRecorder &) = delete;

    const std::string &folder() const { return folder_; }
    const RunManifest &manifest() const { return manifest_; }

    // The mini-batches of an epoch at the current batch size (sets the averaging block).
    void setBatchesPerEpoch(int batches);
    // The learning rate or batch size changed while the run trains (the desktop app's live
    // settings): the manifest's settings take the new values, each change is added to its
    // setting_changes (the oldest dropped beyond RunManifest::kMaxSettingChanges), and the
    // manifest is rewritten. Nothing happens when neither value differs.
    void settingsChanged(double epochPosition, int batchSize, double learningRate);
    void addBatch(long long step, double epochPosition, double loss, double accuracy);
    // After Trainer::finishEpoch(): rewrites metrics.csv, batches.csv and the manifest, and the
    // checkpoint when it is due.
    void epochEnded(const Trainer &trainer);
    // The run ended (after Trainer::finalize() when complete): the final checkpoint when the
    // trainer is given, the manifest with its state and reason. The manifest is always written
    // (attempted) last: when metrics.csv, batches.csv or the checkpoint cannot be written, it
    // records the run as failed with that reason, and the error is thrown after it. Once called,
    // the recorder is finished whether it threw or not.
    void finish(const Trainer *trainer, RunState state, const std::string &reason);
    bool finished() const { return finished_; }

private:
    void writeManifest();
    void writeBatches();
    void writeCheckpoint(const Trainer &trainer);
    void takeResults(const Trainer &trainer);
    void flushBlock();

    std::string folder_;
    RunManifest manifest_;
    std::unique_ptr<RunLock> lock_;
    std::vector<BatchRecord> batches_;
    int blockSize_ = 1;
    int blockCount_ = 0;
    BatchRecord block_;
    double lastCheckpointTime_ = 0;
    double startTime_ = 0;
    bool finished_ = false;
};

// A run id is a plain folder name: 1 to 120 characters of [A-Za-z0-9._=+-], not starting with '.'.
bool isValidRunId(const std::string &id);
// A new id for a single run: "20261206-031502-<pid>-<4 hex digits>".
std::string newRunId();

} // namespace firstspike
