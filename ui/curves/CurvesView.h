#pragma once
// Loss and accuracy curves of a run. All Qt Charts code of the application lives behind this
// class (Qt Charts is deprecated from Qt 6.10 in favour of Qt Graphs), so it can be swapped in one
// place. Data arrive at full resolution and cheaply (appendBatches, setHistory); refresh(),
// driven by the GUI's coalescing timer, smooths (debiased EMA), decimates to about two points
// per pixel of the visible range and hands the dense curves to DenseCurveItem (the per-epoch
// series, a few points each, stay QLineSeries and are replaced when they change).

#include "ui/training/TrainingSnapshot.h"

#include <QPointF>
#include <QWidget>

#include <vector>

class QCheckBox;
class QLabel;
class QSlider;
class QToolButton;

QT_BEGIN_NAMESPACE
class QAbstractAxis;
class QChart;
class QLineSeries;
class QLogValueAxis;
class QValueAxis;
QT_END_NAMESPACE

namespace firstspike {

class CurvesChartView;
class DenseCurveItem;

class CurvesView : public QWidget {
    Q_OBJECT
public:
    explicit CurvesView(QWidget *parent = nullptr);
    ~CurvesView() override;

    void clear();
    void appendBatches(const std::vector<BatchPoint> &batches);
    void setHistory(const std::vector<EpochMetrics> &history);
    // Rebuilds the displayed series if data or view settings changed; cheap when nothing did.
    void refresh();

    double smoothing() const { return smoothing_; }
    bool logScale() const { return logScale_; }
    bool isZoomed() const { return zoomed_; }
    bool liveRendering() const { return live_; }

    // Read-outs for tests and diagnostics.
    int batchCount() const { return static_cast<int>(batchX_.size()); }
    int epochCount() const { return static_cast<int>(history_.size()); }
    int displayedLossPoints() const;     // points in the raw + smoothed loss series on screen
    int displayedAccuracyPoints() const; // points in the accuracy series on screen
    QWidget *lossChart() const;
    QWidget *accuracyChart() const;
    QWidget *economyChart() const; // spike economy: decision time and hidden spikes per neuron
    QString readout() const;

public Q_SLOTS:
    void setSmoothing(double smoothing); // EMA weight of the past, in [0, 0.999]
    void setLogScale(bool on);
    void resetZoom();
    void setLiveRendering(bool live); // cheaper drawing while a run is going (not for figures)

Q_SIGNALS:
    void smoothingChanged(double smoothing);
    void logScaleChanged(bool on);
    void rendered(int lossPoints, int accuracyPoints); // what refresh() pushed to the charts

private:
    void buildLossChart();
    void buildAccuracyChart();
    void buildEconomyChart();
    void recomputeSmoothed(std::size_t from);
    void updateAxes();
    void repaintWholeChartsIfDue(); // counts fullRepaints_ down
    void onZoomed();
    void showLossReadout(QPointF value);
    void showAccuracyReadout(QPointF value);
    QList<QPointF> decimateEnvelope(const std::vector<double> &ys, double x0, double x1, int buckets) const;
    QList<QPointF> decimateMean(const std::vector<double> &ys, double x0, double x1, int buckets) const;

    // Full-resolution data.
    std::vector<double> batchX_, batchLoss_, batchAccuracy_;
    std::vector<double> smoothLoss_, smoothAccuracy_;
    double emaLoss_ = 0, emaAccuracy_ = 0, emaBiasPower_ = 1; // EMA state after smoothLoss_.size() points
    std::vector<EpochMetrics> history_;

    double smoothing_ = 0.9;
    bool logScale_ = false;
    bool zoomed_ = false;
    bool dirty_ = true;
    bool live_ = false;
    int fullRepaints_ = 0; // frames left that repaint the whole charts (refresh())
    int lastLossPoints_ = 0, lastAccuracyPoints_ = 0;

    QChart *lossChart_ = nullptr;
    QChart *accuracyChart_ = nullptr;
    QChart *economyChart_ = nullptr;
    QLineSeries *decisionTime_ = nullptr;
    QLineSeries *spikesPerNeuron_ = nullptr;
    QValueAxis *economyX_ = nullptr;
    QValueAxis *decisionY_ = nullptr;
    QValueAxis *spikesY_ = nullptr;
    CurvesChartView *economyView_ = nullptr;
    CurvesChartView *lossView_ = nullptr;
    CurvesChartView *accuracyView_ = nullptr;
    QLineSeries *rawLoss_ = nullptr, *smoothedLoss_ = nullptr, *epochTrainLoss_ = nullptr, *epochTestLoss_ = nullptr;
    QLineSeries *smoothedAccuracy_ = nullptr, *epochTrainAccuracy_ = nullptr, *epochValidationAccuracy_ = nullptr,
                *epochTestAccuracy_ = nullptr;
    QValueAxis *lossX_ = nullptr, *lossYLinear_ = nullptr, *accuracyX_ = nullptr, *accuracyY_ = nullptr;
    QLogValueAxis *lossYLog_ = nullptr;
    // The dense curves' drawing (DenseCurveItem.h); rawLoss_, smoothedLoss_ and
    // smoothedAccuracy_ stay empty, for the legend and the axes.
    DenseCurveItem *rawLossItem_ = nullptr, *smoothedLossItem_ = nullptr, *smoothedAccuracyItem_ = nullptr;

    QSlider *smoothingSlider_ = nullptr;
    QLabel *smoothingLabel_ = nullptr;
    QCheckBox *logCheck_ = nullptr;
    QToolButton *resetZoomButton_ = nullptr;
    QLabel *readout_ = nullptr;
};

} // namespace firstspike
