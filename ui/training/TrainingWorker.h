#pragma once
// The body of the training thread: owns the Trainer, loops trainBatch() while running, and
// publishes immutable TrainingSnapshots at a bounded rate. Commands arrive from the GUI thread
// through atomics and a mutex-protected mailbox that the loop reads between mini-batches (a
// loop inside a slot could not receive queued calls, docs/ARCHITECTURE.md).

#include "core/data/Dataset.h"
#include "core/runs/RunManifest.h"
#include "ui/training/TrainingSnapshot.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace firstspike {

// The run's data: the first trainLimit training and testLimit test samples of `base` (0: all).
std::shared_ptr<const DataSplit> limitedSplit(const std::shared_ptr<const DataSplit> &base, int trainLimit, int testLimit);

struct Checkpoint;
struct DataSplit;
class NetworkHistory;
class RunRecorder;
class Trainer;

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    enum class EndReason { Finished, Diverged, Error };
    Q_ENUM(EndReason)

    // Publication periods (worker side); the GUI coalesces further with its own timer.
    static constexpr double kMetricsPeriod = 0.030;  // batch losses, progress
    static constexpr double kWeightsPeriod = 0.200;  // watched neurons' weights
    static constexpr double kSamplePeriod = 0.250;   // the test sample's spike record
    static constexpr double kSampleChangePeriod = 1.5; // show the next test digit
    static constexpr double kActivityPeriod = 2.0;   // probe-batch firing statistics
    static constexpr int kProbeSamples = 64;

    // `data` null: the embedded MNIST set is loaded in the worker thread.
    // `history` (optional) receives copies of the network at regular points of the run.
    TrainingWorker(const RunConfig &config, std::uint64_t generation, std::shared_ptr<const DataSplit> data = {},
                   std::shared_ptr<NetworkHistory> history = {});
    ~TrainingWorker() override;

    // Workers alive in the process (leak checks in tests).
    static int instances() { return instances_.load(); }

    // The thread body; returns after requestQuit().
    void run();

    // Thread-safe commands, applied between mini-batches.
    void setRunning(bool running);
    void requestSteps(int count);
    // Runs `count` more mini-batches, then pauses (emits stepDone). Held: the pause is a hold
    // between measured slices (GUI benchmark), published as metrics only.
    void runFor(int count, bool held = false);
    void requestReset(const RunConfig &config, std::uint64_t generation);
    // Replaces the data set (null: the embedded MNIST set) and starts a new run on it.
    void requestData(std::shared_ptr<const DataSplit> data, const RunConfig &config, std::uint64_t generation);
    void setLiveConfig(const LiveConfig &live);
    void setWatchedNeurons(int count);
    // How often the window shows the weights and the test sample (seconds): they are built no
    // more often than that, nor than kWeightsPeriod and kSamplePeriod.
    void setShownPeriod(double seconds);
    void requestQuit();
    // Replaces the run by the checkpoint's network, optimiser state and metrics history
    // (config: the checkpoint's settings plus the caller's data limits).
    void requestRestore(std::shared_ptr<const Checkpoint> checkpoint, const RunConfig &config,
                        std::uint64_t generation);
    // Saves the current state atomically between mini-batches (emits checkpointSaved).
    // `failAfterBytes` >= 0 simulates a crash or full disk after that many bytes (tests).
    void requestSave(const QString &path, quint64 requestId, long long failAfterBytes = -1);
    // At the end of every epoch: save autosave-<run>-epoch-NNNN.fsck into `folder` and keep the
    // newest `keep` autosaves there. Empty folder: off.
    void setAutosave(const QString &folder, int keep);
    // Records every run into a run folder under `runsFolder` (core/runs/RunRecorder.h) from its
    // first mini-batch to its end (finished, diverged, replaced by a reset or a new data set, or
    // the app closed). Empty: off. Applies from the next run that starts training.
    void setRunRecording(const QString &runsFolder);

Q_SIGNALS:
    // The data set now in use (before dataLoaded); the GUI shows it, never modifies it.
    void dataSetReady(const std::shared_ptr<const firstspike::DataSplit> &data);
    void dataLoaded(int trainSize, int testSize, const QString &source);
    void snapshotReady(const firstspike::SnapshotPtr &snapshot);
    // The run stopped by itself: all epochs done, divergence, or an error (message for the user).
    void runEnded(quint64 generation, firstspike::TrainingWorker::EndReason reason, const QString &message);
    void stepDone(quint64 generation);
    // error empty: saved. Emitted from the worker thread.
    void checkpointSaved(quint64 requestId, const QString &path, const QString &error);
    void autosaved(const QString &path, const QString &error);
    // A recorded run started or ended (folder: its run folder), or recording failed (error set).
    void runRecorded(const QString &folder, bool ended, const QString &error);

private:
    using Clock = std::chrono::steady_clock;
    struct Publication {
        bool weights = false;
        bool activity = false;
        bool sample = false;
        bool runFinished = false;
    };

    void rebuild(const Checkpoint *restoreFrom = nullptr);
    // One pass of the loop, after the mailbox was read: apply what came, train a batch.
    void serve(std::optional<RunConfig> &reset, std::shared_ptr<const Checkpoint> &restore,
               std::optional<std::shared_ptr<const DataSplit>> &newData, std::optional<LiveConfig> &live, bool step,
               bool republish, int runFor, bool held);
    // Ends the run with an error (the trainer is dropped) and tells the GUI.
    void fail(const QString &message);
    void saveRequested();
    void autosave();
    // Run recording: started at a run's first mini-batch, ended with the run. A live change of
    // the learning rate or batch size is recorded in the manifest (RunRecorder::settingsChanged).
    void startRecording();
    void endRecording(RunState state, const QString &reason, bool withNetwork);
    void recordingFailed(const std::exception &e);
    void trainOneBatch();
    void publish(Publication what, bool evaluating = false);
    std::shared_ptr<const WeightTiles> makeWeightTiles() const;
    std::shared_ptr<const NeuronActivity> makeActivity() const;
    std::shared_ptr<const SampleRecord> makeSample() const;
    std::vector<int> watchedNeurons() const;
    static double seconds(Clock::time_point a, Clock::time_point b);
    void recordCurrent(); // the halted weights into the history
    void announceData();

    static inline std::atomic<int> instances_{0};

    // Mailbox (GUI thread -> worker).
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> running_{false};
    std::atomic<bool> quit_{false};
    std::atomic<bool> mailPending_{false};
    std::atomic<int> watchedCount_{64};
    std::atomic<double> shownPeriod_{0.0};
    std::atomic<long long> pauseAtStep_{-1};
    int pendingSteps_ = 0;
    int pendingRunFor_ = 0;
    bool pendingHeld_ = false;
    bool heldAtTarget_ = false; // the running runFor() ends in a hold
    std::optional<RunConfig> pendingReset_;
    std::optional<std::shared_ptr<const DataSplit>> pendingData_;
    std::uint64_t pendingGeneration_ = 0;
    std::optional<LiveConfig> pendingLive_;
    std::shared_ptr<const Checkpoint> pendingRestore_;
    struct SaveRequest {
        QString path;
        quint64 id = 0;
        long long failAfterBytes = -1;
    };
    std::vector<SaveRequest> pendingSaves_;
    QString autosaveFolder_;
    int autosaveKeep_ = 3;
    QString runStamp_; // names this run's autosaves
    QString runsFolder_;  // run recording (mutex_); empty: off
    std::unique_ptr<RunRecorder> recorder_; // the run being recorded (worker thread)
    bool recordingTried_ = false;           // this run's recording was started (or failed to)

    // Worker-thread state.
    RunConfig config_;
    std::uint64_t generation_ = 0;
    std::shared_ptr<const DataSplit> baseData_;
    std::shared_ptr<const DataSplit> data_;
    std::unique_ptr<Trainer> trainer_;
    std::shared_ptr<NetworkHistory> history_;
    std::vector<BatchPoint> unpublished_;
    Clock::time_point lastMetrics_, lastWeights_, lastSample_, lastSampleChange_, lastActivity_;
    int sampleIndex_ = 0;
    double rateSamples_ = 0, rateSeconds_ = 0, samplesPerSecond_ = 0;
    long long runSamples_ = 0;
    double runSeconds_ = 0;
    double trainSeconds_ = 0; // inside trainer_->trainBatch()
};

} // namespace firstspike

Q_DECLARE_METATYPE(std::shared_ptr<const firstspike::DataSplit>)
