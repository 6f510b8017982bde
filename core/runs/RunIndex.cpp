#include "core/runs/RunIndex.h"

#include "core/files/SafeFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>

namespace firstspike {

std::vector<RunRecord> RunIndex::scan(const std::string &runsDir, bool withCurves, bool *truncated,
                                      const std::atomic<bool> *cancel)
{
    if (truncated)
        *truncated = false;
    struct stat st {};
    if (::stat(runsDir.c_str(), &st) != 0)
        return {};
    if (!S_ISDIR(st.st_mode))
        throw FileError(runsDir + ": not a folder");
    DIR *dir = ::opendir(runsDir.c_str());
    if (!dir)
        throw FileError(runsDir + ": cannot list the runs folder (" + std::strerror(errno) + ")");
    std::vector<std::string> names;
    while (const dirent *e = ::readdir(dir)) {
        const std::string name = e->d_name;
        if (name.empty() || name[0] == '.')
            continue;
        struct stat sub {};
        if (::lstat((runsDir + "/" + name).c_str(), &sub) != 0 || !S_ISDIR(sub.st_mode))
            continue;
        if (names.size() >= kMaxRuns) {
            if (truncated)
                *truncated = true;
            break;
        }
        names.push_back(name);
    }
    ::closedir(dir);
    std::vector<RunRecord> runs;
    runs.reserve(names.size());
    for (const std::string &name : names) {
        if (cancel && cancel->load(std::memory_order_relaxed))
            break;
        runs.push_back(readRunFolder(runsDir + "/" + name, withCurves));
    }
    // Newest first (ISO times sort as text); damaged runs by name at the end.
    std::stable_sort(runs.begin(), runs.end(), [](const RunRecord &a, const RunRecord &b) {
        if (a.manifest.started != b.manifest.started)
            return a.manifest.started > b.manifest.started;
        return a.id < b.id;
    });
    return runs;
}

} // namespace firstspike
