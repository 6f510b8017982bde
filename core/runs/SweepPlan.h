#pragma once
// A hyper-parameter sweep (`firstspike-cli sweep`): named settings on a grid or drawn at random,
// times seeds, expanded into one training run per point. Each point has a deterministic run id
// derived from its settings, seed and the options shared by every run that change its results
// (sharedArgsKey), so that running the same sweep again finds the runs already done.
//
//   --grid hidden=400,800 --grid lr=1e-3,3e-3 --seeds 1-3         2 x 2 x 3 = 12 runs
//   --random 8 --range lr=1e-4:1e-2:log --grid encoding=latency,binary --seeds 1,2
//                                                                 8 draws x 2 seeds = 16 runs
//
// Values are checked against the settings' ranges (SettingsLimits.h) when they are parsed:
// a sweep never starts runs that the trainer would refuse.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace firstspike {

struct SweepError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SweepAxis {
    std::string name;                // a setting of sweepSettingNames()
    std::vector<std::string> values; // canonical text, e.g. "0.001"
};

struct SweepRange {
    std::string name;
    double low = 0;
    double high = 0;
    bool logScale = false;
};

struct SweepSpec {
    std::string name = "sweep";          // prefix of the run ids
    std::vector<SweepAxis> grid;
    std::vector<SweepRange> ranges;      // random search only
    std::vector<std::uint64_t> seeds{1};
    int randomCount = 0;                 // 0: the full grid; N: N random draws
    std::uint64_t randomSeed = 1;        // the draws' generator
    std::vector<std::string> sharedArgs; // train options given to every run ("--epochs", "2", ...)
};

struct SweepPoint {
    std::vector<std::pair<std::string, std::string>> values; // in the order of the spec
    std::uint64_t seed = 1;
    std::string id;   // "<sweep name>-<16 hex digits>"
    std::string name; // "hidden=400 lr=0.001 seed=1"
    // The `train` arguments of this run (shared arguments, then the swept ones and --seed).
    std::vector<std::string> trainArgs;
};

class SweepPlan {
public:
    static constexpr std::size_t kMaxPoints = 100000;

    // "hidden=400,800" / "lr=1e-4:1e-2:log" / "1-3" or "1,2,5"; SweepError naming the option.
    static SweepAxis parseGrid(const std::string &text);
    static SweepRange parseRange(const std::string &text);
    static std::vector<std::uint64_t> parseSeeds(const std::string &text);
    // Every run of the sweep, in a fixed order. SweepError for an empty or oversized sweep, a
    // setting named twice, or a swept setting also among the shared arguments.
    static std::vector<SweepPoint> expand(const SweepSpec &spec);
    // The settings a sweep can vary: "hidden" (the hidden layer sizes, "400" or "400-400"),
    // and the train options of the same names ("lr", "batch", "encoding", ...).
    static std::vector<std::string> settingNames();
    // A value's canonical text after the setting's checks; SweepError when refused.
    static std::string canonicalValue(const std::string &name, const std::string &value);
    // The shared train arguments as they enter the run ids: options that do not change a run's
    // results (--threads, --quiet, --runs-dir, --run-name, --save, --metrics-json, ...) left
    // out, values of sweepable settings in canonical text ("1e-3" and "0.001" alike), the
    // option/value pairs sorted (the order they were given in does not matter).
    static std::string sharedArgsKey(const std::vector<std::string> &args);
};

} // namespace firstspike
