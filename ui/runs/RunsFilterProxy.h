#pragma once
// Sorting and filtering of the runs table. The filter text is words that must all match:
//   plain text         some column contains it (case-insensitive): "binary", "sweep-a"
//   key=value          the column's text equals it, or its number does: "status=complete", "lr=0.001"
//   key<n, key>n, key<=n, key>=n   the column's number compares so: "accuracy>90", "spikes<0.5"
//   key~text           the column's text contains it: "layers~800"
// Keys are RunsTableModel::columnKeys() ("lr", "accuracy", "decision-time", ...). Runs with no
// value in a compared column do not match. Sorting uses the numbers of numeric columns; missing
// values sort last.
#include <QSortFilterProxyModel>
#include <QString>

#include <vector>

namespace firstspike {

class RunsFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit RunsFilterProxy(QObject *parent = nullptr);

    void setFilterText(const QString &text);
    QString filterText() const { return text_; }
    // Why the filter text cannot be used ("unknown column 'acc'"), "" when it can.
    QString filterProblem() const { return problem_; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    struct Term {
        int column = -1; // -1: any column contains `text`
        QString op;      // "=", "~", "<", ">", "<=", ">="
        QString text;
        double number = 0;
        bool isNumber = false;
    };
    std::vector<Term> terms_;
    QString text_;
    QString problem_;
};

} // namespace firstspike
