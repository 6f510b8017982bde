#include "ui/inspect/MembranePotentialView.h"

#include "ui/plot/NiceTicks.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {
const QColor kCurve(31, 119, 180);
const QColor kThreshold(214, 39, 40);
const QColor kSpike(44, 160, 44);
const QColor kExcite(214, 39, 40);
const QColor kInhibit(33, 102, 172);

} // namespace

MembranePotentialView::MembranePotentialView(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("Membrane potential V(t) of the selected neuron from its closed form\n"
                  "V(t) = Σ_{t_i < t} w_i (1 − e^{−(t − t_i)}); it spikes where V first reaches θ.\n"
                  "Ticks below the axis: input arrivals (red excitatory, blue inhibitory for the causal set; grey after the spike)."));
}

void MembranePotentialView::setTrace(std::shared_ptr<const MembraneTrace> trace, const QString &title, double maxTime,
                                     int sampleIndex, quint64 entryId)
{
    trace_ = std::move(trace);
    title_ = title;
    maxTime_ = maxTime;
    sampleIndex_ = sampleIndex;
    entryId_ = entryId;
    update();
}

void MembranePotentialView::clear()
{
    trace_.reset();
    sampleIndex_ = -1;
    entryId_ = 0;
    update();
}

double MembranePotentialView::crossingTime() const
{
    return trace_ ? trace_->firstCrossing(maxTime_) : kSilent;
}

void MembranePotentialView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    const QColor text = palette().color(QPalette::WindowText);
    const QColor faint(110, 110, 110);
    QFont base = font();
    base.setPointSizeF(8.5);
    QFont bold = base;
    bold.setBold(true);
    p.setFont(base);
    const QFontMetrics fm(base);
    if (!trace_) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("Click a hidden or output spike in the raster\nto plot its V(t)"));
        return;
    }
    const MembraneTrace &tr_ = *trace_;
    const bool fired = std::isfinite(tr_.spikeTime);

    // Time range: to a little after the spike (or the last arrival if silent).
    double tEnd = fired ? tr_.spikeTime : 0.0;
    for (double t : tr_.times)
        if (!fired)
            tEnd = std::max(tEnd, t);
    tEnd = std::min(maxTime_, std::max(1.0, tEnd * 1.35 + 0.2));
    const int samples = std::max(200, width());
    std::vector<double> v(static_cast<std::size_t>(samples + 1));
    double vMin = 0, vMax = tr_.threshold;
    for (int s = 0; s <= samples; ++s) {
        v[static_cast<std::size_t>(s)] = tr_.potential(tEnd * s / samples);
        vMin = std::min(vMin, v[static_cast<std::size_t>(s)]);
        vMax = std::max(vMax, v[static_cast<std::size_t>(s)]);
    }
    vMax += 0.12 * (vMax - vMin);
    vMin -= 0.05 * (vMax - vMin);

    const int left = 14 + fm.horizontalAdvance(QStringLiteral("-0.00")) + fm.height();
    const QRect plot = rect().adjusted(left, 2 * fm.height() + 8, -12, -(3 * fm.height() + 14));
    auto xOf = [&](double t) { return plot.left() + t / tEnd * plot.width(); };
    auto yOf = [&](double value) { return plot.bottom() - (value - vMin) / (vMax - vMin) * plot.height(); };

    // Title and legend.
    p.setFont(bold);
    p.setPen(text);
    p.drawText(QPoint(6, 4 + fm.ascent()), tr("Membrane potential of %1").arg(title_));
    p.setFont(base);
    p.setPen(faint);
    const QString sub = fired ? tr("spike at t = %1 · causal set %2 of %3 arrivals (bias incl.)")
                                    .arg(tr_.spikeTime, 0, 'f', 4)
                                    .arg(tr_.causalSetSize)
                                    .arg(tr_.arrivals())
                              : tr("silent: V(t) never reaches θ before t = %1").arg(maxTime_, 0, 'g', 3);
    p.drawText(QPoint(6, 4 + fm.height() + fm.ascent()), sub);

    // Axes and grid.
    p.setPen(QColor(230, 230, 230));
    const double vStep = niceStep(vMax - vMin, 5);
    for (double y = std::ceil(vMin / vStep) * vStep; y <= vMax; y += vStep)
        p.drawLine(QPointF(plot.left(), yOf(y)), QPointF(plot.right(), yOf(y)));
    const double tStep = niceStep(tEnd, 6);
    for (double t = 0; t <= tEnd + 1e-9; t += tStep)
        p.drawLine(QPointF(xOf(t), plot.top()), QPointF(xOf(t), plot.bottom()));
    p.setPen(faint);
    p.drawRect(plot);
    for (double y = std::ceil(vMin / vStep) * vStep; y <= vMax; y += vStep)
        p.drawText(QRectF(plot.left() - 44, yOf(y) - fm.height() / 2.0, 40, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(std::abs(y) < 1e-12 ? 0.0 : y, 'g', 3));
    for (double t = 0; t <= tEnd + 1e-9; t += tStep)
        p.drawText(QRectF(xOf(t) - 30, plot.bottom() + 12, 60, fm.height()), Qt::AlignHCenter | Qt::AlignTop,
                   QString::number(t, 'g', 3));
    p.setPen(text);
    p.drawText(QRect(plot.left(), plot.bottom() + 12 + fm.height(), plot.width(), fm.height()), Qt::AlignHCenter,
               tr("t (units of τ)"));
    p.save();
    p.translate(4 + fm.ascent(), plot.center().y());
    p.rotate(-90);
    p.drawText(QRect(-plot.height() / 2, -fm.ascent(), plot.height(), fm.height()), Qt::AlignCenter, tr("V(t)"));
    p.restore();

    // Input arrivals below the axis: causal set by weight sign, later arrivals grey.
    for (int k = 0; k < tr_.arrivals(); ++k) {
        const double t = tr_.times[static_cast<std::size_t>(k)];
        if (t > tEnd)
            break;
        const bool causal = k < tr_.causalSetSize;
        QColor c = causal ? (tr_.weights[static_cast<std::size_t>(k)] >= 0 ? kExcite : kInhibit) : QColor(180, 180, 180);
        c.setAlpha(causal ? 150 : 110);
        p.setPen(c);
        p.drawLine(QPointF(xOf(t), plot.bottom() + 2), QPointF(xOf(t), plot.bottom() + 9));
    }

    p.setRenderHint(QPainter::Antialiasing, true);
    p.setClipRect(plot);
    // Threshold.
    p.setPen(QPen(kThreshold, 1.3, Qt::DashLine));
    p.drawLine(QPointF(plot.left(), yOf(tr_.threshold)), QPointF(plot.right(), yOf(tr_.threshold)));
    // V(t).
    QPainterPath path;
    for (int s = 0; s <= samples; ++s) {
        const QPointF pt(xOf(tEnd * s / samples), yOf(v[static_cast<std::size_t>(s)]));
        if (s == 0)
            path.moveTo(pt);
        else
            path.lineTo(pt);
    }
    p.setPen(QPen(kCurve, 1.8));
    p.drawPath(path);
    // Spike.
    if (fired) {
        const double xs = xOf(tr_.spikeTime);
        p.setPen(QPen(kSpike, 1.2, Qt::DotLine));
        p.drawLine(QPointF(xs, plot.top()), QPointF(xs, plot.bottom()));
        p.setPen(QPen(kSpike, 1.5));
        p.setBrush(kSpike);
        p.drawEllipse(QPointF(xs, yOf(tr_.threshold)), 3.5, 3.5);
    }
    p.setClipping(false);

    // Legend, top right inside the plot.
    struct Item { QColor color; Qt::PenStyle style; QString label; };
    std::vector<Item> items{{kCurve, Qt::SolidLine, tr("V(t)")}, {kThreshold, Qt::DashLine, tr("θ = %1").arg(tr_.threshold, 0, 'g', 3)}};
    if (fired)
        items.push_back({kSpike, Qt::DotLine, tr("spike")});
    int lw = 0;
    for (const Item &i : items)
        lw = std::max(lw, fm.horizontalAdvance(i.label));
    // Upper left: V starts at 0 and rises towards theta, so that corner is usually free.
    const QRect legend(plot.left() + 6, plot.top() + 4, lw + 32, static_cast<int>(items.size()) * fm.height() + 6);
    p.setPen(QColor(200, 200, 200));
    p.setBrush(QColor(255, 255, 255, 230));
    p.drawRect(legend);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const int y = legend.top() + 3 + static_cast<int>(i) * fm.height() + fm.height() / 2;
        p.setPen(QPen(items[i].color, 1.8, items[i].style));
        p.drawLine(legend.left() + 4, y, legend.left() + 22, y);
        p.setPen(text);
        p.drawText(QPoint(legend.left() + 27, y + fm.ascent() / 2 - 1), items[i].label);
    }
}

} // namespace firstspike
