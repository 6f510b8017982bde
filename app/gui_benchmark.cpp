#include "gui_benchmark.h"

#include "MainWindow.h"
#include "StallMonitor.h"
#include "Throughput.h"
#include "Trainer.h"
#include "TrainingController.h"
#include "TrainingWorker.h"

#include <QApplication>
#include <QFutureWatcher>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace firstspike {

namespace {

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

} // namespace

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
        guiCpuSeconds_ += threadCpuSeconds() - guiCpuStart_;
        frames_ += window_.framesRendered() - framesStart_;
        snapshots_ += window_.snapshotsReceived() - snapshotsStart_;
        // Let the epoch's last snapshot reach the window, then read its metrics.
        QTimer::singleShot(3 * MainWindow::kRefreshMs, this, &GuiBenchmark::onGuiEpochDone);
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
        headless_ = std::make_unique<Trainer>(config.network, config.training,
                                              limitedSplit(controller->data(), config.trainLimit, config.testLimit));
    } catch (const std::exception &e) {
        fail(QString::fromStdString(e.what()));
        return;
    }
    const int batch = std::max(1, config.training.batchSize);
    batchesPerEpoch_ = (headless_->epochSize() + batch - 1) / batch;
    std::printf("firstspike GUI benchmark: %s, %d epoch(s) with every view open, each followed by the same epoch of an "
                "identical headless trainer (the CLI's code path) in this process; %d trainer threads\n",
                layerSizesToString(config.network.layerSizes).c_str(), epochs_, headless_->threadCount());
    std::fflush(stdout);
    runGuiEpoch();
}

void GuiBenchmark::runGuiEpoch()
{
    framesStart_ = window_.framesRendered();
    snapshotsStart_ = window_.snapshotsReceived();
    if (round_ == 0)
        stalls_->start();
    else
        stalls_->resume();
    guiCpuStart_ = threadCpuSeconds();
    guiWall_.start();
    window_.controller()->trainSteps(batchesPerEpoch_);
}

void GuiBenchmark::onGuiEpochDone()
{
    if (done_)
        return;
    const SnapshotPtr s = window_.latestSnapshot();
    if (!s || static_cast<int>(s->history.size()) != round_ + 1) {
        fail(QStringLiteral("the GUI run did not end epoch %1 where expected").arg(round_ + 1));
        return;
    }
    gui_.push_back(s->history.back().samplesPerSecond);
    runHeadlessEpoch();
}

void GuiBenchmark::runHeadlessEpoch()
{
    auto *watcher = new QFutureWatcher<HeadlessEpoch>(this);
    connect(watcher, &QFutureWatcher<HeadlessEpoch>::finished, this, [this, watcher] {
        watcher->deleteLater();
        const HeadlessEpoch result = watcher->result();
        if (!result.error.empty()) {
            fail(QStringLiteral("headless trainer: %1").arg(QString::fromStdString(result.error)));
            return;
        }
        headlessRates_.push_back(result.samplesPerSecond);
        std::printf("epoch %d: GUI %.0f samples/s, headless %.0f samples/s, ratio %.3f\n", round_ + 1, gui_.back(),
                    result.samplesPerSecond, gui_.back() / result.samplesPerSecond);
        std::fflush(stdout);
        if (++round_ < epochs_)
            runGuiEpoch();
        else
            finish();
    });
    Trainer *trainer = headless_.get();
    headlessRun_ = QtConcurrent::run([trainer] {
        HeadlessEpoch result;
        try {
            while (!trainer->epochComplete())
                trainer->trainBatch();
            trainer->finishEpoch();
            result.samplesPerSecond = trainer->history().back().samplesPerSecond;
        } catch (const std::exception &e) { // e.g. DivergenceError: its message, not Qt's wrapper
            result.error = e.what();
        }
        return result;
    });
    watcher->setFuture(headlessRun_);
}

void GuiBenchmark::finish()
{
    done_ = true;
    std::vector<double> ratios;
    for (std::size_t i = 0; i < gui_.size(); ++i)
        ratios.push_back(gui_[i] / headlessRates_[i]);
    const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
    std::printf("training samples/s (the trainer's own batch time): GUI median %.0f, headless median %.0f; "
                "GUI / headless per epoch: median %.3f (range %.3f-%.3f)\n",
                median(gui_), median(headlessRates_), median(ratios), *lo, *hi);
    std::printf("GUI thread during the GUI epochs: max gap %.1f ms between 10 ms ticks, mean %.1f ms, %lld gaps > 50 ms of "
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
