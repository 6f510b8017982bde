#pragma once
// How `firstspike-cli train` records its run (core/runs/RunRecorder.h): where the runs folder
// is, what the manifest says about the run, and whether a sweep's run is already done.
#include "core/runs/RunRecorder.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace firstspike {

struct NetworkConfig;
struct TrainConfig;

class CliRunRecording {
public:
    struct Options {
        bool record = true;
        std::string runsDir;     // --runs-dir; "" : runsFolder()'s default
        std::string runId;       // --run-id; "" : newRunId()
        std::string runName;     // --run-name; "" : from the settings
        std::string sweep;       // --sweep
        std::string sweepValues; // --sweep-values "name=value;name=value"
        std::string command;     // the command line, for the manifest
    };

    // `option` when given, else $FIRSTSPIKE_RUNS_DIR when set, else the user's data folder
    // (QStandardPaths::AppDataLocation, e.g. ~/.local/share/Firstspike/firstspike) + "/runs".
    static std::string runsFolder(const std::string &option);
    // Starts recording (null when options.record is off). Throws RunBusyError when a live
    // process records the same --run-id, FileError when the folder cannot be written.
    static std::unique_ptr<RunRecorder> start(const Options &options, const NetworkConfig &network,
                                              const TrainConfig &training, const std::string &dataSource, int trainLimit);
    // --sweep-values "name=value;name=value" as pairs; std::invalid_argument for an item that is
    // not name=value or a name given twice (the manifest's reader refuses repeated keys).
    static std::vector<std::pair<std::string, std::string>> parseSweepValues(const std::string &text);
    // True when options.runId names a complete run in the runs folder.
    static bool alreadyComplete(const Options &options);
    // The arguments joined with spaces, each quoted for a POSIX shell where needed.
    static std::string commandLine(int argc, char **argv);
    static std::string shellQuote(const std::string &arg);
};

} // namespace firstspike
