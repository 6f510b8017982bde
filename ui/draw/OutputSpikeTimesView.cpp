#include "ui/draw/OutputSpikeTimesView.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace firstspike {

OutputSpikeTimesView::OutputSpikeTimesView(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("When each output neuron fired for this digit (t in units of tau): the first one decides"));
}

void OutputSpikeTimesView::setTimes(std::vector<double> times, int predicted, double maxTime)
{
    times_ = std::move(times);
    predicted_ = predicted;
    maxTime_ = maxTime > 0 ? maxTime : 8;
    update();
}

void OutputSpikeTimesView::clear()
{
    times_.clear();
    predicted_ = -1;
    update();
}

void OutputSpikeTimesView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    // Ten rows and an axis in whatever height the pad leaves: the text shrinks to fit a row.
    QFont small = font();
    const int rowPixels = std::max(7, (height() - 8) / 11);
    if (QFontMetrics(small).height() > rowPixels)
        small.setPixelSize(std::max(7, rowPixels - 1));
    p.setFont(small);
    const QFontMetrics fm(small);
    const QColor faint(120, 120, 120);
    if (times_.empty()) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter, tr("No output spikes yet"));
        return;
    }
    const int n = static_cast<int>(times_.size());
    const int labelW = fm.horizontalAdvance(QStringLiteral("00")) + 6;
    const int valueW = fm.horizontalAdvance(tr("silent")) + 8;
    const int axisH = fm.height() + 4;
    const QRect plot(labelW, 2, std::max(10, width() - labelW - valueW - 4), std::max(10, height() - axisH - 4));
    const double row = static_cast<double>(plot.height()) / n;
    // The end of the visible axis: a little past the latest spike, at most the horizon.
    double tEnd = 0;
    for (double t : times_)
        if (std::isfinite(t))
            tEnd = std::max(tEnd, t);
    tEnd = std::min(maxTime_, std::max(1.0, std::ceil(tEnd * 1.15)));
    auto xOf = [&](double t) { return plot.left() + plot.width() * std::clamp(t / tEnd, 0.0, 1.0); };
    p.setPen(QColor(225, 225, 225));
    for (int t = 1; t < static_cast<int>(tEnd) + 1; ++t)
        p.drawLine(QPointF(xOf(t), plot.top()), QPointF(xOf(t), plot.bottom()));
    const double decision = predicted_ >= 0 && predicted_ < n ? times_[static_cast<std::size_t>(predicted_)] : -1;
    for (int k = 0; k < n; ++k) {
        const double t = times_[static_cast<std::size_t>(k)];
        const QRectF band(plot.left(), plot.top() + k * row, plot.width(), row);
        const bool winner = k == predicted_;
        p.setPen(winner ? QColor(30, 130, 50) : palette().color(QPalette::WindowText));
        QFont f = small;
        f.setBold(winner);
        p.setFont(f);
        p.drawText(QRectF(0, band.top(), labelW - 4, row), Qt::AlignRight | Qt::AlignVCenter, QString::number(k));
        if (std::isfinite(t)) {
            const QRectF bar(plot.left(), band.top() + row * 0.18, xOf(t) - plot.left(), row * 0.64);
            p.fillRect(bar, winner ? QColor(44, 160, 44) : QColor(31, 119, 180, 150));
            p.drawText(QRectF(plot.right() + 4, band.top(), valueW, row), Qt::AlignLeft | Qt::AlignVCenter,
                       QString::number(t, 'f', 2));
        } else {
            p.setPen(faint);
            p.drawText(QRectF(plot.right() + 4, band.top(), valueW, row), Qt::AlignLeft | Qt::AlignVCenter, tr("silent"));
        }
    }
    p.setFont(small);
    if (decision >= 0 && std::isfinite(decision)) {
        p.setPen(QPen(QColor(214, 39, 40), 1, Qt::DashLine));
        p.drawLine(QPointF(xOf(decision), plot.top()), QPointF(xOf(decision), plot.bottom()));
    }
    p.setPen(faint);
    for (int t = 0; t <= static_cast<int>(tEnd); ++t)
        p.drawText(QRectF(xOf(t) - 15, plot.bottom() + 2, 30, fm.height()), Qt::AlignHCenter | Qt::AlignTop, QString::number(t));
}

} // namespace firstspike
