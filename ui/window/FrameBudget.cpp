#include "ui/window/FrameBudget.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace firstspike {

double FrameBudget::threadCpuSeconds()
{
#if defined(CLOCK_THREAD_CPUTIME_ID)
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
#endif
    return 0.0;
}

void FrameBudget::reset()
{
    lastCpu_ = -1.0;
    cpuPerFrame_ = 0.0;
    frames_ = 0;
}

int FrameBudget::nextIntervalMs(double cpuSeconds, bool crowded)
{
    if (lastCpu_ >= 0.0 && cpuSeconds >= lastCpu_ && std::isfinite(cpuSeconds)) {
        const double used = cpuSeconds - lastCpu_;
        // A running mean over the first frames, then an exponential one over about eight.
        ++frames_;
        const double weight = std::max(1.0 / frames_, 0.125);
        cpuPerFrame_ += weight * (used - cpuPerFrame_);
    }
    lastCpu_ = cpuSeconds;
    if (!crowded || frames_ == 0)
        return kFastestMs;
    const double ms = 1000.0 * cpuPerFrame_ / kBusyShare;
    return static_cast<int>(std::lround(std::clamp(ms, static_cast<double>(kFastestMs), static_cast<double>(kSlowestMs))));
}

} // namespace firstspike
