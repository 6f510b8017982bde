#include "ui/curves/CurvesView.h"

#include "ui/curves/CurvesChartView.h"
#include "ui/curves/DenseCurveItem.h"
#include "ui/plot/NiceTicks.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QLegend>
#include <QtCharts/QLineSeries>
#include <QtCharts/QLogValueAxis>
#include <QtCharts/QValueAxis>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {

const QColor kRawColor(158, 202, 225);
const QColor kSmoothColor(31, 119, 180);
const QColor kTrainColor(255, 127, 14);
const QColor kValidationColor(148, 103, 189);
const QColor kTestColor(44, 160, 44);

QLineSeries *makeSeries(const QString &name, const QColor &color, double width, bool points,
                        Qt::PenStyle style = Qt::SolidLine)
{
    auto *s = new QLineSeries;
    s->setName(name);
    QPen pen(color, width, style);
    pen.setCosmetic(true);
    s->setPen(pen);
    if (points) {
        s->setPointsVisible(true);
        s->setMarkerSize(6);
        s->setBrush(color);
    }
    return s;
}

QChart *makeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation); // no animations: every frame of a training run would replay them
    chart->setTitle(title);
    QFont f = chart->titleFont();
    f.setBold(true);
    f.setPointSizeF(9.5);
    chart->setTitleFont(f);
    chart->setMargins(QMargins(2, 2, 6, 2));
    chart->setBackgroundRoundness(0);
    // Solid white (the theme's is a white-to-white gradient, which every repaint blends pixel by
    // pixel): the same look, and the chart view can fill it as plain memory.
    chart->setBackgroundBrush(Qt::white);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont lf = chart->legend()->font();
    lf.setPointSizeF(8.5);
    chart->legend()->setFont(lf);
    chart->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
    return chart;
}

void styleAxis(QAbstractAxis *axis, const QString &title)
{
    axis->setTitleText(title);
    QFont f = axis->titleFont();
    f.setPointSizeF(8.5);
    f.setBold(false);
    axis->setTitleFont(f);
    QFont lf = axis->labelsFont();
    lf.setPointSizeF(8);
    axis->setLabelsFont(lf);
    axis->setGridLineColor(QColor(225, 225, 225));
}

// The smallest of 1, 2, 2.5, 5 x 10^k that is >= x (x > 0).
double niceCeil(double x)
{
    if (!(x > 0) || !std::isfinite(x))
        return 1.0;
    const double p = std::pow(10.0, std::floor(std::log10(x)));
    for (double m : {1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0})
        if (m * p >= x * (1 - 1e-9))
            return m * p;
    return 10 * p;
}

// Ticks for an axis from 0 to a niceCeil() value: a round step giving 4 to 8 intervals.
int niceTickCount(double max)
{
    if (!(max > 0) || !std::isfinite(max))
        return 6;
    const double p = std::pow(10.0, std::floor(std::log10(max)));
    for (double m : {0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0}) {
        const double intervals = max / (m * p);
        if (intervals <= 8 + 1e-9 && std::abs(intervals - std::round(intervals)) < 1e-6)
            return static_cast<int>(std::lround(intervals)) + 1;
    }
    return 6;
}

std::pair<std::size_t, std::size_t> visibleRange(const std::vector<double> &xs, double x0, double x1)
{
    auto lo = std::lower_bound(xs.begin(), xs.end(), x0);
    auto hi = std::upper_bound(xs.begin(), xs.end(), x1);
    std::size_t a = static_cast<std::size_t>(lo - xs.begin());
    std::size_t b = static_cast<std::size_t>(hi - xs.begin());
    if (a > 0)
        --a; // one point beyond each edge, so lines run to the border
    if (b < xs.size())
        ++b;
    return {a, b};
}

} // namespace

CurvesView::CurvesView(QWidget *parent)
    : QWidget(parent)
{
    buildLossChart();
    buildAccuracyChart();
    buildEconomyChart();

    smoothingSlider_ = new QSlider(Qt::Horizontal);
    smoothingSlider_->setRange(0, 999);
    smoothingSlider_->setValue(static_cast<int>(std::lround(smoothing_ * 1000)));
    smoothingSlider_->setMaximumWidth(160);
    smoothingSlider_->setToolTip(tr("Smoothing of the mini-batch curves: weight of the past in a debiased exponential "
                                    "moving average\nover the full-resolution data (0: raw, 0.999: very smooth)."));
    smoothingLabel_ = new QLabel;
    smoothingLabel_->setMinimumWidth(36);
    logCheck_ = new QCheckBox(tr("Log loss"));
    logCheck_->setToolTip(tr("Logarithmic loss axis (View > Log-scale loss, Ctrl+L)"));
    resetZoomButton_ = new QToolButton;
    resetZoomButton_->setText(tr("Reset zoom"));
    resetZoomButton_->setToolTip(tr("Back to the automatic range that follows the run (Ctrl+0)"));
    resetZoomButton_->setEnabled(false);
    readout_ = new QLabel;
    readout_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    readout_->setToolTip(tr("Values under the mouse pointer"));
    readout_->setMinimumWidth(100);
    readout_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);

    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(4, 0, 4, 0);
    auto *smoothingTitle = new QLabel(tr("Smoothing"));
    smoothingTitle->setToolTip(smoothingSlider_->toolTip());
    controls->addWidget(smoothingTitle);
    controls->addWidget(smoothingSlider_);
    controls->addWidget(smoothingLabel_);
    controls->addSpacing(8);
    controls->addWidget(logCheck_);
    controls->addWidget(resetZoomButton_);
    controls->addSpacing(8);
    controls->addWidget(readout_, 1);

    auto *charts = new QSplitter(Qt::Horizontal);
    charts->setChildrenCollapsible(false);
    charts->addWidget(lossView_);
    charts->addWidget(accuracyView_);
    charts->addWidget(economyView_);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(controls);
    layout->addWidget(charts, 1);

    connect(smoothingSlider_, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 1000.0); });
    connect(logCheck_, &QCheckBox::toggled, this, &CurvesView::setLogScale);
    connect(resetZoomButton_, &QToolButton::clicked, this, &CurvesView::resetZoom);
    connect(lossView_, &CurvesChartView::zoomed, this, &CurvesView::onZoomed);
    connect(accuracyView_, &CurvesChartView::zoomed, this, &CurvesView::onZoomed);
    connect(lossView_, &CurvesChartView::hovered, this, &CurvesView::showLossReadout);
    connect(accuracyView_, &CurvesChartView::hovered, this, &CurvesView::showAccuracyReadout);
    connect(lossView_, &CurvesChartView::left, readout_, &QLabel::clear);
    connect(accuracyView_, &CurvesChartView::left, readout_, &QLabel::clear);
    smoothingLabel_->setText(QString::number(smoothing_, 'f', 3));
    refresh();
}

CurvesView::~CurvesView()
{
    // The loss axis that is not on the chart (linear or log, whichever is switched off) has no
    // owner: QChart::removeAxis hands ownership back to us.
    const QList<QAbstractAxis *> attached = lossChart_->axes();
    for (QAbstractAxis *axis : {static_cast<QAbstractAxis *>(lossYLinear_), static_cast<QAbstractAxis *>(lossYLog_)})
        if (axis && !attached.contains(axis))
            delete axis;
}

void CurvesView::buildLossChart()
{
    lossChart_ = makeChart(tr("Training loss"));
    rawLoss_ = makeSeries(tr("batch"), kRawColor, 1.0, false);
    smoothedLoss_ = makeSeries(tr("smoothed"), kSmoothColor, 2.0, false);
    epochTrainLoss_ = makeSeries(tr("train"), kTrainColor, 2.0, true);
    epochTestLoss_ = makeSeries(tr("test"), kTestColor, 2.0, true, Qt::DashLine);
    for (QLineSeries *s : {rawLoss_, smoothedLoss_, epochTrainLoss_, epochTestLoss_})
        lossChart_->addSeries(s);
    lossX_ = new QValueAxis;
    styleAxis(lossX_, tr("epoch"));
    lossX_->setLabelFormat("%.3g");
    lossYLinear_ = new QValueAxis;
    styleAxis(lossYLinear_, tr("cross-entropy loss"));
    lossYLinear_->setLabelFormat("%.3g");
    lossYLog_ = new QLogValueAxis;
    styleAxis(lossYLog_, tr("cross-entropy loss (log)"));
    lossYLog_->setLabelFormat("%.3g");
    lossYLog_->setBase(10);
    lossYLog_->setMinorTickCount(8);
    lossYLog_->setMinorGridLineColor(QColor(240, 240, 240));
    lossChart_->addAxis(lossX_, Qt::AlignBottom);
    lossChart_->addAxis(lossYLinear_, Qt::AlignLeft);
    for (QAbstractSeries *s : lossChart_->series()) {
        s->attachAxis(lossX_);
        s->attachAxis(lossYLinear_);
    }
    rawLossItem_ = new DenseCurveItem(lossChart_, rawLoss_);
    smoothedLossItem_ = new DenseCurveItem(lossChart_, smoothedLoss_); // after: on top of the envelope
    connect(lossChart_, &QChart::plotAreaChanged, this, [this](const QRectF &area) {
        rawLossItem_->setPlotArea(area);
        smoothedLossItem_->setPlotArea(area);
    });
    // A range change that refresh() did not make (the chart view's rubber band) moves the curves.
    const auto repaintLoss = [this] {
        rawLossItem_->update();
        smoothedLossItem_->update();
    };
    connect(lossX_, &QValueAxis::rangeChanged, this, repaintLoss);
    connect(lossYLinear_, &QValueAxis::rangeChanged, this, repaintLoss);
    connect(lossYLog_, &QLogValueAxis::rangeChanged, this, repaintLoss);
    lossView_ = new CurvesChartView(lossChart_);
    lossView_->setObjectName(QStringLiteral("lossChart"));
    lossView_->setMinimumSize(260, 180);
}

void CurvesView::buildAccuracyChart()
{
    accuracyChart_ = makeChart(tr("Accuracy"));
    smoothedAccuracy_ = makeSeries(tr("batch (smoothed)"), kRawColor.darker(115), 1.5, false);
    epochTrainAccuracy_ = makeSeries(tr("train"), kTrainColor, 2.0, true);
    epochValidationAccuracy_ = makeSeries(tr("val."), kValidationColor, 1.5, true, Qt::DashLine);
    epochTestAccuracy_ = makeSeries(tr("test"), kTestColor, 2.5, true);
    for (QLineSeries *s : {smoothedAccuracy_, epochTrainAccuracy_, epochValidationAccuracy_, epochTestAccuracy_})
        accuracyChart_->addSeries(s);
    accuracyX_ = new QValueAxis;
    styleAxis(accuracyX_, tr("epoch"));
    accuracyX_->setLabelFormat("%.3g");
    accuracyY_ = new QValueAxis;
    styleAxis(accuracyY_, tr("accuracy (%)"));
    accuracyY_->setLabelFormat("%.0f");
    accuracyChart_->addAxis(accuracyX_, Qt::AlignBottom);
    accuracyChart_->addAxis(accuracyY_, Qt::AlignLeft);
    for (QAbstractSeries *s : accuracyChart_->series()) {
        s->attachAxis(accuracyX_);
        s->attachAxis(accuracyY_);
    }
    smoothedAccuracyItem_ = new DenseCurveItem(accuracyChart_, smoothedAccuracy_);
    connect(accuracyChart_, &QChart::plotAreaChanged, this,
            [this](const QRectF &area) { smoothedAccuracyItem_->setPlotArea(area); });
    connect(accuracyX_, &QValueAxis::rangeChanged, this, [this] { smoothedAccuracyItem_->update(); });
    connect(accuracyY_, &QValueAxis::rangeChanged, this, [this] { smoothedAccuracyItem_->update(); });
    accuracyView_ = new CurvesChartView(accuracyChart_);
    accuracyView_->setObjectName(QStringLiteral("accuracyChart"));
    accuracyView_->setMinimumSize(260, 180);
}

// Spike economy per epoch on the test set (docs/MODEL.md, "Loss and regularisers"): when the
// network decides (mean time of the first output spike) and how many hidden neurons fire per
// digit (each at most once), on two axes.
void CurvesView::buildEconomyChart()
{
    economyChart_ = makeChart(tr("Spike economy (test set)"));
    decisionTime_ = makeSeries(tr("decision time"), kTestColor, 2.0, true);
    spikesPerNeuron_ = makeSeries(tr("hidden spikes / neuron"), kTrainColor, 2.0, true, Qt::DashLine);
    economyChart_->addSeries(decisionTime_);
    economyChart_->addSeries(spikesPerNeuron_);
    economyX_ = new QValueAxis;
    styleAxis(economyX_, tr("epoch"));
    economyX_->setLabelFormat("%.3g");
    decisionY_ = new QValueAxis;
    styleAxis(decisionY_, tr("first output spike t (\u03c4)"));
    decisionY_->setLabelFormat("%.2g");
    spikesY_ = new QValueAxis;
    styleAxis(spikesY_, tr("spikes per hidden neuron"));
    spikesY_->setLabelFormat("%.2g");
    spikesY_->setRange(0, 1.2); // 1: every hidden neuron fires (each at most once)
    spikesY_->setTickCount(7);  // 0, 0.2, ... 1.2
    economyChart_->addAxis(economyX_, Qt::AlignBottom);
    economyChart_->addAxis(decisionY_, Qt::AlignLeft);
    economyChart_->addAxis(spikesY_, Qt::AlignRight);
    decisionTime_->attachAxis(economyX_);
    decisionTime_->attachAxis(decisionY_);
    spikesPerNeuron_->attachAxis(economyX_);
    spikesPerNeuron_->attachAxis(spikesY_);
    economyView_ = new CurvesChartView(economyChart_);
    economyView_->setObjectName(QStringLiteral("economyChart"));
    economyView_->setMinimumSize(220, 180);
}

QWidget *CurvesView::lossChart() const { return lossView_; }
QWidget *CurvesView::economyChart() const { return economyView_; }
QWidget *CurvesView::accuracyChart() const { return accuracyView_; }
QString CurvesView::readout() const { return readout_->text(); }

int CurvesView::displayedLossPoints() const
{
    return static_cast<int>(rawLossItem_->points().size() + smoothedLossItem_->points().size());
}

int CurvesView::displayedAccuracyPoints() const
{
    return static_cast<int>(smoothedAccuracyItem_->points().size() + epochTrainAccuracy_->count()
                            + epochValidationAccuracy_->count() + epochTestAccuracy_->count());
}

void CurvesView::clear()
{
    batchX_.clear();
    batchLoss_.clear();
    batchAccuracy_.clear();
    smoothLoss_.clear();
    smoothAccuracy_.clear();
    emaLoss_ = emaAccuracy_ = 0;
    emaBiasPower_ = 1;
    history_.clear();
    zoomed_ = false;
    resetZoomButton_->setEnabled(false);
    readout_->clear();
    dirty_ = true;
}

void CurvesView::appendBatches(const std::vector<BatchPoint> &batches)
{
    if (batches.empty())
        return;
    for (const BatchPoint &b : batches) {
        if (!batchX_.empty() && b.epochPosition < batchX_.back())
            continue; // keeps x sorted for the binary searches
        batchX_.push_back(b.epochPosition);
        batchLoss_.push_back(b.loss);
        batchAccuracy_.push_back(100.0 * b.accuracy);
    }
    recomputeSmoothed(smoothLoss_.size());
    dirty_ = true;
}

void CurvesView::setHistory(const std::vector<EpochMetrics> &history)
{
    if (history.size() == history_.size())
        return; // an epoch's metrics never change once recorded
    history_ = history;
    dirty_ = true;
}

void CurvesView::recomputeSmoothed(std::size_t from)
{
    // Debiased EMA (as TensorBoard's smoothing): s_n = b s_(n-1) + (1 - b) x_n, shown as
    // s_n / (1 - b^n), so the first points are not pulled towards zero.
    if (from == 0) {
        smoothLoss_.clear();
        smoothAccuracy_.clear();
        emaLoss_ = emaAccuracy_ = 0;
        emaBiasPower_ = 1;
    }
    const double b = smoothing_;
    for (std::size_t i = from; i < batchLoss_.size(); ++i) {
        emaLoss_ = b * emaLoss_ + (1 - b) * batchLoss_[i];
        emaAccuracy_ = b * emaAccuracy_ + (1 - b) * batchAccuracy_[i];
        emaBiasPower_ *= b;
        const double debias = 1 - emaBiasPower_;
        smoothLoss_.push_back(debias > 0 ? emaLoss_ / debias : batchLoss_[i]);
        smoothAccuracy_.push_back(debias > 0 ? emaAccuracy_ / debias : batchAccuracy_[i]);
    }
}

void CurvesView::setSmoothing(double smoothing)
{
    smoothing = std::clamp(smoothing, 0.0, 0.999);
    if (smoothing == smoothing_)
        return;
    smoothing_ = smoothing;
    const QSignalBlocker block(smoothingSlider_);
    smoothingSlider_->setValue(static_cast<int>(std::lround(smoothing_ * 1000)));
    smoothingLabel_->setText(QString::number(smoothing_, 'f', 3));
    recomputeSmoothed(0);
    dirty_ = true;
    refresh();
    Q_EMIT smoothingChanged(smoothing_);
}

void CurvesView::setLogScale(bool on)
{
    if (on == logScale_)
        return;
    logScale_ = on;
    {
        const QSignalBlocker block(logCheck_);
        logCheck_->setChecked(on);
    }
    QAbstractAxis *oldAxis = on ? static_cast<QAbstractAxis *>(lossYLinear_) : lossYLog_;
    QAbstractAxis *newAxis = on ? static_cast<QAbstractAxis *>(lossYLog_) : lossYLinear_;
    for (QAbstractSeries *s : lossChart_->series())
        s->detachAxis(oldAxis);
    lossChart_->removeAxis(oldAxis); // keeps ownership with us; re-added on the next toggle
    oldAxis->setParent(this);
    lossChart_->addAxis(newAxis, Qt::AlignLeft);
    for (QAbstractSeries *s : lossChart_->series())
        s->attachAxis(newAxis);
    dirty_ = true;
    const bool wasZoomed = zoomed_;
    zoomed_ = false; // the y range of the other scale means nothing here
    refresh();
    zoomed_ = wasZoomed;
    rawLossItem_->update(); // another mapping, even where the points and the range stay
    smoothedLossItem_->update();
    Q_EMIT logScaleChanged(on);
}

void CurvesView::setLiveRendering(bool live)
{
    // While training, frames come 25 times a second and every millisecond of drawing is taken
    // from the training threads; a paused or finished run (and every export) is drawn with
    // antialiasing and the normal pens.
    live_ = live;
    for (CurvesChartView *v : {lossView_, accuracyView_, economyView_})
        v->setRenderHint(QPainter::Antialiasing, !live);
    // The views fill the background themselves (CurvesChartView::drawBackground); the chart's
    // background item would fill the same pixels again, through Qt's threaded span fill.
    lossChart_->setBackgroundVisible(!live);
    accuracyChart_->setBackgroundVisible(!live);
    economyChart_->setBackgroundVisible(!live);
    // Grid and axis lines are QGraphicsLineItems, whose boundingRect() strokes the line into a
    // path for any pen width but 0; the scene asks for it on every repaint. Width 0 (a one-pixel
    // cosmetic line, the same on screen) while live.
    for (QAbstractAxis *axis : {static_cast<QAbstractAxis *>(lossX_), static_cast<QAbstractAxis *>(lossYLinear_),
                                static_cast<QAbstractAxis *>(lossYLog_), static_cast<QAbstractAxis *>(accuracyX_),
                                static_cast<QAbstractAxis *>(accuracyY_)}) {
        for (auto [get, set] : {std::pair{&QAbstractAxis::gridLinePen, &QAbstractAxis::setGridLinePen},
                                std::pair{&QAbstractAxis::minorGridLinePen, &QAbstractAxis::setMinorGridLinePen},
                                std::pair{&QAbstractAxis::linePen, &QAbstractAxis::setLinePen}}) {
            QPen pen = (axis->*get)();
            pen.setWidthF(live ? 0.0 : 1.0);
            (axis->*set)(pen);
        }
    }
    lossView_->viewport()->update();
    accuracyView_->viewport()->update();
    economyView_->viewport()->update();
}

void CurvesView::resetZoom()
{
    zoomed_ = false;
    resetZoomButton_->setEnabled(false);
    dirty_ = true;
    refresh();
}

void CurvesView::onZoomed()
{
    zoomed_ = true;
    resetZoomButton_->setEnabled(true);
    dirty_ = true;
    refresh(); // re-decimate for the new visible range
}

// Both decimations bin by x, on bins fixed by the visible range (one per two or three pixels):
// while the axes stay put, new mini-batches change only the last bins, so the curve does not
// shimmer from frame to frame and only its right end needs repainting (DenseCurveItem).
namespace {
int binOf(double x, double x0, double x1, int bins)
{
    // Clamped as a double: the point beyond each edge can lie many ranges away when zoomed in.
    const double bin = std::floor((x - x0) / (x1 - x0) * bins);
    return static_cast<int>(std::clamp(bin, 0.0, static_cast<double>(bins - 1)));
}
} // namespace

QList<QPointF> CurvesView::decimateEnvelope(const std::vector<double> &ys, double x0, double x1, int buckets) const
{
    QList<QPointF> out;
    const auto [a, b] = visibleRange(batchX_, x0, x1);
    const std::size_t n = b - a;
    if (n <= static_cast<std::size_t>(2 * buckets) || !(x1 > x0)) {
        out.reserve(static_cast<qsizetype>(n));
        for (std::size_t i = a; i < b; ++i)
            out.append(QPointF(batchX_[i], ys[i]));
        return out;
    }
    // Min and max of each bin, in x order: the envelope survives, single spikes too.
    out.reserve(2 * buckets + 2);
    for (std::size_t s = a; s < b;) {
        const int bin = binOf(batchX_[s], x0, x1, buckets);
        std::size_t lo = s, hi = s, e = s + 1;
        for (; e < b && binOf(batchX_[e], x0, x1, buckets) == bin; ++e) {
            if (ys[e] < ys[lo])
                lo = e;
            if (ys[e] > ys[hi])
                hi = e;
        }
        const std::size_t first = std::min(lo, hi), second = std::max(lo, hi);
        out.append(QPointF(batchX_[first], ys[first]));
        if (second != first)
            out.append(QPointF(batchX_[second], ys[second]));
        s = e;
    }
    return out;
}

QList<QPointF> CurvesView::decimateMean(const std::vector<double> &ys, double x0, double x1, int buckets) const
{
    QList<QPointF> out;
    const auto [a, b] = visibleRange(batchX_, x0, x1);
    const std::size_t n = b - a;
    if (n <= static_cast<std::size_t>(buckets) || !(x1 > x0)) {
        out.reserve(static_cast<qsizetype>(n));
        for (std::size_t i = a; i < b; ++i)
            out.append(QPointF(batchX_[i], ys[i]));
        return out;
    }
    // The first and last points themselves, so the curve runs to its ends; the mean of each bin
    // between.
    out.reserve(buckets + 2);
    out.append(QPointF(batchX_[a], ys[a]));
    for (std::size_t s = a; s < b;) {
        const int bin = binOf(batchX_[s], x0, x1, buckets);
        double sx = 0, sy = 0;
        std::size_t e = s;
        for (; e < b && binOf(batchX_[e], x0, x1, buckets) == bin; ++e) {
            sx += batchX_[e];
            sy += ys[e];
        }
        const double c = static_cast<double>(e - s);
        out.append(QPointF(sx / c, sy / c));
        s = e;
    }
    out.append(QPointF(batchX_[b - 1], ys[b - 1]));
    return out;
}

void CurvesView::repaintWholeChartsIfDue()
{
    if (fullRepaints_ <= 0)
        return;
    --fullRepaints_;
    lossView_->viewport()->update();
    accuracyView_->viewport()->update();
}

void CurvesView::refresh()
{
    if (!dirty_) {
        repaintWholeChartsIfDue(); // the frame after an epoch-series change, even without new data
        return;
    }
    dirty_ = false;

    // Automatic x range: from 0 to a round number just past the data.
    double dataMaxX = batchX_.empty() ? 0.0 : batchX_.back();
    if (!history_.empty())
        dataMaxX = std::max(dataMaxX, static_cast<double>(history_.back().epoch));
    // The first epoch fills a 0..1 axis; later the axis grows in round steps. A range change
    // re-lays out the chart's axes and labels (the costliest part of a refresh), so ranges
    // change only when the data leaves them.
    const double autoMaxX = dataMaxX <= 1.0 ? 1.0 : niceCeil(dataMaxX * 1.04);
    double lx0 = 0, lx1 = autoMaxX, ax0 = 0, ax1 = autoMaxX;
    if (zoomed_) {
        lx0 = lossX_->min();
        lx1 = lossX_->max();
        ax0 = accuracyX_->min();
        ax1 = accuracyX_->max();
    }

    // The envelope gets a min and a max per two pixels of the plot area, the smoothed curves a
    // point per three: finer detail is invisible and every point costs painting time.
    const int lossBuckets = std::clamp(static_cast<int>(lossChart_->plotArea().width()) / 2, 50, 1000);
    const int smoothBuckets = std::clamp(static_cast<int>(lossChart_->plotArea().width()) / 3, 50, 700);
    const int accuracyBuckets = std::clamp(static_cast<int>(accuracyChart_->plotArea().width()) / 3, 50, 700);
    QList<QPointF> raw = decimateEnvelope(batchLoss_, lx0, lx1, lossBuckets);
    QList<QPointF> smooth = decimateMean(smoothLoss_, lx0, lx1, smoothBuckets);
    QList<QPointF> smoothAcc = decimateMean(smoothAccuracy_, ax0, ax1, accuracyBuckets);
    QList<QPointF> trainLoss, testLoss, trainAcc, validationAcc, testAcc;
    for (const EpochMetrics &m : history_) {
        if (std::isfinite(m.trainLoss))
            trainLoss.append(QPointF(m.epoch, m.trainLoss));
        if (std::isfinite(m.testLoss))
            testLoss.append(QPointF(m.epoch, m.testLoss));
        if (std::isfinite(m.trainAccuracy))
            trainAcc.append(QPointF(m.epoch, 100 * m.trainAccuracy));
        if (std::isfinite(m.validationAccuracy))
            validationAcc.append(QPointF(m.epoch, 100 * m.validationAccuracy));
        if (std::isfinite(m.testAccuracy))
            testAcc.append(QPointF(m.epoch, 100 * m.testAccuracy));
    }

    if (logScale_) {
        // A log axis cannot show zero: clamp tiny losses (a fully fitted batch) to a floor.
        auto clampPositive = [](QList<QPointF> &pts) {
            for (QPointF &p : pts)
                p.setY(std::max(p.y(), 1e-4));
        };
        clampPositive(raw);
        clampPositive(smooth);
        clampPositive(trainLoss);
        clampPositive(testLoss);
    }

    QList<double> epochXs;
    for (const EpochMetrics &m : history_)
        epochXs.append(m.epoch);
    for (DenseCurveItem *item : {rawLossItem_, smoothedLossItem_, smoothedAccuracyItem_})
        item->setMarkerXs(epochXs);
    rawLossItem_->setPoints(raw);
    smoothedLossItem_->setPoints(smooth);
    smoothedAccuracyItem_->setPoints(smoothAcc);
    // Epoch series change once an epoch: replacing them every frame would only cost time.
    bool epochSeriesChanged = false;
    auto replaceIfChanged = [&epochSeriesChanged](QLineSeries *series, const QList<QPointF> &points) {
        if (series->points() != points) {
            series->replace(points);
            epochSeriesChanged = true;
        }
    };
    replaceIfChanged(epochTrainLoss_, trainLoss);
    replaceIfChanged(epochTestLoss_, testLoss);
    replaceIfChanged(epochTrainAccuracy_, trainAcc);
    replaceIfChanged(epochValidationAccuracy_, validationAcc);
    replaceIfChanged(epochTestAccuracy_, testAcc);
    QList<QPointF> decision, spikes;
    double latest = 0.0;
    for (const EpochMetrics &m : history_) {
        if (std::isfinite(m.meanDecisionTime)) {
            decision.append(QPointF(m.epoch, m.meanDecisionTime));
            latest = std::max(latest, m.meanDecisionTime);
        }
        if (std::isfinite(m.hiddenSpikesPerNeuron))
            spikes.append(QPointF(m.epoch, m.hiddenSpikesPerNeuron));
    }
    replaceIfChanged(decisionTime_, decision);
    replaceIfChanged(spikesPerNeuron_, spikes);
    economyX_->setRange(0, autoMaxX);
    economyX_->setTickCount(niceTickCount(autoMaxX));
    { // from 0 to a whole number of nice steps above the latest decision time (0, 0.5, ... 2)
        const double top = latest > 0.0 ? 1.15 * latest : 1.0;
        const double step = niceStep(top, 5);
        const int intervals = std::max(1, static_cast<int>(std::ceil(top / step - 1e-9)));
        decisionY_->setRange(0, intervals * step);
        decisionY_->setTickCount(intervals + 1);
    }
    // Qt Charts repaints a replaced series within bounds that can trail its new geometry, which
    // the full-plot repaint of every frame used to hide; the dense curves now repaint a strip
    // (DenseCurveItem), so a frame in which the epoch series change, and the one after it,
    // repaint the whole charts.
    if (epochSeriesChanged)
        fullRepaints_ = 2;
    repaintWholeChartsIfDue();

    if (!zoomed_) {
        lossX_->setRange(0, autoMaxX);
        lossX_->setTickCount(niceTickCount(autoMaxX));
        accuracyX_->setRange(0, autoMaxX);
        accuracyX_->setTickCount(niceTickCount(autoMaxX));

        // Loss: up to the 95th percentile of the visible mini-batch losses (the first batches'
        // large losses must not squash the curve) or the largest smoothed or epoch value.
        std::vector<double> ys;
        ys.reserve(static_cast<std::size_t>(raw.size()));
        for (const QPointF &p : raw)
            ys.push_back(p.y());
        double top = 0, bottom = std::numeric_limits<double>::infinity();
        if (!ys.empty()) {
            const std::size_t k = static_cast<std::size_t>(0.95 * (ys.size() - 1));
            std::nth_element(ys.begin(), ys.begin() + static_cast<std::ptrdiff_t>(k), ys.end());
            top = ys[k];
            bottom = *std::min_element(ys.begin(), ys.end());
        }
        for (const QList<QPointF> *list : {&trainLoss, &testLoss})
            for (const QPointF &p : *list) {
                top = std::max(top, p.y());
                bottom = std::min(bottom, p.y());
            }
        if (!smooth.isEmpty()) {
            // The smoothed curve, past its first few points (debiasing starts from one batch).
            for (qsizetype i = smooth.size() / 20; i < smooth.size(); ++i) {
                top = std::max(top, smooth[i].y());
                bottom = std::min(bottom, smooth[i].y());
            }
        }
        if (top <= 0)
            top = 2.5;
        // Hysteresis: grow as soon as the data needs it, shrink only when the data would use
        // less than half of the range (log: more than a decade less), so that the noise of the
        // mini-batch losses does not change the range every frame.
        if (logScale_) {
            // No data yet: bottom is +inf, and an infinite log range sends Qt Charts into endless recursion.
            const double lo = std::pow(10.0, std::floor(std::log10(std::isfinite(bottom) ? std::max(bottom, 1e-4) : 0.1)));
            const double hi = std::max(std::pow(10.0, std::ceil(std::log10(top * 1.05))), lo * 10);
            const double curLo = lossYLog_->min(), curHi = lossYLog_->max();
            if (lo < curLo || hi > curHi || lo > curLo * 10 * (1 + 1e-9) || hi * 10 < curHi * (1 - 1e-9))
                lossYLog_->setRange(lo, hi);
        } else {
            const double yMax = niceCeil(top * 1.05);
            const double cur = lossYLinear_->max();
            if (lossYLinear_->min() != 0 || yMax > cur || yMax < 0.5 * cur) {
                lossYLinear_->setRange(0, yMax);
                lossYLinear_->setTickCount(niceTickCount(yMax));
            }
        }

        // Accuracy: up to 100 %, down to a multiple of 10 below the lowest visible value.
        double low = 100;
        for (const QList<QPointF> *list : {&smoothAcc, &trainAcc, &validationAcc, &testAcc})
            for (const QPointF &p : *list)
                low = std::min(low, p.y());
        const double floor10 = std::clamp(std::floor((low - 2) / 10) * 10, 0.0, 90.0);
        accuracyY_->setRange(smoothAcc.isEmpty() && trainAcc.isEmpty() ? 0.0 : floor10, 100);
        accuracyY_->setTickCount(static_cast<int>((100 - accuracyY_->min()) / 10) + 1 > 11 ? 6
                                 : static_cast<int>((100 - accuracyY_->min()) / 10) + 1);
    }

    lastLossPoints_ = static_cast<int>(raw.size() + smooth.size());
    lastAccuracyPoints_ = static_cast<int>(smoothAcc.size() + trainAcc.size() + validationAcc.size() + testAcc.size());
    Q_EMIT rendered(lastLossPoints_, lastAccuracyPoints_);
}

void CurvesView::showLossReadout(QPointF value)
{
    if (batchX_.empty()) {
        readout_->clear();
        return;
    }
    auto it = std::lower_bound(batchX_.begin(), batchX_.end(), value.x());
    std::size_t i = static_cast<std::size_t>(it - batchX_.begin());
    if (i >= batchX_.size())
        i = batchX_.size() - 1;
    else if (i > 0 && std::abs(batchX_[i - 1] - value.x()) < std::abs(batchX_[i] - value.x()))
        --i;
    QString text = tr("epoch %1 · mini-batch %2: loss %3, smoothed %4")
                       .arg(batchX_[i], 0, 'f', 3)
                       .arg(i + 1)
                       .arg(batchLoss_[i], 0, 'g', 4)
                       .arg(smoothLoss_[i], 0, 'g', 4);
    const long e = std::lround(value.x());
    if (e >= 1 && e <= static_cast<long>(history_.size()) && std::abs(value.x() - e) < 0.15) {
        const EpochMetrics &m = history_[static_cast<std::size_t>(e - 1)];
        text += tr(" · epoch %1 mean: train %2, test %3").arg(e).arg(m.trainLoss, 0, 'g', 4).arg(m.testLoss, 0, 'g', 4);
    }
    readout_->setText(text);
}

void CurvesView::showAccuracyReadout(QPointF value)
{
    const long e = std::lround(value.x());
    if (e >= 1 && e <= static_cast<long>(history_.size())) {
        const EpochMetrics &m = history_[static_cast<std::size_t>(e - 1)];
        readout_->setText(tr("epoch %1: train %2 %, validation %3 %, test %4 %")
                              .arg(e)
                              .arg(100 * m.trainAccuracy, 0, 'f', 2)
                              .arg(100 * m.validationAccuracy, 0, 'f', 2)
                              .arg(100 * m.testAccuracy, 0, 'f', 2));
        return;
    }
    if (batchX_.empty()) {
        readout_->clear();
        return;
    }
    auto it = std::lower_bound(batchX_.begin(), batchX_.end(), value.x());
    const std::size_t i = std::min(static_cast<std::size_t>(it - batchX_.begin()), batchX_.size() - 1);
    readout_->setText(tr("epoch %1: mini-batch accuracy, smoothed %2 %").arg(batchX_[i], 0, 'f', 3).arg(smoothAccuracy_[i], 0, 'f', 1));
}

} // namespace firstspike
