#pragma once
// Computes what the inspection views show off the GUI thread (docs/ARCHITECTURE.md): one test
// sample (or a digit drawn on the pad) through one history entry (the full forward pass: spike
// times, causal sets, arrival orders), and the per-digit output timing of the whole test set for an entry. Results are
// immutable values delivered by signal. While a request runs, newer ones replace the waiting
// one, so scrubbing never queues up work; statistics are cached per entry (entries never change).

#include "ui/training/NetworkHistory.h"
#include "core/model/SpikeNetwork.h"
#include "core/model/TimingStatistics.h"

#include <QObject>
#include <QThreadPool>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>

namespace firstspike {

struct DataSplit;

// One test sample (or a drawn digit) pushed through one network copy.
struct SampleInspection {
    static constexpr int kDrawnSample = -2; // sampleIndex of a digit drawn on the pad
    int sampleIndex = -1;          // index into the test set, or kDrawnSample
    quint64 drawnRevision = 0;     // a drawn digit: the pad's revision it was drawn at
    HistoryEntryPtr entry;         // the network it went through
    int label = -1;
    int predicted = -1;
    int rows = 0, cols = 0;
    std::vector<std::uint8_t> pixels;
    ForwardPass pass;
    const SpikeNetwork &network() const { return *entry->network; }
};

using SampleInspectionPtr = std::shared_ptr<const SampleInspection>;
using TimingStatisticsPtr = std::shared_ptr<const OutputTimingStatistics>;

class InspectionEngine : public QObject {
    Q_OBJECT
public:
    explicit InspectionEngine(QObject *parent = nullptr);
    ~InspectionEngine() override; // waits for running computations

    void requestSample(HistoryEntryPtr entry, std::shared_ptr<const DataSplit> data, int sampleIndex);
    // A digit that is not in the test set (the drawing pad's): rows x cols bytes, `revision`
    // identifying it; the result has sampleIndex kDrawnSample and label -1.
    void requestPixels(HistoryEntryPtr entry, std::vector<std::uint8_t> pixels, int rows, int cols, quint64 revision);
    void requestStatistics(HistoryEntryPtr entry, std::shared_ptr<const DataSplit> data);
    void clearCache();
    bool busy() const { return sampleRunning_ || statisticsRunning_; }
    TimingStatisticsPtr cachedStatistics(quint64 entryId) const;

    // The work itself, callable from any thread (tests compare against it).
    static SampleInspectionPtr inspect(const HistoryEntryPtr &entry, const DataSplit &data, int sampleIndex);
    // Throws std::invalid_argument when the image is not the network's input size.
    static SampleInspectionPtr inspectPixels(const HistoryEntryPtr &entry, const std::vector<std::uint8_t> &pixels, int rows,
                                             int cols, quint64 revision);
    // Bytes computeOutputTiming() allocates for this network over `samples` test digits: the
    // classes x classes grids (time sums, counts, means, confusion) and the per-sample rows
    // (classes output times each). Saturates instead of overflowing.
    static std::uint64_t outputTimingBytes(const NetworkConfig &network, int samples);
    // Throws ResourceError ("784-1-30000: the output timing needs 24.0 GB, 9.1 GB available")
    // when that is more than the memory available.
    static void requireOutputTimingMemory(const NetworkConfig &network, int samples);

Q_SIGNALS:
    void sampleReady(const firstspike::SampleInspectionPtr &inspection);
    void statisticsReady(quint64 entryId, const firstspike::TimingStatisticsPtr &statistics);
    // A computation was refused or failed (one line for the user); nothing escapes the pool's
    // threads. The per-entry failure is not cached: a later request tries again.
    void sampleFailed(int sampleIndex, const QString &message);
    void statisticsFailed(quint64 entryId, const QString &message);

private:
    template <typename T>
    struct Outcome {
        T value;
        QString error; // non-empty: the computation was refused or failed
    };
    struct Request {
        HistoryEntryPtr entry;
        std::shared_ptr<const DataSplit> data;
        int sampleIndex = 0;
        // A drawn digit instead of a test sample (sampleIndex kDrawnSample).
        std::shared_ptr<const std::vector<std::uint8_t>> pixels;
        int rows = 0, cols = 0;
        quint64 revision = 0;
    };
    void startSample(Request request);
    void startStatistics(Request request);

    QThreadPool samplePool_;     // one thread each: a long statistics run never delays scrubbing
    QThreadPool statisticsPool_;
    bool sampleRunning_ = false;
    bool statisticsRunning_ = false;
    std::optional<Request> pendingSample_;
    std::optional<Request> pendingStatistics_;
    quint64 runningStatisticsId_ = 0;
    std::map<quint64, TimingStatisticsPtr> statistics_;
};

} // namespace firstspike

Q_DECLARE_METATYPE(firstspike::SampleInspectionPtr)
Q_DECLARE_METATYPE(firstspike::TimingStatisticsPtr)
