#pragma once
// `firstspike --benchmark-epochs N`: training throughput with every view open against the
// headless trainer (the CLI's code path) on the same configuration, measured in one run.
//
// Shared machines drift by tens of percent over seconds, so the two are interleaved epoch by
// epoch: the GUI trains epoch k (views live, refreshed at the normal frame rate), pauses, then
// an identical headless Trainer in the same process, with the same seed, data and threads,
// trains its epoch k while the GUI idles. Both do bit-identical work (training is
// deterministic for a thread count), and each ratio compares two epochs measured seconds
// apart; the median ratio is reported. During the GUI epochs the GUI thread's stalls, frame
// rate and CPU time are recorded too.

#include <QElapsedTimer>
#include <QFuture>
#include <QObject>

#include <memory>
#include <string>
#include <vector>

namespace firstspike {

class MainWindow;
class StallMonitor;
class Trainer;

class GuiBenchmark : public QObject {
    Q_OBJECT
public:
    GuiBenchmark(MainWindow &window, int epochs, QObject *parent = nullptr);
    ~GuiBenchmark() override;
    void start();
    int exitCode() const { return exitCode_; }

private:
    void begin();
    void runGuiEpoch();
    void onGuiEpochDone();
    void runHeadlessEpoch();
    void finish();
    void fail(const QString &message);

    MainWindow &window_;
    int epochs_;
    int batchesPerEpoch_ = 0;
    int round_ = 0;
    bool begun_ = false;
    bool done_ = false;
    std::unique_ptr<Trainer> headless_;
    struct HeadlessEpoch {
        double samplesPerSecond = 0;
        std::string error; // empty: the epoch trained
    };
    QFuture<HeadlessEpoch> headlessRun_; // waited for before headless_ goes
    StallMonitor *stalls_ = nullptr;
    QElapsedTimer guiWall_;
    double guiSeconds_ = 0, guiCpuSeconds_ = 0, guiCpuStart_ = 0;
    long long framesStart_ = 0, frames_ = 0, snapshotsStart_ = 0, snapshots_ = 0;
    std::vector<double> gui_, headlessRates_;
    int exitCode_ = 1;
};

} // namespace firstspike
