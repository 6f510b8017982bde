#pragma once
// Owns the training thread and its TrainingWorker; turns the user's Train / Pause / Step /
// Stop / Reset into worker commands and the worker's signals into a run state. Lives in the
// GUI thread and never computes: every command returns at once.

#include "ui/training/TrainingSnapshot.h"
#include "ui/training/TrainingWorker.h"

#include <QObject>
#include <QString>

#include <memory>

class QThread;

namespace firstspike {

struct Checkpoint;
struct DataSplit;
class NetworkHistory;

class TrainingController : public QObject {
    Q_OBJECT
public:
    enum class State {
        Loading,  // the data set is being loaded
        Ready,    // a fresh network, nothing trained yet
        Running,
        Paused,   // a live run, halted between mini-batches
        Stopped,  // the run was ended by the user; Train continues it
        Finished, // all epochs done; Train starts a new run
        Failed,   // divergence or error; see lastError()
    };
    Q_ENUM(State)

    // `data` null: the worker loads the embedded MNIST set.
    explicit TrainingController(const RunConfig &config, QObject *parent = nullptr,
                                std::shared_ptr<const DataSplit> data = {});
    ~TrainingController() override;

    State state() const { return state_; }
    // Running or paused: the settings that are not live-safe are locked.
    bool isLive() const { return state_ == State::Running || state_ == State::Paused; }
    const RunConfig &config() const { return config_; }
    bool hasPendingConfig() const { return configPending_; }
    std::uint64_t generation() const { return generation_; }
    QString lastError() const { return lastError_; }
    // Why the last openCheckpoint() refused its file (one line naming it); empty after success.
    QString lastOpenError() const { return openError_; }
    // "" when a run of this network fits in the memory available, else the refusal with the
    // figures ("784-800-10: training this network needs 31.0 MB, 1.0 MB available").
    static QString checkNetworkFits(const NetworkConfig &network);
    int watchedNeurons() const { return watchedNeurons_; }
    // Copies of the network taken during the run (for scrubbing back through training).
    NetworkHistory *history() const { return history_.get(); }
    static QString stateName(State state);
    // Optimiser steps of the latest snapshot, and of the state last saved or opened (a quit
    // with unsaved training asks first).
    long long currentStep() const { return lastStep_; }
    bool hasUnsavedTraining() const;
    QString checkpointPath() const { return checkpointPath_; } // last saved or opened

    // Saves the run atomically (in the worker, between mini-batches); answers with
    // checkpointSaved or saveFailed. Returns the request id.
    quint64 saveCheckpoint(const QString &path);
    // Loads the file and replaces the run by it (weights, optimiser, metrics history); the
    // run is then Stopped, and Train continues it. False (and errorOccurred) when unreadable.
    bool openCheckpoint(const QString &path);
    // The same from a checkpoint in memory.
    void restoreCheckpoint(std::shared_ptr<const Checkpoint> checkpoint, const QString &path = {});
    void setAutosave(const QString &folder, int keep = 3);
    // Records every run that trains into a run folder under `folder` (empty: off).
    void setRunRecording(const QString &folder);
    QString runsFolder() const { return runsFolder_; }
    // Trains on `data` from now on (null: the embedded MNIST set): a new run with the current
    // settings. The caller has checked the set (DataSetLoader); dataSetChanged follows.
    void setData(std::shared_ptr<const DataSplit> data);
    // The data set in use (null while it loads).
    std::shared_ptr<const DataSplit> data() const { return data_; }
    QString autosaveFolder() const { return autosaveFolder_; }
    // Tests: the next saves fail after this many bytes (-1: off), as a full disk would.
    void setSimulatedSaveFailure(long long failAfterBytes) { failSaveAfterBytes_ = failAfterBytes; }

public Q_SLOTS:
    void train();        // start, resume, or continue a stopped run
    void pause();
    void togglePause();  // Space: Train / Pause / Resume
    void step();         // one mini-batch, then paused
    void trainSteps(int batches); // this many mini-batches, then paused (screenshots, demos)
    // This many mini-batches, then the worker waits with the state left Running: the views stay
    // in their live mode, as in a run that never stops (the GUI benchmark's measured slices,
    // which a pause and resume would each time redraw in the paused look and back).
    void trainStepsHeld(int batches);
    void stop();
    void reset();        // new weights from the seed, with the current settings
    // All settings; when a run is live only the live-safe ones (batch, lr) are applied now,
    // the rest at the next Reset (or Train after Stop).
    void setConfig(const firstspike::RunConfig &config);
    void setWatchedNeurons(int count);
    // How often the window shows the weight maps and the test sample while training (ms).
    void setShownPeriod(int ms);

Q_SIGNALS:
    void stateChanged(firstspike::TrainingController::State state);
    void snapshotReady(const firstspike::SnapshotPtr &snapshot); // current generation only
    void dataLoaded(int trainSize, int testSize, const QString &source);
    void dataSetChanged(const std::shared_ptr<const firstspike::DataSplit> &data);
    void runReset(quint64 generation);                          // views clear their history
    void errorOccurred(const QString &message);
    void message(const QString &text);                          // one line for the status bar
    void stepsDone(long long step);                             // a Step or trainSteps() ended
    void checkpointSaved(quint64 requestId, const QString &path);
    void saveFailed(quint64 requestId, const QString &path, const QString &error);
    void checkpointOpened(const QString &path);                 // the run now is the file's
    void autosaved(const QString &path, const QString &error);  // error empty: saved
    // A recorded run started or ended in `folder`; error set: recording failed.
    void runRecorded(const QString &folder, bool ended, const QString &error);

private:
    void runSteps(int batches, bool held);
    void setState(State state);
    void startNewRun();

    RunConfig config_;
    bool configPending_ = false;
    std::uint64_t generation_ = 1;
    State state_ = State::Loading;
    QString lastError_;
    QString openError_;
    int watchedNeurons_ = 64;
    long long lastStep_ = 0;        // optimiser steps, from the latest snapshot
    bool pauseAtTarget_ = false;    // trainSteps() is running towards its target
    QString checkpointPath_;
    long long savedStep_ = 0;       // step of the run last saved or opened (0: a fresh run)
    quint64 nextSaveId_ = 1;
    long long failSaveAfterBytes_ = -1;
    QString autosaveFolder_;
    QString runsFolder_;
    std::shared_ptr<const DataSplit> data_;
    std::shared_ptr<NetworkHistory> history_; // shared with the worker; outlives its thread
    std::unique_ptr<TrainingWorker> worker_;
    QThread *thread_ = nullptr;
};

} // namespace firstspike
