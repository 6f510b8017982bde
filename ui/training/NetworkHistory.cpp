#include "ui/training/NetworkHistory.h"

#include "core/data/Dataset.h"

#include <algorithm>
#include <atomic>

namespace firstspike {

namespace {
std::atomic<quint64> nextEntryId{1};
}

QString HistoryEntry::label() const
{
    QString text;
    if (step == 0)
        text = QObject::tr("initial weights");
    else if (epochEnd)
        text = QObject::tr("end of epoch %1").arg(epochsCompleted);
    else
        text = QObject::tr("epoch %1").arg(epochPosition + 1, 0, 'f', 2);
    text += QObject::tr(" · step %L1").arg(step);
    if (current)
        text += QObject::tr(" (current)");
    return text;
}

NetworkHistory::NetworkHistory(QObject *parent)
    : QObject(parent)
{
}

void NetworkHistory::reset(quint64 generation, std::shared_ptr<const DataSplit> data, int batchesPerEpoch)
{
    {
        std::lock_guard lock(mutex_);
        generation_ = generation;
        data_ = std::move(data);
        earlyEvery_ = std::max(1, batchesPerEpoch / kEarlyPoints);
        entries_.clear();
        current_.reset();
    }
    Q_EMIT changed(generation);
}

bool NetworkHistory::wantsStep(long long step, int epochsCompleted) const
{
    std::lock_guard lock(mutex_);
    return epochsCompleted == 0 && step > 0 && step % earlyEvery_ == 0;
}

HistoryEntryPtr NetworkHistory::makeEntry(const SpikeNetwork &network, long long step, double epochPosition,
                                          int epochsCompleted, bool epochEnd, bool current)
{
    auto entry = std::make_shared<HistoryEntry>();
    entry->id = nextEntryId++;
    entry->step = step;
    entry->epochPosition = epochPosition;
    entry->epochsCompleted = epochsCompleted;
    entry->epochEnd = epochEnd;
    entry->current = current;
    auto copy = std::make_shared<SpikeNetwork>(network);
    if (!copy->prepared()) // a prepared network's column sums come with the copy
        copy->prepare();
    entry->network = std::move(copy);
    return entry;
}

void NetworkHistory::record(const SpikeNetwork &network, long long step, double epochPosition, int epochsCompleted,
                            bool epochEnd)
{
    HistoryEntryPtr entry = makeEntry(network, step, epochPosition, epochsCompleted, epochEnd, false); // copy unlocked
    quint64 generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (!entries_.empty() && entries_.back()->step == step) {
            if (!epochEnd)
                return;
            entries_.pop_back(); // the epoch-end copy supersedes an intra-epoch one at the same step
        }
        entries_.push_back(std::move(entry));
        if (current_ && current_->step <= step)
            current_.reset();
        thin();
        generation = generation_;
    }
    Q_EMIT changed(generation);
}

void NetworkHistory::setCurrent(const SpikeNetwork &network, long long step, double epochPosition, int epochsCompleted)
{
    {
        std::lock_guard lock(mutex_);
        if ((current_ && current_->step == step) || (!entries_.empty() && entries_.back()->step == step))
            return;
    }
    HistoryEntryPtr entry = makeEntry(network, step, epochPosition, epochsCompleted, false, true);
    quint64 generation = 0;
    {
        std::lock_guard lock(mutex_);
        current_ = std::move(entry);
        generation = generation_;
    }
    Q_EMIT changed(generation);
}

void NetworkHistory::thin()
{
    while (static_cast<int>(entries_.size()) > kCapacity) {
        // Drop the entry nearest (in steps) to its predecessor; intra-epoch entries go first.
        std::size_t victim = 0;
        for (bool epochEnds : {false, true}) {
            long long bestGap = -1;
            for (std::size_t i = 1; i + 1 < entries_.size(); ++i) {
                if (entries_[i]->epochEnd != epochEnds)
                    continue;
                const long long gap = entries_[i]->step - entries_[i - 1]->step;
                if (bestGap < 0 || gap < bestGap) {
                    bestGap = gap;
                    victim = i;
                }
            }
            if (victim)
                break;
        }
        if (!victim)
            victim = 1;
        entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(victim));
    }
}

std::vector<HistoryEntryPtr> NetworkHistory::entries() const
{
    std::lock_guard lock(mutex_);
    std::vector<HistoryEntryPtr> out = entries_;
    if (current_ && (out.empty() || current_->step > out.back()->step))
        out.push_back(current_);
    return out;
}

std::shared_ptr<const DataSplit> NetworkHistory::data() const
{
    std::lock_guard lock(mutex_);
    return data_;
}

quint64 NetworkHistory::generation() const
{
    std::lock_guard lock(mutex_);
    return generation_;
}

int NetworkHistory::earlyEvery() const
{
    std::lock_guard lock(mutex_);
    return earlyEvery_;
}

} // namespace firstspike
