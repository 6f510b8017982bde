#pragma once
// `firstspike --benchmark-epochs N`: training throughput with every view open against the
// headless trainer (the CLI's code path) on the same configuration, measured in one run.
//
// Shared machines drift by tens of percent within seconds, so the two are interleaved in short
// slices (about 1,000 samples each): the GUI trains a slice (views live, refreshed at the normal
// frame rate) and holds (TrainingController::trainStepsHeld: the window stays in its running
// state, as in a run that never stops), then an identical headless Trainer in the same process,
// with the same seed, data and threads, trains the same slice while the GUI idles. Both do
// bit-identical work (training is deterministic for a thread count), so each ratio compares the
// same mini-batches measured a second apart. Reported: the median of the per-slice ratios and the pooled ratio
// over all slices, both for the trainer's own batch time (what the CLI's samples/s counts) and
// for the GUI worker's whole loop (snapshot building included). During the GUI slices the GUI
// thread's stalls, frame rate and CPU time are recorded too.
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
    struct Slice {
        long long samples = 0;
        double guiTrainSeconds = 0;  // GUI worker, inside Trainer::trainBatch()
        double guiLoopSeconds = 0;   // GUI worker's batch loop, snapshot building included
        double headlessSeconds = 0;  // headless, inside Trainer::trainBatch()
    };
    struct HeadlessSlice {
        double seconds = 0;
        long long samples = 0;
        std::string error; // empty: the slice trained
    };

    void begin();
    void runGuiSlice();
    void onGuiSliceDone();
    void runHeadlessSlice();
    void finish();
    void fail(const QString &message);

    MainWindow &window_;
    int epochs_;
    int sliceBatches_ = 0;
    long long totalBatches_ = 0, batchesDone_ = 0;
    bool begun_ = false;
    bool done_ = false;
    std::unique_ptr<Trainer> headless_;
    QFuture<HeadlessSlice> headlessRun_; // waited for before headless_ goes
    StallMonitor *stalls_ = nullptr;
    QElapsedTimer guiWall_;
    double guiSeconds_ = 0, guiCpuSeconds_ = 0, guiCpuStart_ = 0;
    long long framesStart_ = 0, frames_ = 0, snapshotsStart_ = 0, snapshots_ = 0;
    long long startSamples_ = 0;       // GUI snapshot counters at the start of the running slice
    double startTrainSeconds_ = 0, startLoopSeconds_ = 0;
    Slice current_;
    std::vector<Slice> slices_;
    int exitCode_ = 1;
};

} // namespace firstspike
