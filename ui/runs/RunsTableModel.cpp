#include "ui/runs/RunsTableModel.h"

#include "core/model/NetworkConfig.h"
#include "core/training/Optimizer.h"

#include <QBrush>
#include <QFileInfo>
#include <QFont>

#include <cmath>
#include <set>

namespace firstspike {

namespace {

bool readable(const RunRecord &r)
{
    return r.health == RunHealth::Ok;
}

QVariant number(double v)
{
    return std::isfinite(v) ? QVariant(v) : QVariant();
}

QString shortNumber(double v)
{
    return QString::number(v, 'g', 4);
}

} // namespace

RunsTableModel::RunsTableModel(QObject *parent) : QAbstractTableModel(parent) {}

QColor RunsTableModel::paletteColor(int index)
{
    // Tableau 10: distinct on white, readable for the common colour-vision deficiencies.
    static const QColor colors[kPaletteSize] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                                QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                                QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                                QColor(23, 190, 207)};
    return colors[((index % kPaletteSize) + kPaletteSize) % kPaletteSize];
}

QStringList RunsTableModel::columnKeys()
{
    return {QStringLiteral("overlay"), QStringLiteral("name"), QStringLiteral("status"), QStringLiteral("sweep"),
            QStringLiteral("layers"), QStringLiteral("encoding"), QStringLiteral("optimizer"), QStringLiteral("lr"),
            QStringLiteral("batch"), QStringLiteral("epochs"), QStringLiteral("seed"), QStringLiteral("k"),
            QStringLiteral("l2"), QStringLiteral("decision-cost"), QStringLiteral("data"), QStringLiteral("accuracy"),
            QStringLiteral("best-epoch"), QStringLiteral("decision-time"), QStringLiteral("before-decision"),
            QStringLiteral("spikes"),
            QStringLiteral("seconds"), QStringLiteral("started"), QStringLiteral("id")};
}

void RunsTableModel::setRuns(std::vector<RunPtr> runs)
{
    beginResetModel();
    runs_ = std::move(runs);
    std::set<QString> present;
    for (const RunPtr &r : runs_)
        if (readable(*r))
            present.insert(QString::fromStdString(r->id));
    for (auto it = colors_.begin(); it != colors_.end();)
        it = present.count(it->first) ? std::next(it) : colors_.erase(it);
    endResetModel();
    Q_EMIT checkedChanged();
}

RunPtr RunsTableModel::run(int row) const
{
    return row >= 0 && row < static_cast<int>(runs_.size()) ? runs_[row] : nullptr;
}

int RunsTableModel::rowOf(const QString &id) const
{
    for (std::size_t i = 0; i < runs_.size(); ++i)
        if (QString::fromStdString(runs_[i]->id) == id)
            return static_cast<int>(i);
    return -1;
}

bool RunsTableModel::setChecked(const QString &id, bool checked)
{
    const int row = rowOf(id);
    if (row < 0 || !readable(*runs_[row]))
        return false;
    if (checked == isChecked(id))
        return true;
    if (checked) {
        std::set<int> used;
        for (const auto &[key, color] : colors_)
            used.insert(color);
        int color = 0;
        while (used.count(color))
            ++color;
        colors_[id] = color;
    } else {
        colors_.erase(id);
    }
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT checkedChanged();
    return true;
}

std::vector<RunPtr> RunsTableModel::checkedRuns() const
{
    std::vector<RunPtr> out;
    for (const RunPtr &r : runs_)
        if (isChecked(QString::fromStdString(r->id)))
            out.push_back(r);
    return out;
}

QColor RunsTableModel::colorOf(const QString &id) const
{
    const auto it = colors_.find(id);
    return it == colors_.end() ? QColor() : paletteColor(it->second);
}

int RunsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(runs_.size());
}

int RunsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    static const char *const titles[ColumnCount] = {
        "", QT_TR_NOOP("Name"), QT_TR_NOOP("Status"), QT_TR_NOOP("Sweep"), QT_TR_NOOP("Layers"), QT_TR_NOOP("Encoding"),
        QT_TR_NOOP("Optimizer"), QT_TR_NOOP("lr"), QT_TR_NOOP("Batch"), QT_TR_NOOP("Epochs"), QT_TR_NOOP("Seed"),
        QT_TR_NOOP("K"), QT_TR_NOOP("L2"), QT_TR_NOOP("Decision cost"), QT_TR_NOOP("Data"), QT_TR_NOOP("Test acc. %"),
        QT_TR_NOOP("Best epoch"), QT_TR_NOOP("Decision t"), QT_TR_NOOP("Fired before %"), QT_TR_NOOP("Spikes/neuron"), QT_TR_NOOP("Time s"),
        QT_TR_NOOP("Started (UTC)"), QT_TR_NOOP("Run id")};
    if (section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole)
        return tr(titles[section]);
    if (role == Qt::ToolTipRole) {
        if (section == Overlay)
            return tr("Show the run's curves on the overlay and its point in colour on the scatter");
        if (section == FiredBeforeDecision)
            return tr("Hidden neurons that spike before the decision, %, test set (filter key before-decision)");
        if (section == SpikesPerNeuron)
            return tr("Spikes per hidden neuron and digit by the horizon, test set (filter key spikes)");
        return tr("Filter with %1=…, %1<…, %1>… (e.g. %1>0.5)").arg(columnKeys()[section]);
    }
    return {};
}

Qt::ItemFlags RunsTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    // The overlay box is toggled by RunsView (a click anywhere in its cell, or Space on the
    // selected rows), not by the delegate's own hit test on the small indicator.
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

bool RunsTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (!index.isValid() || index.column() != Overlay || role != Qt::CheckStateRole)
        return false;
    return setChecked(QString::fromStdString(runs_[index.row()]->id), value.toInt() == Qt::Checked);
}

QVariant RunsTableModel::display(const RunRecord &r, int column) const
{
    const RunManifest &m = r.manifest;
    const bool ok = readable(r);
    switch (column) {
    case Name: return ok ? QString::fromStdString(m.name) : QString::fromStdString(r.id + ": " + r.problem);
    case Status: return QString::fromStdString(r.status());
    case Sweep: return ok ? QString::fromStdString(m.sweep) : QString();
    case Id: return QString::fromStdString(r.id);
    default: break;
    }
    if (!ok)
        return {};
    switch (column) {
    case Layers: return QString::fromStdString(layerSizesToString(m.network.layerSizes));
    case Encoding: return QString::fromStdString(encodingName(m.network.encoding.kind));
    case Optimizer: return QString::fromStdString(optimizerName(m.training.optimizer.kind));
    case LearningRate: return shortNumber(m.training.optimizer.learningRate);
    case Batch: return m.training.batchSize;
    case Epochs: return QStringLiteral("%1 / %2").arg(m.epochs).arg(m.training.epochs);
    case Seed: return QString::number(m.training.seed);
    case WeightSumK: return shortNumber(m.training.weightSumK);
    case L2: return shortNumber(m.training.l2);
    case DecisionCost: return shortNumber(m.training.decisionTimeCost);
    case Data: return m.data == "embedded" ? tr("embedded") : QFileInfo(QString::fromStdString(m.data)).fileName();
    case TestAccuracy: return std::isfinite(m.testAccuracy) ? QString::number(100 * m.testAccuracy, 'f', 2) : QString();
    case BestEpoch: return m.bestEpoch > 0 ? QVariant(m.bestEpoch) : QVariant();
    case DecisionTime: return std::isfinite(m.meanDecisionTime) ? QString::number(m.meanDecisionTime, 'f', 3) : QString();
    case FiredBeforeDecision:
        return std::isfinite(m.hiddenFiredBeforeDecision) ? QString::number(100 * m.hiddenFiredBeforeDecision, 'f', 1) : QString();
    case SpikesPerNeuron:
        return std::isfinite(m.hiddenSpikesPerNeuron) ? QString::number(m.hiddenSpikesPerNeuron, 'f', 3) : QString();
    case Seconds: return QString::number(m.seconds, 'f', 1);
    case Started: return QString::fromStdString(m.started).replace(QLatin1Char('T'), QLatin1Char(' ')).remove(QLatin1Char('Z'));
    default: return {};
    }
}

QVariant RunsTableModel::sortValue(const RunRecord &r, int column) const
{
    const RunManifest &m = r.manifest;
    if (!readable(r) && column != Name && column != Status && column != Id)
        return {};
    switch (column) {
    case Overlay: return isChecked(QString::fromStdString(r.id)) ? 1 : 0;
    case LearningRate: return m.training.optimizer.learningRate;
    case Batch: return m.training.batchSize;
    case Epochs: return m.epochs;
    case Seed: return static_cast<double>(m.training.seed);
    case WeightSumK: return m.training.weightSumK;
    case L2: return m.training.l2;
    case DecisionCost: return m.training.decisionTimeCost;
    case TestAccuracy: return number(100 * m.testAccuracy);
    case BestEpoch: return m.bestEpoch > 0 ? QVariant(m.bestEpoch) : QVariant();
    case DecisionTime: return number(m.meanDecisionTime);
    case FiredBeforeDecision: return number(100 * m.hiddenFiredBeforeDecision);
    case SpikesPerNeuron: return number(m.hiddenSpikesPerNeuron);
    case Seconds: return m.seconds;
    case Layers: {
        // By size: total neurons of the hidden layers, then the text.
        double hidden = 0;
        for (std::size_t i = 1; i + 1 < m.network.layerSizes.size(); ++i)
            hidden += m.network.layerSizes[i];
        return hidden;
    }
    default: return display(r, column);
    }
}

QVariant RunsTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= static_cast<int>(runs_.size()))
        return {};
    const RunRecord &r = *runs_[index.row()];
    const QString id = QString::fromStdString(r.id);
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return column == Overlay ? QVariant() : display(r, column);
    case SortRole:
        return sortValue(r, column);
    case Qt::CheckStateRole:
        if (column == Overlay && readable(r))
            return isChecked(id) ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::DecorationRole:
        if (column == Overlay && isChecked(id))
            return colorOf(id);
        return {};
    case Qt::ToolTipRole:
        if (!r.problem.empty())
            return QString::fromStdString(r.problem);
        if (column == Name || column == Id)
            return QString::fromStdString(r.folder);
        return {};
    case Qt::ForegroundRole:
        if (r.health != RunHealth::Ok)
            return QBrush(QColor(170, 30, 30));
        if (column == Status && r.status() == "interrupted")
            return QBrush(QColor(160, 100, 0));
        return {};
    case Qt::TextAlignmentRole:
        if (column >= LearningRate && column <= DecisionCost && column != Seed)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        if (column >= TestAccuracy && column <= Seconds)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    default:
        return {};
    }
}

} // namespace firstspike
