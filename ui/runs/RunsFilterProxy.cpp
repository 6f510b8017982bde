#include "ui/runs/RunsFilterProxy.h"

#include "ui/runs/RunsTableModel.h"

#include <QRegularExpression>

#include <cmath>

namespace firstspike {

RunsFilterProxy::RunsFilterProxy(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(RunsTableModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void RunsFilterProxy::setFilterText(const QString &text)
{
    text_ = text;
    problem_.clear();
    terms_.clear();
    static const QRegularExpression comparison(QStringLiteral("^([A-Za-z][A-Za-z0-9_-]*)(<=|>=|=|<|>|~)(.*)$"));
    const QStringList keys = RunsTableModel::columnKeys();
    for (const QString &word : text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        Term t;
        const QRegularExpressionMatch m = comparison.match(word);
        if (m.hasMatch()) {
            t.column = static_cast<int>(keys.indexOf(m.captured(1).toLower()));
            if (t.column < 0) {
                problem_ = tr("unknown column '%1' (columns: %2)").arg(m.captured(1), keys.mid(1).join(QStringLiteral(", ")));
                continue;
            }
            t.op = m.captured(2);
            t.text = m.captured(3);
            t.number = t.text.toDouble(&t.isNumber);
            if ((t.op == QLatin1String("<") || t.op == QLatin1String(">") || t.op == QLatin1String("<=")
                 || t.op == QLatin1String(">=")) && !t.isNumber) {
                problem_ = tr("'%1' is not a number in '%2'").arg(t.text, word);
                continue;
            }
        } else {
            t.text = word;
        }
        terms_.push_back(t);
    }
    invalidateFilter();
}

bool RunsFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QAbstractItemModel *model = sourceModel();
    for (const Term &t : terms_) {
        if (t.column < 0) {
            bool found = false;
            for (int c = 0; c < model->columnCount(sourceParent) && !found; ++c)
                found = model->index(sourceRow, c, sourceParent).data(Qt::DisplayRole).toString().contains(t.text, Qt::CaseInsensitive);
            if (!found)
                return false;
            continue;
        }
        const QModelIndex index = model->index(sourceRow, t.column, sourceParent);
        const QString shown = index.data(Qt::DisplayRole).toString();
        const QVariant sortValue = index.data(RunsTableModel::SortRole);
        bool numeric = false;
        const double value = sortValue.toDouble(&numeric);
        const bool hasNumber = numeric && sortValue.typeId() != QMetaType::QString && std::isfinite(value);
        if (t.op == QLatin1String("~")) {
            if (!shown.contains(t.text, Qt::CaseInsensitive))
                return false;
        } else if (t.op == QLatin1String("=")) {
            const bool equal = shown.compare(t.text, Qt::CaseInsensitive) == 0
                || (t.isNumber && hasNumber && std::abs(value - t.number) <= 1e-12 * std::max(1.0, std::abs(t.number)));
            if (!equal)
                return false;
        } else {
            if (!hasNumber)
                return false;
            const bool pass = t.op == QLatin1String("<")    ? value < t.number
                              : t.op == QLatin1String(">")  ? value > t.number
                              : t.op == QLatin1String("<=") ? value <= t.number
                                                            : value >= t.number;
            if (!pass)
                return false;
        }
    }
    return true;
}

bool RunsFilterProxy::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    const QVariant a = left.data(RunsTableModel::SortRole);
    const QVariant b = right.data(RunsTableModel::SortRole);
    // Missing values last in ascending order.
    if (!a.isValid() || !b.isValid())
        return a.isValid() && !b.isValid();
    if (a.typeId() != QMetaType::QString && b.typeId() != QMetaType::QString)
        return a.toDouble() < b.toDouble();
    return a.toString().compare(b.toString(), Qt::CaseInsensitive) < 0;
}

} // namespace firstspike
