#pragma once
// The overlay of the Runs tab: one curve per checked run (its colour from the table), of the
// metric chosen above it: mini-batch loss or accuracy (smoothed with the same debiased
// exponential moving average as the Training tab's curves), or a per-epoch value (train and
// test loss, test and validation accuracy, decision time, spikes per hidden neuron). Log scale
// for the y axis. Curves are built when the selection or a control changes, never while painting.
#include "ui/export/FigureExporter.h"
#include "ui/runs/RunsPlot.h"
#include "ui/runs/RunsTableModel.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QSlider;

namespace firstspike {

class RunsPlotWidget;

class RunsOverlayView : public QWidget {
    Q_OBJECT
public:
    enum class Metric { BatchLoss, BatchAccuracy, TrainLoss, TestLoss, TestAccuracy, ValidationAccuracy, DecisionTime,
                        SpikesPerNeuron };

    explicit RunsOverlayView(QWidget *parent = nullptr);

    struct Entry {
        RunPtr run;
        QColor color;
        QString label; // legend text; empty: the run's name
    };
    // `reading`: ticked runs whose curves are still being read (the empty plot says so).
    void setRuns(std::vector<Entry> runs, int reading = 0);
    void setMetric(Metric metric);
    Metric metric() const { return metric_; }
    void setSmoothing(double smoothing); // EMA weight of the past, [0, 0.999]
    double smoothing() const { return smoothing_; }
    void setLogScale(bool on);
    bool logScale() const { return logScale_; }

    const RunsPlot &plot() const;
    Figure figure() const;
    QComboBox *metricBox() const { return metricBox_; }
    QCheckBox *logBox() const { return logBox_; }
    QSlider *smoothingSlider() const { return slider_; }

    // Debiased EMA (as CurvesView): s_t = (b s_{t-1} + (1 - b) x_t) / (1 - b^t).
    static std::vector<double> smoothed(const std::vector<double> &values, double smoothing);

private:
    void rebuild();

    std::vector<Entry> runs_;
    int reading_ = 0;
    Metric metric_ = Metric::BatchLoss;
    double smoothing_ = 0.9;
    bool logScale_ = false;
    QComboBox *metricBox_ = nullptr;
    QSlider *slider_ = nullptr;
    QLabel *sliderLabel_ = nullptr;
    QCheckBox *logBox_ = nullptr;
    RunsPlotWidget *plotWidget_ = nullptr;
};

} // namespace firstspike
