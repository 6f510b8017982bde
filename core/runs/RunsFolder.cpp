#include "core/runs/RunsFolder.h"

#include <cstdlib>

namespace firstspike {

std::string RunsFolder::choose(const std::string &option, const std::string &dataFolder)
{
    if (!option.empty())
        return option;
    if (const char *env = std::getenv(kEnvironmentVariable); env && *env)
        return env;
    if (dataFolder.empty())
        return {};
    return dataFolder.back() == '/' ? dataFolder + "runs" : dataFolder + "/runs";
}

} // namespace firstspike
