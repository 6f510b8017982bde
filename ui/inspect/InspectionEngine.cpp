#include "ui/inspect/InspectionEngine.h"

#include "core/data/Dataset.h"

#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace firstspike {

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

void InspectionEngine::requestSample(HistoryEntryPtr entry, std::shared_ptr<const DataSplit> data, int sampleIndex)
{
    if (!entry || !data)
        return;
    Request r{std::move(entry), std::move(data), sampleIndex};
    if (sampleRunning_) {
        pendingSample_ = std::move(r);
        return;
    }
    startSample(std::move(r));
}

void InspectionEngine::startSample(Request request)
{
    sampleRunning_ = true;
    auto *watcher = new QFutureWatcher<SampleInspectionPtr>(this);
    connect(watcher, &QFutureWatcher<SampleInspectionPtr>::finished, this, [this, watcher] {
        const SampleInspectionPtr result = watcher->result();
        watcher->deleteLater();
        sampleRunning_ = false;
        if (pendingSample_) {
            Request next = std::move(*pendingSample_);
            pendingSample_.reset();
            startSample(std::move(next)); // the newest wins; this result is stale
            return;
        }
        Q_EMIT sampleReady(result);
    });
    watcher->setFuture(QtConcurrent::run(&samplePool_, [r = std::move(request)] {
        return inspect(r.entry, *r.data, r.sampleIndex);
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
    Request r{std::move(entry), std::move(data), 0};
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
    auto *watcher = new QFutureWatcher<TimingStatisticsPtr>(this);
    connect(watcher, &QFutureWatcher<TimingStatisticsPtr>::finished, this, [this, watcher, id] {
        const TimingStatisticsPtr result = watcher->result();
        watcher->deleteLater();
        statisticsRunning_ = false;
        runningStatisticsId_ = 0;
        statistics_[id] = result;
        if (pendingStatistics_) {
            Request next = std::move(*pendingStatistics_);
            pendingStatistics_.reset();
            if (TimingStatisticsPtr cached = cachedStatistics(next.entry->id))
                Q_EMIT statisticsReady(next.entry->id, cached);
            else
                startStatistics(std::move(next));
            return;
        }
        Q_EMIT statisticsReady(id, result);
    });
    watcher->setFuture(QtConcurrent::run(&statisticsPool_, [r = std::move(request)] {
        return std::make_shared<const OutputTimingStatistics>(computeOutputTiming(*r.entry->network, r.data->test));
    }));
}

} // namespace firstspike
