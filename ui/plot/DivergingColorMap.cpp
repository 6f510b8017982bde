#include "ui/plot/DivergingColorMap.h"

#include <QFontMetrics>
#include <QImage>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {

std::array<QRgb, 256> buildTable()
{
    // ColorBrewer RdBu (11 classes), from most negative (dark blue) to most positive (dark red).
    static const QColor stops[] = {
        QColor(5, 48, 97),    QColor(33, 102, 172), QColor(67, 147, 195), QColor(146, 197, 222),
        QColor(209, 229, 240), QColor(247, 247, 247), QColor(253, 219, 199), QColor(244, 165, 130),
        QColor(214, 96, 77),  QColor(178, 24, 43),  QColor(103, 0, 31),
    };
    constexpr int n = sizeof stops / sizeof stops[0];
    std::array<QRgb, 256> table{};
    for (int i = 0; i < 256; ++i) {
        const double x = i / 255.0 * (n - 1);
        const int k = std::min(static_cast<int>(x), n - 2);
        const double f = x - k;
        const QColor &a = stops[k], &b = stops[k + 1];
        table[i] = qRgb(static_cast<int>(std::lround(a.red() + f * (b.red() - a.red()))),
                        static_cast<int>(std::lround(a.green() + f * (b.green() - a.green()))),
                        static_cast<int>(std::lround(a.blue() + f * (b.blue() - a.blue()))));
    }
    return table;
}

QString tickLabel(double v)
{
    return QString::number(v, 'g', 2);
}

} // namespace

const std::array<QRgb, 256> &DivergingColorMap::table()
{
    static const std::array<QRgb, 256> t = buildTable();
    return t;
}

QRgb DivergingColorMap::color(double v, double absMax)
{
    if (!(absMax > 0) || !std::isfinite(v))
        return table()[128];
    const double u = std::clamp(v / absMax, -1.0, 1.0);
    return table()[static_cast<int>(std::lround((u + 1) * 127.5))];
}

QRect DivergingColorMap::paintLegend(QPainter &painter, const QRect &bar, double absMax, const QString &title)
{
    painter.save();
    const QFontMetrics fm(painter.font());
    const QRect titleRect(bar.left() - 4, bar.top() - fm.height() - 4, fm.horizontalAdvance(title) + 8, fm.height());
    painter.setPen(Qt::black);
    painter.drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter, title);
    // Top is positive: the bar reads like a y axis. One pixel column of colours stretched
    // across the bar (a pen and a line per row cost about a millisecond a legend).
    if (bar.height() > 0 && bar.width() > 0) {
        QImage column(1, bar.height(), QImage::Format_RGB32);
        for (int y = 0; y < bar.height(); ++y) {
            const double u = 1.0 - 2.0 * y / std::max(1, bar.height() - 1);
            column.setPixel(0, y, color(u, 1.0));
        }
        painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
        painter.drawImage(bar, column);
    }
    painter.setPen(QColor(90, 90, 90));
    painter.setBrush(Qt::NoBrush);
    painter.drawRect(bar.adjusted(0, 0, -1, -1));
    const double values[] = {absMax, absMax / 2, 0.0, -absMax / 2, -absMax};
    int labelWidth = 0;
    for (int i = 0; i < 5; ++i) {
        const int y = bar.top() + static_cast<int>(std::lround(i / 4.0 * (bar.height() - 1)));
        painter.drawLine(bar.right() + 1, y, bar.right() + 4, y);
        const QString text = i == 2 ? QStringLiteral("0") : tickLabel(values[i]);
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(text));
        painter.drawText(QRect(bar.right() + 7, y - fm.height() / 2, 80, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
                         text);
    }
    painter.restore();
    return bar.united(titleRect).adjusted(0, 0, 7 + labelWidth, fm.height() / 2);
}

} // namespace firstspike
