#include "ui/training/TrainingWorker.h"

#include "core/common/MemoryBudget.h"
#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/files/DataExport.h"
#include "core/runs/RunRecorder.h"
#include "core/data/IdxReader.h"
#include "core/training/SettingsLimits.h"
#include "ui/training/NetworkHistory.h"
#include "core/training/Trainer.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <utility>

namespace firstspike {

namespace {

// One line for the user: never the bare "std::bad_alloc" or an empty what().
QString describe(const std::exception &e, const char *during)
{
    if (dynamic_cast<const std::bad_alloc *>(&e))
        return QStringLiteral("not enough memory %1 (%2 available)")
            .arg(QLatin1String(during), QString::fromStdString(formatBytes(availableMemoryBytes())));
    QString text = QString::fromStdString(e.what()).trimmed();
    if (text.isEmpty() || text.endsWith(QLatin1Char(':')))
        text = QStringLiteral("%1failed %2").arg(text.isEmpty() ? QString() : text + QLatin1Char(' '), QLatin1String(during));
    return text;
}

} // namespace

std::shared_ptr<const DataSplit> limitedSplit(const std::shared_ptr<const DataSplit> &base, int trainLimit, int testLimit)
{
    const bool cutTrain = trainLimit > 0 && trainLimit < base->train.size();
    const bool cutTest = testLimit > 0 && testLimit < base->test.size();
    if (!cutTrain && !cutTest)
        return base;
    auto split = std::make_shared<DataSplit>();
    split->source = base->source;
    auto firstN = [](int n) {
        std::vector<int> idx(n);
        for (int i = 0; i < n; ++i)
            idx[i] = i;
        return idx;
    };
    split->train = cutTrain ? base->train.subset(firstN(trainLimit), base->train.name) : base->train;
    split->test = cutTest ? base->test.subset(firstN(testLimit), base->test.name) : base->test;
    return split;
}


TrainingWorker::TrainingWorker(const RunConfig &config, std::uint64_t generation, std::shared_ptr<const DataSplit> data,
                               std::shared_ptr<NetworkHistory> history)
    : config_(config)
    , generation_(generation)
    , baseData_(std::move(data))
    , history_(std::move(history))
{
    ++instances_;
}

TrainingWorker::~TrainingWorker()
{
    --instances_;
}

double TrainingWorker::seconds(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

void TrainingWorker::setRunning(bool running)
{
    {
        std::lock_guard lock(mutex_);
        running_ = running;
        pauseAtStep_ = -1;
        if (!running) {
            pendingSteps_ = 0;
            mailPending_ = true; // publish the state it halted in
        }
    }
    wake_.notify_one();
}

void TrainingWorker::requestSteps(int count)
{
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        pendingSteps_ += count;
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::requestReset(const RunConfig &config, std::uint64_t generation)
{
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        pendingSteps_ = 0;
        pendingReset_ = config;
        pendingGeneration_ = generation;
        pendingLive_.reset();
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::requestData(std::shared_ptr<const DataSplit> data, const RunConfig &config,
                                 std::uint64_t generation)
{
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        pendingSteps_ = 0;
        pendingData_ = std::move(data);
        pendingReset_ = config;
        pendingGeneration_ = generation;
        pendingLive_.reset();
        pendingRestore_.reset();
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::announceData()
{
    Q_EMIT dataSetReady(baseData_);
    Q_EMIT dataLoaded(baseData_->train.size(), baseData_->test.size(), QString::fromStdString(baseData_->source));
}

void TrainingWorker::runFor(int count, bool held)
{
    {
        std::lock_guard lock(mutex_);
        pendingRunFor_ = count;
        pendingHeld_ = held;
        pendingSteps_ = 0;
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::setLiveConfig(const LiveConfig &requested)
{
    // The optimiser only ever sees values inside the ranges of SettingsLimits.h; a request with
    // a learning rate that is not a number is dropped (the running settings stay).
    if (!std::isfinite(requested.learningRate))
        return;
    LiveConfig live = requested;
    live.batchSize = std::clamp(live.batchSize, 1, limits::kMaxBatchSize);
    live.learningRate = std::clamp(live.learningRate, limits::kLearningRate.min, limits::kLearningRate.max);
    {
        std::lock_guard lock(mutex_);
        pendingLive_ = live;
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::setShownPeriod(double seconds)
{
    shownPeriod_ = std::isfinite(seconds) ? std::clamp(seconds, 0.0, 10.0) : 0.0;
}

void TrainingWorker::setWatchedNeurons(int count)
{
    watchedCount_ = std::max(1, count);
    {
        std::lock_guard lock(mutex_);
        mailPending_ = true; // republish the tiles even while idle
    }
    wake_.notify_one();
}

void TrainingWorker::requestRestore(std::shared_ptr<const Checkpoint> checkpoint, const RunConfig &config,
                                    std::uint64_t generation)
{
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        pendingSteps_ = 0;
        pendingReset_ = config;
        pendingRestore_ = std::move(checkpoint);
        pendingGeneration_ = generation;
        pendingLive_.reset();
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::requestSave(const QString &path, quint64 requestId, long long failAfterBytes)
{
    {
        std::lock_guard lock(mutex_);
        pendingSaves_.push_back({path, requestId, failAfterBytes});
        mailPending_ = true;
    }
    wake_.notify_one();
}

void TrainingWorker::setAutosave(const QString &folder, int keep)
{
    std::lock_guard lock(mutex_);
    autosaveFolder_ = folder;
    autosaveKeep_ = std::max(1, keep);
}

void TrainingWorker::saveRequested()
{
    std::vector<SaveRequest> saves;
    {
        std::lock_guard lock(mutex_);
        saves.swap(pendingSaves_);
    }
    for (const SaveRequest &r : saves) {
        if (!trainer_) {
            Q_EMIT checkpointSaved(r.id, r.path, tr("there is no network to save"));
            continue;
        }
        try {
            const std::vector<std::uint8_t> bytes = serializeCheckpoint(makeCheckpoint(*trainer_));
            writeFileAtomically(r.path.toStdString(), bytes, r.failAfterBytes);
            Q_EMIT checkpointSaved(r.id, r.path, QString());
        } catch (const std::exception &e) {
            Q_EMIT checkpointSaved(r.id, r.path, describe(e, "while saving the checkpoint"));
        }
    }
}

void TrainingWorker::autosave()
{
    QString folder;
    int keep = 3;
    {
        std::lock_guard lock(mutex_);
        folder = autosaveFolder_;
        keep = autosaveKeep_;
    }
    if (folder.isEmpty() || !trainer_)
        return;
    const QString path = QDir(folder).filePath(
        QStringLiteral("autosave-%1-epoch-%2.fsck").arg(runStamp_).arg(trainer_->history().size(), 4, 10, QLatin1Char('0')));
    try {
        if (!QDir().mkpath(folder))
            throw std::runtime_error(folder.toStdString() + ": cannot create the autosave folder");
        saveCheckpoint(makeCheckpoint(*trainer_), path.toStdString());
    } catch (const std::exception &e) {
        Q_EMIT autosaved(path, describe(e, "while autosaving"));
        return;
    }
    // Keep the newest `keep` autosaves of any run (names sort by run start, then epoch).
    QStringList files = QDir(folder).entryList({QStringLiteral("autosave-*.fsck")}, QDir::Files, QDir::Name);
    while (files.size() > keep)
        QFile::remove(QDir(folder).filePath(files.takeFirst()));
    Q_EMIT autosaved(path, QString());
}

void TrainingWorker::setRunRecording(const QString &runsFolder)
{
    std::lock_guard lock(mutex_);
    runsFolder_ = runsFolder;
}

void TrainingWorker::startRecording()
{
    recordingTried_ = true;
    QString folder;
    {
        std::lock_guard lock(mutex_);
        folder = runsFolder_;
    }
    if (folder.isEmpty() || !trainer_)
        return;
    try {
        RunManifest m;
        m.id = newRunId();
        m.origin = "gui";
        m.network = config_.network;
        m.training = trainer_->config();
        m.name = layerSizesToString(m.network.layerSizes) + " " + encodingName(m.network.encoding.kind) + " lr="
                 + formatNumber(m.training.optimizer.learningRate) + " seed=" + std::to_string(m.training.seed);
        m.data = data_ ? data_->source : std::string("embedded");
        m.trainLimit = config_.trainLimit;
        m.testLimit = config_.testLimit;
        recorder_ = std::make_unique<RunRecorder>(folder.toStdString(), std::move(m));
        recorder_->setBatchesPerEpoch(trainer_->batchesPerEpoch());
        Q_EMIT runRecorded(QString::fromStdString(recorder_->folder()), false, QString());
    } catch (const std::exception &e) {
        recordingFailed(e);
    }
}

void TrainingWorker::endRecording(RunState state, const QString &reason, bool withNetwork)
{
    if (!recorder_)
        return;
    const QString folder = QString::fromStdString(recorder_->folder());
    try {
        recorder_->finish(withNetwork ? trainer_.get() : nullptr, state, reason.toStdString());
        recorder_.reset();
        Q_EMIT runRecorded(folder, true, QString());
    } catch (const std::exception &e) {
        recordingFailed(e);
    }
}

void TrainingWorker::recordingFailed(const std::exception &e)
{
    // The run goes on; only its record stops (the folder keeps what was written).
    const QString folder = recorder_ ? QString::fromStdString(recorder_->folder()) : QString();
    recorder_.reset();
    Q_EMIT runRecorded(folder, true, describe(e, "while recording the run"));
}

void TrainingWorker::requestQuit()
{
    {
        std::lock_guard lock(mutex_);
        quit_ = true;
        running_ = false;
    }
    wake_.notify_one();
}

void TrainingWorker::run()
{
    // Nothing may escape this function: an exception leaving a thread's body ends the process.
    // Every failure ends the run with a message instead (runEnded, EndReason::Error).
    try {
        if (!baseData_)
            baseData_ = std::make_shared<const DataSplit>(loadEmbeddedMnist());
        announceData();
        rebuild();
    } catch (const std::exception &e) {
        fail(describe(e, "while preparing the run"));
    } catch (...) {
        fail(tr("unexpected error while preparing the run"));
    }

    while (true) {
        std::optional<RunConfig> reset;
        std::shared_ptr<const Checkpoint> restore;
        std::optional<std::shared_ptr<const DataSplit>> newData;
        std::optional<LiveConfig> live;
        bool step = false, republish = false;
        int runFor = 0;
        bool held = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return quit_ || mailPending_ || running_ || pendingSteps_ > 0; });
            if (quit_)
                break;
            if (mailPending_) {
                reset.swap(pendingReset_);
                restore.swap(pendingRestore_);
                newData.swap(pendingData_);
                live.swap(pendingLive_);
                republish = true;
                mailPending_ = false;
                runFor = pendingRunFor_;
                held = pendingHeld_;
                pendingRunFor_ = 0;
                if (reset)
                    generation_ = pendingGeneration_;
            }
            if (!running_ && pendingSteps_ > 0) {
                --pendingSteps_;
                step = true;
            }
        }
        try {
            serve(reset, restore, newData, live, step, republish, runFor, held);
        } catch (const std::exception &e) {
            fail(describe(e, "while training"));
        } catch (...) {
            fail(tr("unexpected error while training"));
        }
    }
    endRecording(RunState::Stopped, QStringLiteral("the app was closed"), true);
    trainer_.reset(); // joins the trainer's pool in this thread
}

void TrainingWorker::fail(const QString &message)
{
    // The network may be half built or half updated: none is left to go on with.
    endRecording(RunState::Failed, message, false);
    trainer_.reset();
    running_ = false;
    pauseAtStep_ = -1;
    Q_EMIT runEnded(generation_, EndReason::Error, message);
}

void TrainingWorker::serve(std::optional<RunConfig> &reset, std::shared_ptr<const Checkpoint> &restore,
                           std::optional<std::shared_ptr<const DataSplit>> &newData, std::optional<LiveConfig> &live,
                           bool step, bool republish, int runFor, bool held)
{
    if (newData) {
        try {
            baseData_ = *newData ? *newData : std::make_shared<const DataSplit>(loadEmbeddedMnist());
            announceData();
        } catch (const std::exception &e) {
            fail(describe(e, "while loading the data set"));
            return;
        }
    }
    if (reset) {
        config_ = *reset;
        try {
            rebuild(restore.get());
        } catch (const std::exception &e) {
            fail(describe(e, "while building the network"));
            return;
        }
    }
    if (live && trainer_) {
        OptimizerConfig optimizer = trainer_->config().optimizer;
        optimizer.learningRate = live->learningRate;
        trainer_->setLiveConfig(live->batchSize, optimizer);
        config_.training.batchSize = live->batchSize;
        config_.training.optimizer.learningRate = live->learningRate;
        if (recorder_) {
            recorder_->setBatchesPerEpoch(trainer_->batchesPerEpoch());
            try {
                recorder_->settingsChanged(trainer_->epoch()
                                               + static_cast<double>(trainer_->cursor()) / std::max(1, trainer_->epochSize()),
                                           live->batchSize, live->learningRate);
            } catch (const std::exception &e) {
                recordingFailed(e);
            }
        }
    }
    saveRequested();
    if (!trainer_) {
        running_ = false;
        return;
    }
    if (runFor > 0) {
        pauseAtStep_ = trainer_->optimizer().stepCount() + runFor;
        heldAtTarget_ = held;
        running_ = true;
    }
    if (running_ || step) {
        trainOneBatch();
        const long long pauseAt = pauseAtStep_;
        if (running_ && pauseAt >= 0 && trainer_ && trainer_->optimizer().stepCount() >= pauseAt) {
            running_ = false;
            pauseAtStep_ = -1;
            if (heldAtTarget_) {
                // A hold: the views stay live, so the metrics (steps, samples, times) are enough.
                heldAtTarget_ = false;
                publish({});
                Q_EMIT stepDone(generation_);
                return;
            }
            step = true;
        }
        if (step && trainer_) {
            publish({true, true, true, false});
            recordCurrent();
            Q_EMIT stepDone(generation_);
        }
    } else if (republish && !reset) {
        publish({true, true, true, false});
        recordCurrent();
    }
}

void TrainingWorker::rebuild(const Checkpoint *restoreFrom)
{
    endRecording(RunState::Stopped, QStringLiteral("a new run replaced it"), true);
    recordingTried_ = false;
    trainer_.reset();
    if (!baseData_)
        baseData_ = std::make_shared<const DataSplit>(loadEmbeddedMnist());
    if (restoreFrom && restoreFrom->network.inputSize() != baseData_->train.pixelCount())
        throw CheckpointError("the checkpoint's network takes " + std::to_string(restoreFrom->network.inputSize())
                              + " inputs but the images of " + baseData_->source + " have "
                              + std::to_string(baseData_->train.pixelCount()) + " pixels");
    // The settings and the memory are checked before anything is built: whichever door they
    // came through (panel, session, checkpoint), an absurd value or a network beyond this
    // machine ends the run with the reason instead of taking the process down.
    if (const std::string p = networkConfigProblem(config_.network); !p.empty())
        throw std::runtime_error("settings refused: " + p);
    if (const std::string p = trainConfigProblem(config_.training); !p.empty())
        throw std::runtime_error("settings refused: " + p);
    requireMemory(trainingMemoryBytes(config_.network.layerSizes, config_.network.bias),
                  layerSizesToString(config_.network.layerSizes) + ": training this network");
    data_ = limitedSplit(baseData_, config_.trainLimit, config_.testLimit);
    trainer_ = std::make_unique<Trainer>(config_.network, config_.training, data_);
    if (restoreFrom)
        restoreTrainer(*trainer_, *restoreFrom);
    runStamp_ = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz"));
    unpublished_.clear();
    rateSamples_ = rateSeconds_ = samplesPerSecond_ = 0;
    runSamples_ = 0;
    runSeconds_ = 0;
    trainSeconds_ = 0;
    sampleIndex_ = 0;
    const auto now = Clock::now();
    lastMetrics_ = lastWeights_ = lastSample_ = lastSampleChange_ = lastActivity_ = now;
    if (history_) {
        const int batches = (trainer_->epochSize() + std::max(1, config_.training.batchSize) - 1)
            / std::max(1, config_.training.batchSize);
        history_->reset(generation_, data_, batches);
        const int epochs = static_cast<int>(trainer_->history().size());
        history_->record(std::as_const(*trainer_).network(), trainer_->optimizer().stepCount(), static_cast<double>(trainer_->epoch()),
                         epochs, epochs > 0);
    }
    publish({true, true, true, false});
}

void TrainingWorker::recordCurrent()
{
    if (!history_ || !trainer_)
        return;
    const long long step = trainer_->optimizer().stepCount();
    const double position = trainer_->epoch() + static_cast<double>(trainer_->cursor()) / std::max(1, trainer_->epochSize());
    history_->setCurrent(std::as_const(*trainer_).network(), step, position, static_cast<int>(trainer_->history().size()));
}

void TrainingWorker::trainOneBatch()
{
    if (trainer_->finished()) {
        running_ = false;
        Q_EMIT runEnded(generation_, EndReason::Finished, QString::fromStdString(trainer_->stopReason()));
        return;
    }
    if (!recordingTried_)
        startRecording();
    const auto start = Clock::now();
    BatchResult result;
    try {
        result = trainer_->trainBatch();
        trainSeconds_ += seconds(start, Clock::now());
    } catch (const DivergenceError &e) {
        running_ = false;
        endRecording(RunState::Failed, QString::fromStdString(e.what()), true);
        publish({true, true, true, false});
        Q_EMIT runEnded(generation_, EndReason::Diverged, QString::fromStdString(e.what()));
        return;
    } catch (const std::exception &e) {
        running_ = false;
        endRecording(RunState::Failed, describe(e, "while training a mini-batch"), false);
        Q_EMIT runEnded(generation_, EndReason::Error, describe(e, "while training a mini-batch"));
        return;
    }
    if (result.samples > 0) {
        BatchPoint p;
        p.step = trainer_->optimizer().stepCount();
        p.epochPosition = trainer_->epoch() + static_cast<double>(trainer_->cursor()) / std::max(1, trainer_->epochSize());
        p.loss = result.loss;
        p.accuracy = static_cast<double>(result.correct) / result.samples;
        unpublished_.push_back(p);
        if (recorder_)
            recorder_->addBatch(p.step, p.epochPosition, p.loss, p.accuracy);
        if (history_ && history_->wantsStep(p.step, static_cast<int>(trainer_->history().size())))
            history_->record(std::as_const(*trainer_).network(), p.step, p.epochPosition, static_cast<int>(trainer_->history().size()),
                             false);
    }
    runSamples_ += result.samples;
    rateSamples_ += result.samples;

    const auto now = Clock::now();
    if (trainer_->epochComplete()) {
        publish({}, true);
        runSeconds_ += seconds(start, Clock::now());
        rateSeconds_ += seconds(start, Clock::now());
        trainer_->finishEpoch(); // validation and test evaluation
        if (history_)
            history_->record(std::as_const(*trainer_).network(), trainer_->optimizer().stepCount(),
                             static_cast<double>(trainer_->history().size()),
                             static_cast<int>(trainer_->history().size()), true);
        autosave();
        if (recorder_) {
            try {
                recorder_->epochEnded(*trainer_);
            } catch (const std::exception &e) {
                recordingFailed(e);
            }
        }
        const bool done = trainer_->finished();
        if (done) {
            trainer_->finalize();
            running_ = false;
            recordCurrent(); // the restored best-validation weights, if they differ
            endRecording(RunState::Complete, QString::fromStdString(trainer_->stopReason()), true);
        }
        publish({true, true, true, done});
        if (done)
            Q_EMIT runEnded(generation_, EndReason::Finished, QString::fromStdString(trainer_->stopReason()));
        return;
    }
    Publication what;
    const double shown = shownPeriod_;
    what.weights = seconds(lastWeights_, now) >= std::max(kWeightsPeriod, shown);
    what.sample = seconds(lastSample_, now) >= std::max(kSamplePeriod, shown);
    what.activity = seconds(lastActivity_, now) >= kActivityPeriod;
    if (what.weights || what.sample || what.activity || seconds(lastMetrics_, now) >= kMetricsPeriod)
        publish(what);
    const double elapsed = seconds(start, Clock::now());
    runSeconds_ += elapsed;
    rateSeconds_ += elapsed;
}

std::vector<int> TrainingWorker::watchedNeurons() const
{
    const int layerSize = std::as_const(*trainer_).network().fanOut(0);
    const int count = std::min(watchedCount_.load(), layerSize);
    std::vector<int> neurons(count);
    for (int i = 0; i < count; ++i)
        neurons[i] = i;
    return neurons;
}

std::shared_ptr<const WeightTiles> TrainingWorker::makeWeightTiles() const
{
    auto tiles = std::make_shared<WeightTiles>();
    const SpikeNetwork &net = std::as_const(*trainer_).network();
    const Matrix &w = net.weights(0); // (pre, post), bias row last
    const int fanIn = net.fanIn(0);
    tiles->rows = data_->train.rows;
    tiles->cols = data_->train.cols;
    tiles->layerSize = net.fanOut(0);
    tiles->neurons = watchedNeurons();
    tiles->threshold = net.config().threshold;
    tiles->step = trainer_->optimizer().stepCount();
    const int pixels = tiles->rows * tiles->cols;
    const int n = static_cast<int>(tiles->neurons.size());
    tiles->weights.resize(static_cast<std::size_t>(n) * pixels);
    std::vector<float> magnitudes;
    magnitudes.reserve(tiles->weights.size());
    for (int t = 0; t < n; ++t) {
        const int j = tiles->neurons[t];
        double sum = 0;
        for (int p = 0; p < fanIn; ++p) {
            const double v = w(p, j);
            sum += v;
            if (p < pixels) {
                tiles->weights[static_cast<std::size_t>(t) * pixels + p] = static_cast<float>(v);
                magnitudes.push_back(static_cast<float>(std::abs(v)));
            }
        }
        const bool bias = net.config().bias;
        const double b = bias ? w(fanIn, j) : std::nan("");
        if (bias)
            sum += b;
        tiles->biasWeight.push_back(b);
        tiles->weightSum.push_back(sum);
    }
    // Colour scale: the 99.5th percentile of |w|, so one outlier does not wash out the maps.
    if (!magnitudes.empty()) {
        const std::size_t k = std::min(magnitudes.size() - 1, static_cast<std::size_t>(0.995 * magnitudes.size()));
        std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<std::ptrdiff_t>(k), magnitudes.end());
        tiles->absMax = magnitudes[k];
    }
    return tiles;
}

std::shared_ptr<const NeuronActivity> TrainingWorker::makeActivity() const
{
    auto activity = std::make_shared<NeuronActivity>();
    const SpikeNetwork &net = std::as_const(*trainer_).network();
    const Dataset &probe = data_->test.size() > 0 ? data_->test : data_->train;
    const int samples = std::min(kProbeSamples, probe.size());
    const int layerSize = net.fanOut(0);
    std::vector<int> fired(layerSize, 0);
    std::vector<double> timeSum(layerSize, 0.0);
    long long silent = 0;
    ForwardPass pass;
    for (int i = 0; i < samples; ++i) {
        net.forward(probe.image(i), pass);
        const Vector &z = pass.layers[0].spikeZ;
        for (int j = 0; j < layerSize; ++j) {
            if (std::isinf(z[j])) {
                ++silent;
            } else {
                ++fired[j];
                timeSum[j] += std::log(z[j]);
            }
        }
    }
    activity->probeSamples = samples;
    activity->neurons = watchedNeurons();
    for (int j : activity->neurons) {
        activity->firingFraction.push_back(samples ? static_cast<double>(fired[j]) / samples : 0.0);
        activity->meanSpikeTime.push_back(fired[j] ? timeSum[j] / fired[j] : std::nan(""));
    }
    activity->layerSilentFraction = samples ? static_cast<double>(silent) / (static_cast<double>(samples) * layerSize) : 0.0;
    activity->step = trainer_->optimizer().stepCount();
    return activity;
}

std::shared_ptr<const SampleRecord> TrainingWorker::makeSample() const
{
    auto record = std::make_shared<SampleRecord>();
    const Dataset &set = data_->test.size() > 0 ? data_->test : data_->train;
    if (set.size() == 0)
        return record;
    const SpikeNetwork &net = std::as_const(*trainer_).network();
    const int index = sampleIndex_ % set.size();
    ForwardPass pass;
    net.forward(set.image(index), pass);
    record->testIndex = index;
    record->label = set.labels[index];
    record->predicted = pass.predictedClass();
    record->rows = set.rows;
    record->cols = set.cols;
    record->pixels.assign(set.image(index), set.image(index) + set.pixelCount());
    auto times = [](const Vector &z) {
        std::vector<double> t(z.size());
        for (Eigen::Index j = 0; j < z.size(); ++j)
            t[j] = std::isinf(z[j]) ? std::numeric_limits<double>::infinity() : std::log(z[j]);
        return t;
    };
    record->outputTimes = times(pass.layers.back().spikeZ);
    if (pass.layers.size() > 1)
        record->hiddenTimes = times(pass.layers.front().spikeZ);
    record->maxSpikeTime = net.config().maxSpikeTime;
    record->step = trainer_->optimizer().stepCount();
    return record;
}

void TrainingWorker::publish(Publication what, bool evaluating)
{
    auto snapshot = std::make_shared<TrainingSnapshot>();
    const auto now = Clock::now();
    if (rateSeconds_ >= 0.5) {
        samplesPerSecond_ = rateSamples_ / rateSeconds_;
        rateSamples_ = rateSeconds_ = 0;
    }
    snapshot->generation = generation_;
    snapshot->epochsCompleted = static_cast<int>(trainer_->history().size());
    snapshot->epochs = trainer_->config().epochs;
    snapshot->cursor = trainer_->cursor();
    snapshot->epochSize = trainer_->epochSize();
    snapshot->testSize = data_->test.size();
    snapshot->step = trainer_->optimizer().stepCount();
    snapshot->batchSize = trainer_->config().batchSize;
    snapshot->learningRate = trainer_->optimizer().currentLearningRate();
    snapshot->samplesPerSecond = samplesPerSecond_;
    snapshot->runSamples = runSamples_;
    snapshot->runSeconds = runSeconds_;
    snapshot->trainSeconds = trainSeconds_;
    snapshot->evaluating = evaluating;
    snapshot->runFinished = what.runFinished;
    snapshot->newBatches.swap(unpublished_);
    snapshot->history = trainer_->history();
    if (what.weights) {
        snapshot->weights = makeWeightTiles();
        lastWeights_ = now;
    }
    if (what.activity) {
        snapshot->activity = makeActivity();
        lastActivity_ = now;
    }
    if (what.sample) {
        if (seconds(lastSampleChange_, now) >= kSampleChangePeriod) {
            ++sampleIndex_;
            lastSampleChange_ = now;
        }
        snapshot->sample = makeSample();
        lastSample_ = now;
    }
    lastMetrics_ = now;
    Q_EMIT snapshotReady(snapshot);
}

} // namespace firstspike
