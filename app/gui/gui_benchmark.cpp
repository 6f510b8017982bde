#include "app/gui/gui_benchmark.h"

#include "ui/window/MainWindow.h"
#include "ui/window/FrameBudget.h"
#include "ui/window/StallMonitor.h"
#include "core/benchmark/Throughput.h"
#include "core/common/MemoryBudget.h"
#include "core/training/Trainer.h"
#include "ui/training/TrainingController.h"
#include "ui/training/TrainingWorker.h"

#include <QApplication>
#include <QFutureWatcher>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <new>

namespace firstspike {

GuiBenchmark::GuiBenchmark(MainWindow &window, int epochs, QObject *parent)
    : QObject(parent)
    , window_(window)
    , epochs_(std::max(1, epochs))
    , stalls_(new StallMonitor(10, this))
{
}

GuiBenchmark::~GuiBenchmark()
{
    // The window can close (and take this object with it) while a headless epoch still runs.
    if (headlessRun_.isValid())
        headlessRun_.waitForFinished();
}

void GuiBenchmark::start()
{
    TrainingController *controller = window_.controller();
    connect(controller, &TrainingController::errorOccurred, this, &GuiBenchmark::fail);
    connect(controller, &TrainingController::stepsDone, this, [this](long long) {
        if (done_)
            return;
        stalls_->stop();
        guiSeconds_ += guiWall_.elapsed() / 1000.0;
        guiCpuSeconds_ += FrameBudget::threadCpuSeconds() - guiCpuStart_;
        frames_ += window_.framesRendered() - framesStart_;
        snapshots_ += window_.snapshotsReceived() - snapshotsStart_;
        // Let the slice's last snapshot reach the window, then read its counters.
        QTimer::singleShot(3 * FrameBudget::kSlowestMs, this, &GuiBenchmark::onGuiSliceDone);
    });
    if (controller->data())
        begin();
    else
        connect(controller, &TrainingController::dataLoaded, this, [this] { begin(); });
}

void GuiBenchmark::begin()
{
    if (begun_)
        return;
    begun_ = true;
    const TrainingController *controller = window_.controller();
    const RunConfig &config = controller->config();
    if (config.training.epochs <= epochs_) {
        fail(QStringLiteral("the run must be longer than the benchmark (epochs %1 <= %2)").arg(config.training.epochs).arg(epochs_));
        return;
    }
    try {
        // A second trainer of the same network next to the GUI's: counted before it is built.
        requireMemory(trainingMemoryBytes(config.network.layerSizes, config.network.bias),
                      layerSizesToString(config.network.layerSizes) + ": the headless trainer");
        headless_ = std::make_unique<Trainer>(config.network, config.training,
                                              limitedSplit(controller->data(), config.trainLimit, config.testLimit));
    } catch (const std::bad_alloc &) { // no exception text reaches the user
        fail(QStringLiteral("out of memory while building the headless trainer"));
        return;
    } catch (const std::exception &e) {
        fail(QString::fromStdString(e.what()));
        return;
    }
    const int batch = std::max(1, config.training.batchSize);
    const int batchesPerEpoch = (headless_->epochSize() + batch - 1) / batch;
    totalBatches_ = static_cast<long long>(batchesPerEpoch) * epochs_;
    sliceBatches_ = std::clamp(1000 / batch, 1, batchesPerEpoch);
    std::printf("firstspike GUI benchmark: %s, %d epoch(s) in slices of %d mini-batches of %d; each slice trained with "
                "every view open, then by an identical headless trainer (the CLI's code path) in this process; %d "
                "trainer threads\n",
                layerSizesToString(config.network.layerSizes).c_str(), epochs_, sliceBatches_, batch,
                headless_->threadCount());
    std::fflush(stdout);
    runGuiSlice();
}

void GuiBenchmark::runGuiSlice()
{
    const SnapshotPtr s = window_.latestSnapshot();
    startSamples_ = s ? s->runSamples : 0;
    startTrainSeconds_ = s ? s->trainSeconds : 0.0;
    startLoopSeconds_ = s ? s->runSeconds : 0.0;
    framesStart_ = window_.framesRendered();
    snapshotsStart_ = window_.snapshotsReceived();
    if (slices_.empty())
        stalls_->start();
    else
        stalls_->resume();
    guiCpuStart_ = FrameBudget::threadCpuSeconds();
    guiWall_.start();
    window_.controller()->trainStepsHeld(static_cast<int>(std::min<long long>(sliceBatches_, totalBatches_ - batchesDone_)));
}

void GuiBenchmark::onGuiSliceDone()
{
    if (done_)
        return;
    const SnapshotPtr s = window_.latestSnapshot();
    const long long batches = std::min<long long>(sliceBatches_, totalBatches_ - batchesDone_);
    if (!s || s->step != batchesDone_ + batches) {
        fail(QStringLiteral("the GUI run did not stop after mini-batch %1 as asked").arg(batchesDone_ + batches));
        return;
    }
    current_ = {};
    current_.samples = s->runSamples - startSamples_;
    current_.guiTrainSeconds = s->trainSeconds - startTrainSeconds_;
    current_.guiLoopSeconds = s->runSeconds - startLoopSeconds_;
    batchesDone_ += batches;
    runHeadlessSlice();
}

void GuiBenchmark::runHeadlessSlice()
{
    auto *watcher = new QFutureWatcher<HeadlessSlice>(this);
    connect(watcher, &QFutureWatcher<HeadlessSlice>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const HeadlessSlice result = watcher->result();
        if (!result.error.empty()) {
            fail(QStringLiteral("headless trainer: %1").arg(QString::fromStdString(result.error)));
            return;
        }
        if (result.samples != current_.samples) {
            fail(QStringLiteral("the headless trainer trained %1 samples where the GUI trained %2")
                     .arg(result.samples)
                     .arg(current_.samples));
            return;
        }
        current_.headlessSeconds = result.seconds;
        slices_.push_back(current_);
        if (batchesDone_ < totalBatches_)
            runGuiSlice();
        else
            finish();
    });
    Trainer *trainer = headless_.get();
    const long long stepTarget = batchesDone_;
    headlessRun_ = QtConcurrent::run([trainer, stepTarget] {
        HeadlessSlice result;
        try {
            // As the GUI worker: the epoch-end evaluation runs between mini-batches, untimed.
            while (trainer->optimizer().stepCount() < stepTarget) {
                if (trainer->epochComplete())
                    trainer->finishEpoch();
                const auto t0 = std::chrono::steady_clock::now();
                const BatchResult r = trainer->trainBatch();
                result.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                result.samples += r.samples;
            }
            if (trainer->epochComplete())
                trainer->finishEpoch();
        } catch (const std::bad_alloc &) { // nothing escapes the task, and no "std::bad_alloc" text
            result.error = "out of memory while training a headless slice";
        } catch (const std::exception &e) { // e.g. DivergenceError: its message, not Qt's wrapper
            result.error = e.what();
        } catch (...) {
            result.error = "an unknown error stopped a headless slice";
        }
        return result;
    });
    watcher->setFuture(headlessRun_);
}

void GuiBenchmark::finish()
{
    done_ = true;
    std::vector<double> trainRatios, loopRatios;
    Slice total;
    for (const Slice &s : slices_) {
        // Ratio of throughputs = inverse ratio of times for the same samples.
        trainRatios.push_back(s.headlessSeconds / s.guiTrainSeconds);
        loopRatios.push_back(s.headlessSeconds / s.guiLoopSeconds);
        total.samples += s.samples;
        total.guiTrainSeconds += s.guiTrainSeconds;
        total.guiLoopSeconds += s.guiLoopSeconds;
        total.headlessSeconds += s.headlessSeconds;
    }
    std::vector<double> sorted = trainRatios;
    std::sort(sorted.begin(), sorted.end());
    auto quantile = [&](double q) { return sorted[static_cast<std::size_t>(q * (sorted.size() - 1) + 0.5)]; };
    std::printf("%zu slices, %lld samples each way: headless %.0f samples/s; GUI %.0f samples/s (trainer's batch time), "
                "%.0f samples/s (worker loop with snapshots)\n",
                slices_.size(), total.samples, total.samples / total.headlessSeconds,
                total.samples / total.guiTrainSeconds, total.samples / total.guiLoopSeconds);
    std::printf("GUI / headless, trainer's batch time: median of slices %.3f (quartiles %.3f-%.3f), pooled %.3f\n",
                median(trainRatios), quantile(0.25), quantile(0.75), total.headlessSeconds / total.guiTrainSeconds);
    std::printf("GUI / headless, worker loop with snapshots: median of slices %.3f, pooled %.3f\n", median(loopRatios),
                total.headlessSeconds / total.guiLoopSeconds);
    std::printf("GUI thread during the GUI slices: max gap %.1f ms between 10 ms ticks, mean %.1f ms, %lld gaps > 50 ms of "
                "%lld; %lld snapshots, %lld view refreshes in %.1f s (%.1f fps); CPU time %.2f s (%.0f %% of one core)\n",
                stalls_->maxGapMs(), stalls_->meanGapMs(), stalls_->gapsOver50(), stalls_->ticks(), snapshots_, frames_,
                guiSeconds_, frames_ / std::max(1e-3, guiSeconds_), guiCpuSeconds_,
                100 * guiCpuSeconds_ / std::max(1e-3, guiSeconds_));
    std::fflush(stdout);
    exitCode_ = 0;
    window_.close();
    QApplication::quit();
}

void GuiBenchmark::fail(const QString &message)
{
    if (done_)
        return;
    done_ = true;
    std::fprintf(stderr, "firstspike: benchmark: %s\n", qPrintable(message));
    exitCode_ = 1;
    window_.close();
    QApplication::quit();
}

} // namespace firstspike
