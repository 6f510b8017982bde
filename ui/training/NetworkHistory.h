#pragma once
// Copies of the network taken at regular points of a run, so the inspection views can scrub
// back through training: the initial weights, every `earlyEvery` mini-batches during the first
// epoch, the end of every epoch, and the weights the run is halted at. At most kCapacity are
// kept (a 784-800-10 copy is ~5 MB): when full, the entry closest in steps to its predecessor
// is dropped, intra-epoch entries before epoch ends, never the first or the last.
//
// The training worker writes (its thread), the GUI reads; entries are immutable and shared.

#include "core/model/SpikeNetwork.h"

#include <QObject>
#include <QString>

#include <memory>
#include <mutex>
#include <vector>

namespace firstspike {

struct DataSplit;

struct HistoryEntry {
    quint64 id = 0;               // unique within the process; stable while the entry lives
    long long step = 0;           // optimiser steps when the copy was taken
    double epochPosition = 0;     // epochs completed + fraction of the running one
    int epochsCompleted = 0;
    bool epochEnd = false;        // taken right after an epoch's evaluation
    bool current = false;         // the weights the run is halted at (replaced as it goes on)
    std::shared_ptr<const SpikeNetwork> network; // prepared (column sums cached)
    QString label() const;        // "epoch 2 end · step 540"
};

using HistoryEntryPtr = std::shared_ptr<const HistoryEntry>;

class NetworkHistory : public QObject {
    Q_OBJECT
public:
    static constexpr int kCapacity = 32;
    static constexpr int kEarlyPoints = 10; // intra-epoch copies during the first epoch

    explicit NetworkHistory(QObject *parent = nullptr);

    // Worker thread.
    void reset(quint64 generation, std::shared_ptr<const DataSplit> data, int batchesPerEpoch);
    bool wantsStep(long long step, int epochsCompleted) const;
    void record(const SpikeNetwork &network, long long step, double epochPosition, int epochsCompleted, bool epochEnd);
    void setCurrent(const SpikeNetwork &network, long long step, double epochPosition, int epochsCompleted);

    // Any thread.
    std::vector<HistoryEntryPtr> entries() const; // oldest first; the current weights last
    std::shared_ptr<const DataSplit> data() const;
    quint64 generation() const;
    int earlyEvery() const;

Q_SIGNALS:
    void changed(quint64 generation); // emitted from the writing thread; connect queued or auto

private:
    HistoryEntryPtr makeEntry(const SpikeNetwork &network, long long step, double epochPosition, int epochsCompleted,
                              bool epochEnd, bool current);
    void thin();

    mutable std::mutex mutex_;
    quint64 generation_ = 0;
    std::shared_ptr<const DataSplit> data_;
    int earlyEvery_ = 1;
    std::vector<HistoryEntryPtr> entries_;
    HistoryEntryPtr current_;
};

} // namespace firstspike
