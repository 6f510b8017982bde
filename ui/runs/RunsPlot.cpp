#include "ui/runs/RunsPlot.h"

#include "ui/plot/NiceTicks.h"

#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QRectF>

#include <algorithm>
#include <cmath>
#include <limits>

namespace firstspike {

namespace {

struct Range {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    void add(double v)
    {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    bool valid() const { return lo <= hi; }
};

QString tickText(double v, double step)
{
    if (std::abs(v) < step * 1e-9)
        v = 0;
    const int decimals = step >= 1 ? 0 : std::min(6, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    if (std::abs(v) >= 1e5 || (v != 0 && std::abs(v) < 1e-4))
        return QString::number(v, 'g', 3);
    return QString::number(v, 'f', decimals);
}

const QColor kFrontColor(40, 40, 40);
const QColor kOtherColor(175, 175, 175);

} // namespace

bool RunsPlot::isEmpty() const
{
    for (const RunsPlotSeries &s : lines)
        for (const QPointF &p : s.points)
            if (std::isfinite(p.x()) && std::isfinite(p.y()) && (!logY || p.y() > 0))
                return false;
    for (const RunsPlotMarker &m : markers)
        if (std::isfinite(m.point.x()) && std::isfinite(m.point.y()) && (!logY || m.point.y() > 0))
            return false;
    return true;
}

void RunsPlot::paint(QPainter &p, const QRectF &rect) const
{
    p.save();
    p.setRenderHint(QPainter::Antialiasing, true);
    p.fillRect(rect, Qt::white);
    QFont font = p.font();
    font.setPixelSize(12);
    p.setFont(font);
    QFont titleFont = font;
    titleFont.setBold(true);
    titleFont.setPixelSize(13);
    const QFontMetricsF fm(font);
    const QFontMetricsF tfm(titleFont);

    const double pad = 8;
    QRectF area = rect.adjusted(pad, pad, -pad, -pad);
    p.setPen(Qt::black);
    p.setFont(titleFont);
    p.drawText(QRectF(area.left(), area.top(), area.width(), tfm.height()), Qt::AlignHCenter | Qt::AlignVCenter,
               tfm.elidedText(title, Qt::ElideRight, area.width()));
    p.setFont(font);
    area.setTop(area.top() + tfm.height() + 6);

    if (isEmpty()) {
        p.setPen(QColor(110, 110, 110));
        p.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, emptyText);
        p.restore();
        return;
    }

    auto usable = [&](const QPointF &q) {
        return std::isfinite(q.x()) && std::isfinite(q.y()) && (!logY || q.y() > 0);
    };
    Range xr, yr;
    for (const RunsPlotSeries &s : lines)
        for (const QPointF &q : s.points)
            if (usable(q)) {
                xr.add(q.x());
                yr.add(logY ? std::log10(q.y()) : q.y());
            }
    for (const RunsPlotMarker &m : markers)
        if (usable(m.point)) {
            xr.add(m.point.x());
            yr.add(logY ? std::log10(m.point.y()) : m.point.y());
        }
    auto widen = [](Range &r, double rel) {
        double span = r.hi - r.lo;
        if (span <= 0)
            span = std::max(std::abs(r.hi) * 0.1, 1e-3);
        r.lo -= span * rel;
        r.hi += span * rel;
    };
    widen(xr, markers.empty() ? 0.0 : 0.06);
    widen(yr, 0.06);
    if (xr.lo == xr.hi)
        widen(xr, 0.5);
    // Values a damaged or extreme run may hold (1e308 next to 1): no axis can show them.
    if (!std::isfinite(xr.hi - xr.lo) || !std::isfinite(yr.hi - yr.lo) || !(xr.hi > xr.lo) || !(yr.hi > yr.lo)) {
        p.setPen(QColor(110, 110, 110));
        p.drawText(area, Qt::AlignCenter | Qt::TextWordWrap,
                   QCoreApplication::translate("RunsPlot", "The values span too wide a range to plot."));
        p.restore();
        return;
    }

    // The legend: a column at the right, as wide as its longest entry (at most a third).
    struct Entry {
        QString text;
        QColor color;
        int kind; // 0 line, 1 filled marker, 2 grey marker, 3 front
    };
    std::vector<Entry> legend;
    for (const RunsPlotSeries &s : lines)
        legend.push_back({s.label, s.color, 0});
    bool anyOther = false;
    for (const RunsPlotMarker &m : markers) {
        if (m.highlighted && !m.label.isEmpty())
            legend.push_back({m.label, m.color, 1});
        anyOther = anyOther || !m.highlighted;
    }
    if (anyOther)
        legend.push_back({QCoreApplication::translate("RunsPlot", "other runs"), kOtherColor, 2});
    if (!front.isEmpty())
        legend.push_back({frontLabel.isEmpty() ? QCoreApplication::translate("RunsPlot", "Pareto front") : frontLabel, kFrontColor, 3});
    double legendWidth = 0;
    for (const Entry &e : legend)
        legendWidth = std::max(legendWidth, fm.horizontalAdvance(e.text) + 30);
    // Beside the plot when that leaves it two thirds of the width and the entries fit in a third;
    // else in rows below it.
    const bool legendBelow = !legend.empty() && (area.width() < 560 || legendWidth > area.width() / 3);
    struct Placed {
        QPointF at;
        double width;
    };
    std::vector<Placed> placed;
    double legendHeight = 0;
    if (legendBelow) {
        double x = 0, y = 0;
        for (const Entry &e : legend) {
            const double w = std::min(fm.horizontalAdvance(e.text) + 30, area.width());
            if (x > 0 && x + w > area.width()) {
                x = 0;
                y += fm.height() + 4;
            }
            placed.push_back({QPointF(x, y), w});
            x += w + 10;
        }
        legendHeight = y + fm.height() + 6;
        legendWidth = 0;
    } else {
        legendWidth = std::min(legendWidth, area.width() / 3);
    }

    // Ticks.
    const int xTargets = std::max(2, static_cast<int>((area.width() - legendWidth) / 90));
    const int yTargets = std::max(2, static_cast<int>(area.height() / 45));
    const double xStep = integerX ? std::max(1.0, niceStep(xr.hi - xr.lo, xTargets)) : niceStep(xr.hi - xr.lo, xTargets);
    std::vector<double> xTicks;
    // At most 64 ticks: where the step is below the numbers' resolution, t += step stalls.
    for (double t = std::ceil(xr.lo / xStep) * xStep; t <= xr.hi + xStep * 1e-9 && xTicks.size() < 64; t += xStep)
        xTicks.push_back(t);
    std::vector<double> yTicks; // in plotted units (log10 for a log axis)
    std::vector<QString> yTexts;
    if (logY) {
        const double decades = yr.hi - yr.lo;
        const double step = std::max(1.0, std::ceil(decades / yTargets));
        for (double t = std::ceil(yr.lo); t <= yr.hi + 1e-9 && yTicks.size() < 64; t += step) {
            yTicks.push_back(t);
            yTexts.push_back(QString::number(std::pow(10.0, t), 'g', 3));
        }
        if (yTicks.size() < 2) { // less than a decade: 1-2-5 ticks
            yTicks.clear();
            yTexts.clear();
            for (double d = std::floor(yr.lo); d <= yr.hi && yTicks.size() < 64; d += 1)
                for (double m : {1.0, 2.0, 5.0}) {
                    const double t = d + std::log10(m);
                    if (t >= yr.lo && t <= yr.hi) {
                        yTicks.push_back(t);
                        yTexts.push_back(QString::number(std::pow(10.0, t), 'g', 3));
                    }
                }
        }
    } else {
        const double yStep = niceStep(yr.hi - yr.lo, yTargets);
        for (double t = std::ceil(yr.lo / yStep) * yStep; t <= yr.hi + yStep * 1e-9 && yTicks.size() < 64; t += yStep) {
            yTicks.push_back(t);
            yTexts.push_back(tickText(t, yStep));
        }
    }
    double yLabelWidth = 0;
    for (const QString &t : yTexts)
        yLabelWidth = std::max(yLabelWidth, fm.horizontalAdvance(t));

    const double left = area.left() + fm.height() + 6 + yLabelWidth + 6;
    const double bottom = area.bottom() - fm.height() - 4 - fm.height() - 4 - legendHeight;
    const double right = area.right() - (legend.empty() || legendBelow ? 0 : legendWidth + 10);
    const QRectF plot(QPointF(left, area.top() + 4), QPointF(std::max(left + 10, right), std::max(area.top() + 14, bottom)));
    auto mapX = [&](double x) { return plot.left() + (x - xr.lo) / (xr.hi - xr.lo) * plot.width(); };
    auto mapY = [&](double y) { return plot.bottom() - (y - yr.lo) / (yr.hi - yr.lo) * plot.height(); };
    auto map = [&](const QPointF &q) { return QPointF(mapX(q.x()), mapY(logY ? std::log10(q.y()) : q.y())); };

    // Grid, ticks and labels.
    p.setPen(QPen(QColor(228, 228, 228), 1));
    for (double t : xTicks)
        p.drawLine(QPointF(mapX(t), plot.top()), QPointF(mapX(t), plot.bottom()));
    for (double t : yTicks)
        p.drawLine(QPointF(plot.left(), mapY(t)), QPointF(plot.right(), mapY(t)));
    p.setPen(QPen(QColor(90, 90, 90), 1));
    p.drawRect(plot);
    p.setPen(Qt::black);
    double lastRight = -1e9;
    for (double t : xTicks) {
        const QString text = tickText(t, xStep);
        const double w = fm.horizontalAdvance(text);
        const double x = mapX(t);
        if (x - w / 2 < lastRight + 6)
            continue; // no overlapping labels
        p.drawText(QRectF(x - w / 2 - 2, plot.bottom() + 3, w + 4, fm.height()), Qt::AlignCenter, text);
        lastRight = x + w / 2;
    }
    for (std::size_t i = 0; i < yTicks.size(); ++i)
        p.drawText(QRectF(plot.left() - 6 - yLabelWidth, mapY(yTicks[i]) - fm.height() / 2, yLabelWidth, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, yTexts[i]);
    p.drawText(QRectF(plot.left(), plot.bottom() + fm.height() + 6, plot.width(), fm.height()), Qt::AlignHCenter,
               fm.elidedText(xLabel, Qt::ElideRight, plot.width()));
    p.save();
    p.translate(area.left(), plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, 0, plot.height(), fm.height()), Qt::AlignHCenter,
               fm.elidedText(yLabel + (logY ? QCoreApplication::translate("RunsPlot", " (log)") : QString()), Qt::ElideRight, plot.height()));
    p.restore();

    // Data, clipped to the plot.
    p.save();
    p.setClipRect(plot.adjusted(-1, -1, 1, 1));
    for (const RunsPlotSeries &s : lines) {
        QPainterPath path;
        bool open = false;
        for (const QPointF &q : s.points) {
            if (!usable(q)) {
                open = false;
                continue;
            }
            const QPointF at = map(q);
            if (open)
                path.lineTo(at);
            else
                path.moveTo(at);
            open = true;
        }
        p.setPen(QPen(s.color, 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        if (s.points.size() <= 60) // few points (per-epoch values): mark them
            for (const QPointF &q : s.points)
                if (usable(q)) {
                    p.setBrush(s.color);
                    p.setPen(Qt::NoPen);
                    p.drawEllipse(map(q), 2.6, 2.6);
                }
    }
    if (front.size() > 0) {
        QPainterPath stairs;
        for (int i = 0; i < front.size(); ++i) {
            const QPointF at = map(front[i]);
            if (i == 0) {
                stairs.moveTo(at);
            } else {
                stairs.lineTo(QPointF(at.x(), stairs.currentPosition().y()));
                stairs.lineTo(at);
            }
        }
        p.setPen(QPen(kFrontColor, 1.3, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawPath(stairs);
    }
    // Grey runs first, the highlighted ones on top.
    for (int pass = 0; pass < 2; ++pass)
        for (const RunsPlotMarker &m : markers) {
            if (!usable(m.point) || m.highlighted != (pass == 1))
                continue;
            const QPointF at = map(m.point);
            if (m.onFront) {
                p.setPen(QPen(kFrontColor, 1.4));
                p.setBrush(Qt::NoBrush);
                p.drawEllipse(at, 7, 7);
            }
            p.setPen(QPen(m.highlighted ? m.color.darker(140) : kOtherColor.darker(120), 1));
            p.setBrush(m.highlighted ? m.color : kOtherColor);
            p.drawEllipse(at, m.highlighted ? 4.5 : 3.5, m.highlighted ? 4.5 : 3.5);
        }
    p.restore();

    // Legend.
    double y = plot.top();
    double lx = plot.right() + 12;
    for (std::size_t i = 0; i < legend.size(); ++i) {
        const Entry &e = legend[i];
        double textWidth = legendWidth - 24;
        if (legendBelow) {
            lx = area.left() + placed[i].at.x();
            y = area.bottom() - legendHeight + 6 + placed[i].at.y();
            textWidth = placed[i].width - 24;
        }
        if (y + fm.height() > area.bottom() + 1)
            break;
        const double cy = y + fm.height() / 2;
        switch (e.kind) {
        case 0:
            p.setPen(QPen(e.color, 2.2));
            p.drawLine(QPointF(lx, cy), QPointF(lx + 18, cy));
            break;
        case 1:
        case 2:
            p.setPen(QPen(e.color.darker(140), 1));
            p.setBrush(e.color);
            p.drawEllipse(QPointF(lx + 9, cy), 4, 4);
            break;
        case 3:
            p.setPen(QPen(e.color, 1.3, Qt::DashLine));
            p.drawLine(QPointF(lx, cy), QPointF(lx + 18, cy));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(QPointF(lx + 9, cy), 6, 6);
            break;
        }
        p.setPen(Qt::black);
        p.drawText(QRectF(lx + 24, y, textWidth + 2, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                   fm.elidedText(e.text, Qt::ElideRight, textWidth + 1));
        y += fm.height() + 4;
    }
    p.restore();
}

} // namespace firstspike
