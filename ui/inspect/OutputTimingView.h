#pragma once
// Per-digit output spike timing over the test set for one history entry: a 10x10 grid of mean
// first-spike times (row = true digit, column = output neuron), the confusion matrix (with a
// "none" column for samples without an output spike), and per digit the mean decision time,
// the winner's margin to the runner-up and the hidden spikes before the decision. Clicking a
// cell emits the samples behind it.

#include "core/model/TimingStatistics.h"

#include <QString>
#include <QWidget>

#include <memory>

namespace firstspike {

class OutputTimingView : public QWidget {
    Q_OBJECT
public:
    enum class Matrix { MeanTime, Confusion };
    Q_ENUM(Matrix)

    explicit OutputTimingView(QWidget *parent = nullptr);

    void setStatistics(std::shared_ptr<const OutputTimingStatistics> statistics, quint64 entryId, const QString &snapshotLabel);
    void setPending(quint64 entryId); // statistics for this entry are being computed
    void clear();
    const OutputTimingStatistics *statistics() const { return statistics_.get(); }
    quint64 entryId() const { return entryId_; }
    // Centre of a cell (for tests); column == classes in the confusion matrix is "no spike".
    QPoint cellCenter(Matrix matrix, int trueDigit, int column) const;
    QSize sizeHint() const override { return {1000, 280}; }
    QSize minimumSizeHint() const override { return {480, 160}; }

Q_SIGNALS:
    // The samples (test indices) behind a clicked cell, and a one-line description of them.
    void samplesSelected(const std::vector<int> &samples, const QString &description);
    void cellClicked(firstspike::OutputTimingView::Matrix matrix, int trueDigit, int column);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Geometry {
        QRect time, confusion, table;
        double cell = 0;
    };
    Geometry geometry() const;
    bool cellAt(QPoint pos, Matrix &matrix, int &row, int &column) const;

    std::shared_ptr<const OutputTimingStatistics> statistics_;
    quint64 entryId_ = 0;
    quint64 pendingId_ = 0;
    QString snapshotLabel_;
};

} // namespace firstspike
