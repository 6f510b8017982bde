#pragma once
// Blue-white-red colour map for signed values, symmetric about zero (ColorBrewer RdBu,
// reversed: negative blue, zero white, positive red), and its legend.

#include <QColor>
#include <QRect>
#include <QString>

#include <array>

class QPainter;

namespace firstspike {

class DivergingColorMap {
public:
    // v / absMax clamped to [-1, 1]; absMax <= 0 maps everything to white.
    static QRgb color(double v, double absMax);
    static const std::array<QRgb, 256> &table();
    // A vertical colour bar in `bar` with ticks at -absMax, 0 and +absMax and a title above;
    // the labels go right of the bar. Returns the rectangle used, labels included.
    static QRect paintLegend(QPainter &painter, const QRect &bar, double absMax, const QString &title);
};

} // namespace firstspike
