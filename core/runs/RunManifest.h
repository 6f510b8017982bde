#pragma once
// manifest.json of a run folder (docs/FORMATS.md, "Run folders"): what the run is (settings,
// seed, data set, the sweep it belongs to), where it stands (running, complete, stopped,
// failed), its timing and its final results. Rewritten atomically by RunRecorder at the start,
// after every epoch and at the end.
#include "core/model/NetworkConfig.h"
#include "core/training/TrainConfig.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace firstspike {

// A run folder (or one of its files) that cannot be read: one line naming the file and the reason.
struct RunFormatError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A manifest of a format version newer than this program knows.
struct RunVersionError : RunFormatError {
    using RunFormatError::RunFormatError;
};

enum class RunState { Running, Complete, Stopped, Failed };
std::string runStateName(RunState state); // "running", "complete", "stopped", "failed"
bool parseRunState(const std::string &name, RunState &out);

// A setting changed while the run trained (the desktop app's live learning rate and batch size).
struct SettingChange {
    double epochPosition = 0; // epochs completed + fraction of the running one, at the change
    std::string setting;      // "lr" or "batch" (the names of the settings object)
    double from = 0;
    double to = 0;
};

struct RunManifest {
    static constexpr int kFormatVersion = 1;
    static constexpr std::uint64_t kMaxBytes = 1 << 20; // a manifest is about 2 kB

    int version = kFormatVersion;
    std::string id;        // the folder's name
    std::string name;      // for people: "hidden=400 lr=0.001 seed=1"
    RunState state = RunState::Running;
    std::string origin;    // "cli", "gui" or "sweep"
    std::string sweep;     // the sweep's name, "" for a single run
    std::vector<std::pair<std::string, std::string>> sweepValues; // the swept settings, as given
    NetworkConfig network;
    TrainConfig training;
    std::string data = "embedded"; // the data set: "embedded" or its folder
    int trainLimit = 0;    // first N training samples only (0: all)
    int testLimit = 0;     // first N test samples only (0: all)
    std::string command;   // the command line that made the run (CLI), "" otherwise
    std::string host;
    long long pid = 0;
    std::string started;   // ISO 8601 UTC, "2026-12-06T03:15:02Z"
    std::string updated;
    double seconds = 0;    // wall time of the training so far (evaluation included)
    int epochs = 0;        // epochs completed
    int bestEpoch = 0;     // 1-based, 0: none
    std::string stopReason; // why it ended (early stopping, divergence, the error)
    // The final weights' results on the test set (complete runs), NaN while unknown.
    double testAccuracy = std::numeric_limits<double>::quiet_NaN();
    double testLoss = std::numeric_limits<double>::quiet_NaN();
    double meanDecisionTime = std::numeric_limits<double>::quiet_NaN();
    double hiddenSpikesPerNeuron = std::numeric_limits<double>::quiet_NaN();
    double hiddenFiredBeforeDecision = std::numeric_limits<double>::quiet_NaN();
    std::string checkpoint; // file name inside the folder ("checkpoint.fsck"), "" when none yet
    int checkpointEpoch = 0; // epochs trained into the checkpoint
    // The changes of settings during the run, oldest first (at most kMaxSettingChanges, the
    // latest kept); `training` holds the values in force at the end. Empty when none.
    static constexpr std::size_t kMaxSettingChanges = 1000;
    std::vector<SettingChange> settingChanges;
};

std::string manifestToJson(const RunManifest &manifest);
// Parses and checks a manifest: every field's type, every setting in its range (SettingsLimits.h).
// Throws RunVersionError for a newer format version, RunFormatError for anything else, the
// message naming the field ("settings.lr = -1 is outside [0, 1000]").
RunManifest parseManifest(const std::string &text);

// "2026-12-06T03:15:02Z" of the current time.
std::string currentUtcTime();

} // namespace firstspike
