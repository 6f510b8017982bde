#include "ui/training/TrainingController.h"

#include "core/common/MemoryBudget.h"
#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/data/Dataset.h"
#include "core/training/SettingsLimits.h"
#include "ui/training/NetworkHistory.h"

#include <QThread>

#include <algorithm>
#include <cmath>
#include <new>

namespace firstspike {

namespace {

bool sameLiveInsensitive(const RunConfig &a, const RunConfig &b)
{
    // True when a and b differ at most in the live-safe settings (batch size, learning rate).
    RunConfig x = a, y = b;
    x.training.batchSize = y.training.batchSize;
    x.training.optimizer.learningRate = y.training.optimizer.learningRate;
    return x.network.layerSizes == y.network.layerSizes && x.network.bias == y.network.bias
        && x.network.threshold == y.network.threshold && x.network.maxSpikeTime == y.network.maxSpikeTime
        && x.network.encoding.kind == y.network.encoding.kind
        && x.network.encoding.latencyScale == y.network.encoding.latencyScale
        && x.training.epochs == y.training.epochs && x.training.optimizer.kind == y.training.optimizer.kind
        && x.training.seed == y.training.seed && x.training.threads == y.training.threads
        && x.training.validationFraction == y.training.validationFraction && x.trainLimit == y.trainLimit
        && x.testLimit == y.testLimit && x.training.weightSumK == y.training.weightSumK
        && x.training.l2 == y.training.l2 && x.training.augmentShift == y.training.augmentShift;
}

// The live settings kept inside the ranges every door accepts (SettingsLimits.h): a value from
// outside (a session, a script, a spin box with other bounds) never reaches the optimiser.
void clampLive(TrainConfig &t, const TrainConfig &previous)
{
    t.batchSize = std::clamp(t.batchSize, 1, limits::kMaxBatchSize);
    double &lr = t.optimizer.learningRate;
    if (!std::isfinite(lr))
        lr = previous.optimizer.learningRate;
    lr = std::clamp(lr, limits::kLearningRate.min, limits::kLearningRate.max);
}

} // namespace

QString TrainingController::checkNetworkFits(const NetworkConfig &network)
{
    try {
        requireMemory(trainingMemoryBytes(network.layerSizes, network.bias),
                      layerSizesToString(network.layerSizes) + ": training this network");
    } catch (const std::exception &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

TrainingController::TrainingController(const RunConfig &config, QObject *parent, std::shared_ptr<const DataSplit> data)
    : QObject(parent)
    , config_(config)
{
    qRegisterMetaType<firstspike::SnapshotPtr>();
    qRegisterMetaType<firstspike::TrainingWorker::EndReason>();
    qRegisterMetaType<std::shared_ptr<const firstspike::DataSplit>>();
    history_ = std::make_shared<NetworkHistory>();
    worker_ = std::make_unique<TrainingWorker>(config_, generation_, std::move(data), history_);
    worker_->setWatchedNeurons(watchedNeurons_);

    connect(worker_.get(), &TrainingWorker::dataSetReady, this,
            [this](const std::shared_ptr<const DataSplit> &data) {
                data_ = data;
                Q_EMIT dataSetChanged(data_);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::dataLoaded, this,
            [this](int trainSize, int testSize, const QString &source) {
                // A checkpoint restored while the data loaded is a run to continue, not a fresh one.
                if (state_ == State::Loading)
                    setState(lastStep_ > 0 ? State::Stopped : State::Ready);
                Q_EMIT dataLoaded(trainSize, testSize, source);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::snapshotReady, this,
            [this](const SnapshotPtr &snapshot) {
                if (!snapshot || snapshot->generation != generation_)
                    return;
                lastStep_ = snapshot->step;
                Q_EMIT snapshotReady(snapshot);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::stepDone, this,
            [this](quint64 generation) {
                if (generation != generation_)
                    return;
                if (pauseAtTarget_ && state_ == State::Running) {
                    pauseAtTarget_ = false;
                    setState(State::Paused);
                }
                Q_EMIT stepsDone(lastStep_);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::runRecorded, this,
            [this](const QString &folder, bool ended, const QString &error) {
                if (!error.isEmpty())
                    Q_EMIT message(tr("The run is no longer recorded: %1").arg(error));
                Q_EMIT runRecorded(folder, ended, error);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::runEnded, this,
            [this](quint64 generation, TrainingWorker::EndReason reason, const QString &text) {
                if (generation != generation_)
                    return;
                if (reason == TrainingWorker::EndReason::Finished) {
                    setState(State::Finished);
                    Q_EMIT message(tr("Training finished: %1.").arg(text));
                    return;
                }
                lastError_ = text;
                setState(State::Failed);
                Q_EMIT errorOccurred(text);
            },
            Qt::QueuedConnection);

    connect(worker_.get(), &TrainingWorker::checkpointSaved, this,
            [this](quint64 id, const QString &path, const QString &error) {
                if (!error.isEmpty()) {
                    Q_EMIT saveFailed(id, path, error);
                    return;
                }
                checkpointPath_ = path;
                savedStep_ = lastStep_;
                Q_EMIT message(tr("Saved %1.").arg(path));
                Q_EMIT checkpointSaved(id, path);
            },
            Qt::QueuedConnection);
    connect(worker_.get(), &TrainingWorker::autosaved, this,
            [this](const QString &path, const QString &error) {
                if (error.isEmpty())
                    Q_EMIT message(tr("Autosaved %1.").arg(path));
                else
                    Q_EMIT message(tr("Autosave failed: %1").arg(error));
                Q_EMIT autosaved(path, error);
            },
            Qt::QueuedConnection);

    thread_ = QThread::create([worker = worker_.get()] { worker->run(); });
    thread_->setObjectName(QStringLiteral("firstspike-training"));
    thread_->start();
}

TrainingController::~TrainingController()
{
    // Quitting mid-training: the worker leaves after the running mini-batch (or epoch-end
    // evaluation), the thread is joined, then the worker is destroyed.
    worker_->requestQuit();
    thread_->wait();
    delete thread_;
}

QString TrainingController::stateName(State state)
{
    switch (state) {
    case State::Loading: return tr("Loading data");
    case State::Ready: return tr("Ready");
    case State::Running: return tr("Training");
    case State::Paused: return tr("Paused");
    case State::Stopped: return tr("Stopped");
    case State::Finished: return tr("Finished");
    case State::Failed: return tr("Failed");
    }
    return {};
}

bool TrainingController::hasUnsavedTraining() const
{
    return (isLive() || state_ == State::Stopped) && lastStep_ != savedStep_;
}

quint64 TrainingController::saveCheckpoint(const QString &path)
{
    const quint64 id = nextSaveId_++;
    worker_->requestSave(path, id, failSaveAfterBytes_);
    return id;
}

bool TrainingController::openCheckpoint(const QString &path)
{
    std::shared_ptr<const Checkpoint> checkpoint;
    openError_.clear();
    try {
        checkpoint = std::make_shared<const Checkpoint>(loadCheckpoint(path.toStdString()));
    } catch (const std::bad_alloc &) {
        openError_ = tr("%1: not enough memory to load it (%2 available)")
                         .arg(path, QString::fromStdString(formatBytes(availableMemoryBytes())));
    } catch (const std::exception &e) {
        openError_ = QString::fromStdString(e.what());
        if (openError_.isEmpty())
            openError_ = tr("%1: cannot be read").arg(path);
    }
    // Its network must fit in memory before the worker builds a trainer for it.
    if (checkpoint && openError_.isEmpty())
        if (const QString problem = checkNetworkFits(checkpoint->network); !problem.isEmpty())
            openError_ = tr("%1: %2").arg(path, problem);
    if (!openError_.isEmpty()) {
        Q_EMIT errorOccurred(openError_);
        return false;
    }
    restoreCheckpoint(checkpoint, path);
    return true;
}

void TrainingController::restoreCheckpoint(std::shared_ptr<const Checkpoint> checkpoint, const QString &path)
{
    RunConfig config = config_;
    config.network = checkpoint->network;
    config.training = checkpoint->training;
    config_ = config;
    ++generation_;
    pauseAtTarget_ = false;
    configPending_ = false;
    lastError_.clear();
    lastStep_ = savedStep_ = checkpoint->optimizerStep;
    checkpointPath_ = path;
    worker_->requestRestore(std::move(checkpoint), config_, generation_);
    Q_EMIT runReset(generation_);
    setState(state_ == State::Loading ? State::Loading : State::Stopped);
    Q_EMIT checkpointOpened(path);
    if (!path.isEmpty())
        Q_EMIT message(tr("Opened %1. Train continues this run.").arg(path));
}

void TrainingController::setRunRecording(const QString &folder)
{
    runsFolder_ = folder;
    worker_->setRunRecording(folder);
}

void TrainingController::setAutosave(const QString &folder, int keep)
{
    autosaveFolder_ = folder;
    worker_->setAutosave(folder, keep);
}

void TrainingController::setState(State state)
{
    if (state_ == state)
        return;
    state_ = state;
    Q_EMIT stateChanged(state_);
}

void TrainingController::startNewRun()
{
    ++generation_;
    lastStep_ = savedStep_ = 0;
    checkpointPath_.clear();
    pauseAtTarget_ = false;
    configPending_ = false;
    lastError_.clear();
    worker_->requestReset(config_, generation_);
    Q_EMIT runReset(generation_);
}

void TrainingController::train()
{
    switch (state_) {
    case State::Running:
        return;
    case State::Finished:
        startNewRun();
        break;
    case State::Failed:
        // A divergence keeps the weights from before the bad mini-batch, so the run can go on
        // (e.g. with a lower learning rate); after an error there is no network to go on with.
        if (configPending_ || !lastError_.startsWith(QLatin1String("training diverged")))
            startNewRun();
        break;
    case State::Stopped:
    case State::Ready:
        if (configPending_)
            startNewRun();
        break;
    default:
        break;
    }
    pauseAtTarget_ = false;
    worker_->setLiveConfig({config_.training.batchSize, config_.training.optimizer.learningRate});
    worker_->setRunning(true);
    setState(State::Running);
}

void TrainingController::pause()
{
    pauseAtTarget_ = false;
    if (state_ != State::Running)
        return;
    worker_->setRunning(false);
    setState(State::Paused);
}

void TrainingController::togglePause()
{
    if (state_ == State::Running)
        pause();
    else
        train();
}

void TrainingController::step()
{
    if (state_ == State::Running) {
        pause();
        return;
    }
    if (state_ == State::Finished || (state_ != State::Paused && configPending_))
        startNewRun();
    worker_->requestSteps(1);
    setState(State::Paused);
}

void TrainingController::trainSteps(int batches)
{
    runSteps(batches, false);
}

void TrainingController::trainStepsHeld(int batches)
{
    runSteps(batches, true);
}

void TrainingController::runSteps(int batches, bool held)
{
    if (state_ == State::Finished || (state_ != State::Paused && state_ != State::Running && configPending_))
        startNewRun();
    worker_->setLiveConfig({config_.training.batchSize, config_.training.optimizer.learningRate});
    pauseAtTarget_ = !held;
    worker_->runFor(batches, held);
    setState(State::Running);
}

void TrainingController::stop()
{
    pauseAtTarget_ = false;
    if (!isLive())
        return;
    worker_->setRunning(false);
    setState(State::Stopped);
    Q_EMIT message(tr("Stopped. Train continues this run; Reset starts a new one."));
}

void TrainingController::setData(std::shared_ptr<const DataSplit> data)
{
    ++generation_;
    lastStep_ = savedStep_ = 0;
    checkpointPath_.clear();
    pauseAtTarget_ = false;
    configPending_ = false;
    lastError_.clear();
    data_.reset();
    worker_->requestData(std::move(data), config_, generation_);
    Q_EMIT runReset(generation_);
    setState(State::Loading);
}

void TrainingController::reset()
{
    startNewRun();
    setState(state_ == State::Loading ? State::Loading : State::Ready);
    Q_EMIT message(tr("New weights from seed %1.").arg(config_.training.seed));
}

void TrainingController::setConfig(const RunConfig &requested)
{
    RunConfig config = requested;
    clampLive(config.training, config_.training);
    const bool onlyLive = sameLiveInsensitive(config, config_);
    const bool liveChanged = config.training.batchSize != config_.training.batchSize
        || config.training.optimizer.learningRate != config_.training.optimizer.learningRate;
    if (isLive()) {
        // Locked settings keep their running values; batch size and lr apply at the next mini-batch.
        config_.training.batchSize = config.training.batchSize;
        config_.training.optimizer.learningRate = config.training.optimizer.learningRate;
        if (liveChanged)
            worker_->setLiveConfig({config_.training.batchSize, config_.training.optimizer.learningRate});
        return;
    }
    config_ = config;
    if (onlyLive) {
        if (liveChanged)
            worker_->setLiveConfig({config_.training.batchSize, config_.training.optimizer.learningRate});
        return;
    }
    if (state_ == State::Ready || state_ == State::Loading) {
        startNewRun(); // nothing trained yet: show the new network at once
    } else {
        configPending_ = true;
        Q_EMIT message(tr("New settings apply at the next Train or Reset (a new run)."));
    }
}

void TrainingController::setShownPeriod(int ms)
{
    worker_->setShownPeriod(ms / 1000.0);
}

void TrainingController::setWatchedNeurons(int count)
{
    watchedNeurons_ = count;
    worker_->setWatchedNeurons(count);
}

} // namespace firstspike
