#pragma once
// The runs of a runs folder as a table: one row per run, a column per setting and per result.
// Column 0 holds the check box that puts a run's curves on the overlay; each checked run keeps
// its colour (the first free one of the palette) until it is unchecked. Runs are immutable
// RunRecords shared with the scan that read them.
#include "core/runs/RunRecord.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QStringList>

#include <map>
#include <memory>
#include <vector>

namespace firstspike {

using RunPtr = std::shared_ptr<const RunRecord>;

class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Overlay, Name, Status, Sweep, Layers, Encoding, Optimizer, LearningRate, Batch, Epochs, Seed, WeightSumK, L2,
        DecisionCost, Data, TestAccuracy, BestEpoch, DecisionTime, FiredBeforeDecision, SpikesPerNeuron, Seconds, Started, Id, ColumnCount
    };
    // Numbers for numeric columns (invalid when missing), text otherwise: sorting and filters.
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int kPaletteSize = 10;

    explicit RunsTableModel(QObject *parent = nullptr);

    // Replaces the rows; runs that were checked stay checked (by id) when they are still there.
    void setRuns(std::vector<RunPtr> runs);
    const std::vector<RunPtr> &runs() const { return runs_; }
    RunPtr run(int row) const;
    int rowOf(const QString &id) const; // -1 when absent

    bool isChecked(const QString &id) const { return colors_.count(id) > 0; }
    // Damaged and refused runs have no curves and cannot be checked (false).
    bool setChecked(const QString &id, bool checked);
    // The checked runs in the table's row order.
    std::vector<RunPtr> checkedRuns() const;
    QColor colorOf(const QString &id) const; // invalid when not checked
    static QColor paletteColor(int index);

    // The filter's name of each column ("lr", "accuracy", ...), in column order.
    static QStringList columnKeys();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

Q_SIGNALS:
    void checkedChanged();

private:
    QVariant display(const RunRecord &r, int column) const;
    QVariant sortValue(const RunRecord &r, int column) const;

    std::vector<RunPtr> runs_;
    std::map<QString, int> colors_; // checked run id -> palette index
};

} // namespace firstspike
