#include "core/runs/RunRecord.h"

namespace firstspike {

std::string RunRecord::status() const
{
    if (health == RunHealth::Damaged)
        return "damaged";
    if (health == RunHealth::Refused)
        return "refused";
    if (manifest.state == RunState::Running)
        return live ? "running" : "interrupted";
    return runStateName(manifest.state);
}

std::string RunRecord::checkpointPath() const
{
    if (health != RunHealth::Ok || manifest.checkpoint.empty())
        return {};
    return folder + "/" + manifest.checkpoint;
}

} // namespace firstspike
