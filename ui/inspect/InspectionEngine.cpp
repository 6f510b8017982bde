#include "ui/inspect/InspectionEngine.h"

#include "core/common/MemoryBudget.h"
#include "core/data/Dataset.h"
#include "core/files/SafeFile.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <exception>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

namespace firstspike {

namespace {

// What reaches the user from a failed task: one line, never "std::bad_alloc".
QString describe(const std::exception &e, const QString &what)
{
    if (dynamic_cast<const std::bad_alloc *>(&e))
        return QStringLiteral("%1: not enough memory (%2 available)")
            .arg(what, QString::fromStdString(formatBytes(availableMemoryBytes())));
    const QString text = QString::fromStdString(e.what()).trimmed();
    return text.isEmpty() ? QStringLiteral("%1: failed").arg(what) : text;
}

} // namespace

std::uint64_t InspectionEngine::outputTimingBytes(const NetworkConfig &network, int samples)
{
    const std::uint64_t classes = static_cast<std::uint64_t>(std::max(0, network.outputSize()));
    const std::uint64_t n = static_cast<std::uint64_t>(std::max(0, samples));
    // Grids: time sums and means (double), fired counts (int); confusion (int, one more column).
    const std::uint64_t cells = saturatingMul(classes, classes);
    std::uint64_t bytes = saturatingMul(cells, 2 * sizeof(double) + sizeof(int));
    bytes = saturatingAdd(bytes, saturatingMul(saturatingMul(classes, classes + 1), sizeof(int)));
    // Per sample: the output times of every neuron, label, prediction, decision time, margin,
    // hidden spikes before the decision.
    bytes = saturatingAdd(bytes, saturatingMul(saturatingMul(n, classes), sizeof(double)));
    bytes = saturatingAdd(bytes, saturatingMul(n, 3 * sizeof(int) + 2 * sizeof(double)));
    return bytes;
}

void InspectionEngine::requireOutputTimingMemory(const NetworkConfig &network, int samples)
{
    // computeOutputTiming indexes its grids with int: classes x (classes + 1) must fit.
    const long long classes = std::max(0, network.outputSize());
    if (classes * (classes + 1) > std::numeric_limits<int>::max())
        throw ResourceError(layerSizesToString(network.layerSizes) + ": the output timing of "
                            + std::to_string(classes) + " output neurons is too large to compute");
    requireMemory(outputTimingBytes(network, samples), layerSizesToString(network.layerSizes) + ": the output timing");
}

InspectionEngine::InspectionEngine(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<firstspike::SampleInspectionPtr>();
    qRegisterMetaType<firstspike::TimingStatisticsPtr>();
    samplePool_.setMaxThreadCount(1);
    statisticsPool_.setMaxThreadCount(1);
}

InspectionEngine::~InspectionEngine()
{
    samplePool_.waitForDone();
    statisticsPool_.waitForDone();
}

SampleInspectionPtr InspectionEngine::inspect(const HistoryEntryPtr &entry, const DataSplit &data, int sampleIndex)
{
    auto out = std::make_shared<SampleInspection>();
    const Dataset &set = data.test;
    if (!entry || !entry->network || sampleIndex < 0 || sampleIndex >= set.size())
        return out;
    out->sampleIndex = sampleIndex;
    out->entry = entry;
    out->label = set.labels[static_cast<std::size_t>(sampleIndex)];
    out->rows = set.rows;
    out->cols = set.cols;
    out->pixels.assign(set.image(sampleIndex), set.image(sampleIndex) + set.pixelCount());
    entry->network->forward(set.image(sampleIndex), out->pass);
    out->predicted = out->pass.predictedClass();
    return out;
}

SampleInspectionPtr InspectionEngine::inspectPixels(const HistoryEntryPtr &entry, const std::vector<std::uint8_t> &pixels,
                                                   int rows, int cols, quint64 revision)
{
    auto out = std::make_shared<SampleInspection>();
    out->sampleIndex = SampleInspection::kDrawnSample;
    out->drawnRevision = revision;
    if (!entry || !entry->network)
        return out;
    const int inputs = entry->network->config().inputSize();
    if (rows * cols != inputs || static_cast<int>(pixels.size()) != rows * cols)
        throw std::invalid_argument(QStringLiteral("the drawn digit has %1x%2 pixels; this network takes %3 inputs")
                                        .arg(rows)
                                        .arg(cols)
                                        .arg(inputs)
                                        .toStdString());
    out->entry = entry;
    out->rows = rows;
    out->cols = cols;
    out->pixels = pixels;
    entry->network->forward(out->pixels.data(), out->pass);
    out->predicted = out->pass.predictedClass();
    return out;
}

void InspectionEngine::requestPixels(HistoryEntryPtr entry, std::vector<std::uint8_t> pixels, int rows, int cols, quint64 revision)
{
    if (!entry)
        return;
    Request r{std::move(entry), nullptr, SampleInspection::kDrawnSample,
              std::make_shared<const std::vector<std::uint8_t>>(std::move(pixels)), rows, cols, revision};
    if (sampleRunning_) {
        pendingSample_ = std::move(r);
        return;
    }
    startSample(std::move(r));
}

void InspectionEngine::requestSample(HistoryEntryPtr entry, std::shared_ptr<const DataSplit> data, int sampleIndex)
{
    if (!entry || !data)
        return;
    Request r{std::move(entry), std::move(data), sampleIndex, nullptr, 0, 0, 0};
    if (sampleRunning_) {
        pendingSample_ = std::move(r);
        return;
    }
    startSample(std::move(r));
}

void InspectionEngine::startSample(Request request)
{
    sampleRunning_ = true;
    const int index = request.sampleIndex;
    using Result = Outcome<SampleInspectionPtr>;
    auto *watcher = new QFutureWatcher<Result>(this);
    connect(watcher, &QFutureWatcher<Result>::finished, this, [this, watcher, index] {
        const Result outcome = watcher->result();
        const SampleInspectionPtr result = outcome.value;
        watcher->deleteLater();
        sampleRunning_ = false;
        if (pendingSample_) {
            Request next = std::move(*pendingSample_);
            pendingSample_.reset();
            startSample(std::move(next)); // the newest wins; this result is stale
            return;
        }
        if (!outcome.error.isEmpty())
            Q_EMIT sampleFailed(index, outcome.error);
        else
            Q_EMIT sampleReady(result);
    });
    // Exceptions are caught in the task: one escaping a QtConcurrent task is rethrown by
    // result() as QUnhandledException, in the GUI thread.
    watcher->setFuture(QtConcurrent::run(&samplePool_, [r = std::move(request)]() -> Result {
        try {
            if (r.pixels)
                return {inspectPixels(r.entry, *r.pixels, r.rows, r.cols, r.revision), {}};
            return {inspect(r.entry, *r.data, r.sampleIndex), {}};
        } catch (const std::exception &e) {
            return {nullptr, describe(e, r.pixels ? QStringLiteral("the drawn digit") : QStringLiteral("test digit %1").arg(r.sampleIndex))};
        } catch (...) {
            return {nullptr, r.pixels ? QStringLiteral("the drawn digit: unexpected error")
                                      : QStringLiteral("test digit %1: unexpected error").arg(r.sampleIndex)};
        }
    }));
}

TimingStatisticsPtr InspectionEngine::cachedStatistics(quint64 entryId) const
{
    const auto it = statistics_.find(entryId);
    return it == statistics_.end() ? nullptr : it->second;
}

void InspectionEngine::clearCache()
{
    statistics_.clear();
}

void InspectionEngine::requestStatistics(HistoryEntryPtr entry, std::shared_ptr<const DataSplit> data)
{
    if (!entry || !data)
        return;
    if (TimingStatisticsPtr cached = cachedStatistics(entry->id)) {
        pendingStatistics_.reset();
        Q_EMIT statisticsReady(entry->id, cached);
        return;
    }
    Request r{std::move(entry), std::move(data), 0, nullptr, 0, 0, 0};
    if (statisticsRunning_) {
        if (r.entry->id != runningStatisticsId_)
            pendingStatistics_ = std::move(r);
        else
            pendingStatistics_.reset();
        return;
    }
    startStatistics(std::move(r));
}

void InspectionEngine::startStatistics(Request request)
{
    statisticsRunning_ = true;
    runningStatisticsId_ = request.entry->id;
    const quint64 id = request.entry->id;
    using Result = Outcome<TimingStatisticsPtr>;
    auto *watcher = new QFutureWatcher<Result>(this);
    connect(watcher, &QFutureWatcher<Result>::finished, this, [this, watcher, id] {
        const Result outcome = watcher->result();
        const TimingStatisticsPtr result = outcome.value;
        watcher->deleteLater();
        statisticsRunning_ = false;
        runningStatisticsId_ = 0;
        if (outcome.error.isEmpty())
            statistics_[id] = result;
        else
            Q_EMIT statisticsFailed(id, outcome.error);
        if (pendingStatistics_) {
            Request next = std::move(*pendingStatistics_);
            pendingStatistics_.reset();
            if (TimingStatisticsPtr cached = cachedStatistics(next.entry->id))
                Q_EMIT statisticsReady(next.entry->id, cached);
            else
                startStatistics(std::move(next));
            return;
        }
        if (outcome.error.isEmpty())
            Q_EMIT statisticsReady(id, result);
    });
    watcher->setFuture(QtConcurrent::run(&statisticsPool_, [r = std::move(request)]() -> Result {
        const NetworkConfig &network = r.entry->network->config();
        try {
            // Checked before computeOutputTiming allocates: its grids grow with the square of
            // the output layer (784-1-30000 asks for tens of GB).
            requireOutputTimingMemory(network, r.data->test.size());
            return {std::make_shared<const OutputTimingStatistics>(computeOutputTiming(*r.entry->network, r.data->test)), {}};
        } catch (const std::exception &e) {
            return {nullptr, describe(e, QString::fromStdString(layerSizesToString(network.layerSizes))
                                             + QStringLiteral(": the output timing"))};
        } catch (...) {
            return {nullptr, QStringLiteral("the output timing: unexpected error")};
        }
    }));
}

} // namespace firstspike
