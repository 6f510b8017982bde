#pragma once
// Where the desktop app records its runs and looks for them by default.
#include <QString>

namespace firstspike {

class RunsLocation {
public:
    // $FIRSTSPIKE_RUNS_DIR when set, else QStandardPaths::AppDataLocation + "/runs" (e.g.
    // ~/.local/share/Firstspike/firstspike/runs): RunsFolder::choose, the choice `firstspike-cli
    // train` and `sweep` make by default too.
    static QString defaultFolder();
};

} // namespace firstspike
