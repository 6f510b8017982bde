#pragma once
// A widget that shows one RunsPlot, repainted when the plot is replaced.
#include "ui/runs/RunsPlot.h"

#include <QWidget>

namespace firstspike {

class RunsPlotWidget : public QWidget {
    Q_OBJECT
public:
    explicit RunsPlotWidget(QWidget *parent = nullptr);
    void setPlot(RunsPlot plot);
    const RunsPlot &plot() const { return plot_; }
    QSize sizeHint() const override { return {520, 320}; }
    QSize minimumSizeHint() const override { return {240, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    RunsPlot plot_;
};

} // namespace firstspike
