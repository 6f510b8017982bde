#include "ui/runs/RunsOverlayView.h"

#include "ui/runs/RunsPlotWidget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {

constexpr int kMaxPointsPerCurve = 2000;

struct MetricInfo {
    const char *name;
    const char *axis;
    bool perBatch;
};

MetricInfo info(RunsOverlayView::Metric m)
{
    switch (m) {
    case RunsOverlayView::Metric::BatchLoss: return {QT_TR_NOOP("Mini-batch loss"), QT_TR_NOOP("loss (cross-entropy)"), true};
    case RunsOverlayView::Metric::BatchAccuracy: return {QT_TR_NOOP("Mini-batch accuracy"), QT_TR_NOOP("accuracy (%)"), true};
    case RunsOverlayView::Metric::TrainLoss: return {QT_TR_NOOP("Train loss per epoch"), QT_TR_NOOP("loss (cross-entropy)"), false};
    case RunsOverlayView::Metric::TestLoss: return {QT_TR_NOOP("Test loss per epoch"), QT_TR_NOOP("loss (cross-entropy)"), false};
    case RunsOverlayView::Metric::TestAccuracy: return {QT_TR_NOOP("Test accuracy per epoch"), QT_TR_NOOP("accuracy (%)"), false};
    case RunsOverlayView::Metric::ValidationAccuracy: return {QT_TR_NOOP("Validation accuracy per epoch"), QT_TR_NOOP("accuracy (%)"), false};
    case RunsOverlayView::Metric::DecisionTime: return {QT_TR_NOOP("Decision time per epoch"), QT_TR_NOOP("mean time of the first output spike (τ)"), false};
    case RunsOverlayView::Metric::SpikesPerNeuron: return {QT_TR_NOOP("Spikes per hidden neuron per epoch"), QT_TR_NOOP("spikes per hidden neuron and digit"), false};
    }
    return {"", "", false};
}

double epochValue(const EpochMetrics &m, RunsOverlayView::Metric metric)
{
    switch (metric) {
    case RunsOverlayView::Metric::TrainLoss: return m.trainLoss;
    case RunsOverlayView::Metric::TestLoss: return m.testLoss;
    case RunsOverlayView::Metric::TestAccuracy: return 100 * m.testAccuracy;
    case RunsOverlayView::Metric::ValidationAccuracy: return 100 * m.validationAccuracy;
    case RunsOverlayView::Metric::DecisionTime: return m.meanDecisionTime;
    case RunsOverlayView::Metric::SpikesPerNeuron: return m.hiddenSpikesPerNeuron;
    default: return std::nan("");
    }
}

} // namespace

std::vector<double> RunsOverlayView::smoothed(const std::vector<double> &values, double smoothing)
{
    std::vector<double> out(values.size());
    double ema = 0, biasPower = 1;
    for (std::size_t i = 0; i < values.size(); ++i) {
        ema = smoothing * ema + (1 - smoothing) * values[i];
        biasPower *= smoothing;
        out[i] = smoothing > 0 ? ema / (1 - biasPower) : values[i];
    }
    return out;
}

RunsOverlayView::RunsOverlayView(QWidget *parent) : QWidget(parent)
{
    metricBox_ = new QComboBox;
    metricBox_->setObjectName(QStringLiteral("runsOverlayMetric"));
    for (Metric m : {Metric::BatchLoss, Metric::BatchAccuracy, Metric::TrainLoss, Metric::TestLoss, Metric::TestAccuracy,
                     Metric::ValidationAccuracy, Metric::DecisionTime, Metric::SpikesPerNeuron})
        metricBox_->addItem(tr(info(m).name), static_cast<int>(m));
    slider_ = new QSlider(Qt::Horizontal);
    slider_->setObjectName(QStringLiteral("runsOverlaySmoothing"));
    slider_->setRange(0, 999);
    slider_->setValue(static_cast<int>(std::lround(smoothing_ * 1000)));
    slider_->setMaximumWidth(140);
    slider_->setToolTip(tr("Smoothing of the mini-batch curves: weight of the past in a debiased exponential moving "
                           "average (0: raw, 0.999: very smooth)"));
    sliderLabel_ = new QLabel(QString::number(smoothing_, 'f', 3));
    sliderLabel_->setMinimumWidth(36);
    logBox_ = new QCheckBox(tr("Log scale"));
    logBox_->setObjectName(QStringLiteral("runsOverlayLog"));
    plotWidget_ = new RunsPlotWidget;
    plotWidget_->setObjectName(QStringLiteral("runsOverlayPlot"));

    auto *controls = new QHBoxLayout;
    controls->addWidget(metricBox_);
    controls->addSpacing(8);
    controls->addWidget(new QLabel(tr("Smoothing")));
    controls->addWidget(slider_);
    controls->addWidget(sliderLabel_);
    controls->addWidget(logBox_);
    controls->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(plotWidget_, 1);

    connect(metricBox_, &QComboBox::currentIndexChanged, this,
            [this](int i) { setMetric(static_cast<Metric>(metricBox_->itemData(i).toInt())); });
    connect(slider_, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 1000.0); });
    connect(logBox_, &QCheckBox::toggled, this, &RunsOverlayView::setLogScale);
    rebuild();
}

void RunsOverlayView::setRuns(std::vector<Entry> runs, int reading)
{
    runs_ = std::move(runs);
    reading_ = reading;
    rebuild();
}

void RunsOverlayView::setMetric(Metric metric)
{
    metric_ = metric;
    const int i = metricBox_->findData(static_cast<int>(metric));
    if (metricBox_->currentIndex() != i)
        metricBox_->setCurrentIndex(i);
    rebuild();
}

void RunsOverlayView::setSmoothing(double smoothing)
{
    smoothing_ = std::clamp(smoothing, 0.0, 0.999);
    const int v = static_cast<int>(std::lround(smoothing_ * 1000));
    if (slider_->value() != v)
        slider_->setValue(v);
    sliderLabel_->setText(QString::number(smoothing_, 'f', 3));
    rebuild();
}

void RunsOverlayView::setLogScale(bool on)
{
    logScale_ = on;
    if (logBox_->isChecked() != on)
        logBox_->setChecked(on);
    rebuild();
}

const RunsPlot &RunsOverlayView::plot() const
{
    return plotWidget_->plot();
}

void RunsOverlayView::rebuild()
{
    const MetricInfo mi = info(metric_);
    RunsPlot plot;
    plot.title = tr(mi.name);
    plot.xLabel = tr("epoch");
    plot.yLabel = tr(mi.axis);
    plot.logY = logScale_;
    plot.integerX = !mi.perBatch;
    plot.emptyText = !runs_.empty() ? tr("The ticked runs have no values of this kind yet.")
                     : reading_ > 0 ? tr("Reading the curves of the ticked runs…")
                                    : tr("Tick runs in the table to compare their curves here.");
    slider_->setEnabled(mi.perBatch);
    for (const Entry &e : runs_) {
        RunsPlotSeries s;
        s.label = e.label.isEmpty() ? QString::fromStdString(e.run->manifest.name) : e.label;
        s.color = e.color;
        if (mi.perBatch) {
            std::vector<double> ys;
            ys.reserve(e.run->batches.size());
            for (const BatchRecord &b : e.run->batches)
                ys.push_back(metric_ == Metric::BatchLoss ? b.loss : 100 * b.accuracy);
            ys = smoothed(ys, smoothing_);
            // At most kMaxPointsPerCurve points: means of equal buckets.
            const std::size_t n = ys.size();
            const std::size_t bucket = std::max<std::size_t>(1, (n + kMaxPointsPerCurve - 1) / kMaxPointsPerCurve);
            for (std::size_t i = 0; i < n; i += bucket) {
                const std::size_t end = std::min(n, i + bucket);
                double x = 0, y = 0;
                for (std::size_t k = i; k < end; ++k) {
                    x += e.run->batches[k].epochPosition;
                    y += ys[k];
                }
                s.points.append(QPointF(x / (end - i), y / (end - i)));
            }
        } else {
            for (const EpochMetrics &m : e.run->history)
                s.points.append(QPointF(m.epoch, epochValue(m, metric_)));
        }
        plot.lines.push_back(std::move(s));
    }
    plotWidget_->setPlot(std::move(plot));
}

Figure RunsOverlayView::figure() const
{
    Figure f;
    f.name = QStringLiteral("runs-curves");
    f.title = tr("Firstspike runs: %1").arg(plot().title);
    f.description = tr("%1 runs overlaid").arg(runs_.size());
    f.size = QSize(900, 520);
    const RunsPlot copy = plot();
    f.paint = [copy](QPainter &p, const QRect &target) { copy.paint(p, QRectF(target)); };
    return f;
}

} // namespace firstspike
