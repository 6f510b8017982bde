#pragma once
// The runs of a runs folder: every sub-folder holding a manifest.json (or meant to), read with
// readRunFolder, newest first. A runs folder of thousands of runs is listed without the curves
// (withCurves false) in well under a second; the GUI reads it off its GUI thread.
#include "core/runs/RunReader.h"

#include <atomic>
#include <string>
#include <vector>

namespace firstspike {

class RunIndex {
public:
    static constexpr std::size_t kMaxRuns = 100000;

    // Throws FileError when `runsDir` exists but is not a folder; an absent folder has no runs.
    // Sub-folders beyond kMaxRuns are not read (*truncated set). When *cancel becomes true (set
    // by another thread), the scan stops before the next run folder and returns the runs read so far.
    static std::vector<RunRecord> scan(const std::string &runsDir, bool withCurves = true, bool *truncated = nullptr,
                                       const std::atomic<bool> *cancel = nullptr);
};

} // namespace firstspike
