#include "ui/window/StallMonitor.h"

#include <algorithm>

namespace firstspike {

StallMonitor::StallMonitor(int periodMs, QObject *parent)
    : QObject(parent)
{
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(periodMs);
    connect(&timer_, &QTimer::timeout, this, &StallMonitor::tick);
}

void StallMonitor::start()
{
    reset();
    clock_.start();
    timer_.start();
}

void StallMonitor::resume()
{
    lastNs_ = -1;
    if (!clock_.isValid())
        clock_.start();
    timer_.start();
}

void StallMonitor::stop()
{
    timer_.stop();
}

void StallMonitor::reset()
{
    lastNs_ = -1;
    maxGapMs_ = totalMs_ = 0;
    ticks_ = over50_ = 0;
}

void StallMonitor::tick()
{
    const qint64 now = clock_.nsecsElapsed();
    if (lastNs_ >= 0) {
        const double gap = (now - lastNs_) / 1e6;
        maxGapMs_ = std::max(maxGapMs_, gap);
        totalMs_ += gap;
        ++ticks_;
        over50_ += gap > 50.0 ? 1 : 0;
    }
    lastNs_ = now;
}

} // namespace firstspike
