#pragma once
// Which runs folder a program records into and shows by default: the choice shared by
// `firstspike-cli train`/`sweep` (app/cli/CliRunRecording) and the desktop app (ui/runs/RunsLocation),
// each giving its own user data folder (found through Qt, which core does not use).
#include <string>

namespace firstspike {

class RunsFolder {
public:
    static constexpr const char *kEnvironmentVariable = "FIRSTSPIKE_RUNS_DIR";

    // `option` when not empty (--runs-dir), else $FIRSTSPIKE_RUNS_DIR when set and not empty,
    // else dataFolder + "/runs"; "" when all three are empty.
    static std::string choose(const std::string &option, const std::string &dataFolder);
};

} // namespace firstspike
