#pragma once
// Measures how long the GUI thread's event loop goes without running: a timer fires every
// `periodMs`, and the longest gap between two ticks beyond the period is a stall.

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace firstspike {

class StallMonitor : public QObject {
    Q_OBJECT
public:
    explicit StallMonitor(int periodMs = 10, QObject *parent = nullptr);

    void start();
    // Starts again without clearing the statistics; the paused interval is not a gap.
    void resume();
    void stop();
    void reset();
    double maxGapMs() const { return maxGapMs_; }    // longest interval between two ticks
    double meanGapMs() const { return ticks_ ? totalMs_ / ticks_ : 0.0; }
    long long ticks() const { return ticks_; }
    long long gapsOver50() const { return over50_; }

private:
    void tick();

    QTimer timer_;
    QElapsedTimer clock_;
    qint64 lastNs_ = -1;
    double maxGapMs_ = 0;
    double totalMs_ = 0;
    long long ticks_ = 0;
    long long over50_ = 0;
};

} // namespace firstspike
