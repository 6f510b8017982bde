#include "ui/curves/DenseCurveItem.h"

#include <QPainter>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace firstspike {

DenseCurveItem::DenseCurveItem(QChart *chart, QLineSeries *twin)
    : QGraphicsItem(chart)
    , chart_(chart)
    , twin_(twin)
    , area_(chart->plotArea())
{
    // Qt Charts stacks the grid at z 2, the axes at 3 and the series at 4 (siblings under the
    // chart); between the axes and the series keeps epoch markers on top of the dense curves.
    setZValue(3.5);
    setAcceptedMouseButtons(Qt::NoButton);
    setAcceptHoverEvents(false);
}

void DenseCurveItem::setPoints(QList<QPointF> points)
{
    // Repaint only what changed: with the axes fixed, new data change the tail of the decimated
    // curve (CurvesView bins by x), so a frame repaints a strip at the right end, not the plot.
    // (A change of axes, zoom or plot area repaints everything through its own signal.)
    const qsizetype common = std::min(points.size(), points_.size());
    qsizetype same = 0;
    while (same < common && points[same] == points_[same])
        ++same;
    if (same == points.size() && same == points_.size())
        return;
    QRectF dirty = area_;
    if (same > 0 && !area_.isEmpty()) {
        double left = std::numeric_limits<double>::infinity(), right = -left;
        for (const QList<QPointF> *list : {&points_, &points})
            for (qsizetype i = same - 1; i < list->size(); ++i) {
                const double x = chart_->mapToPosition((*list)[i], twin_).x();
                left = std::min(left, x);
                right = std::max(right, x);
            }
        // The strip runs the plot's full height and takes in any point marker it touches, whole:
        // Qt Charts bounds a series by its line, not its markers, and skips a series whose
        // bounds miss the repainted area, so a strip through a marker's edge would erase it.
        const double margin = twin_->pen().widthF() + 2.0;
        left -= margin;
        right += margin;
        for (double x : markerXs_) {
            const double m = chart_->mapToPosition(QPointF(x, 0.0), twin_).x();
            if (m + kMarkerReach >= left && m - kMarkerReach <= right) {
                left = std::min(left, m - kMarkerReach);
                right = std::max(right, m + kMarkerReach);
            }
        }
        if (std::isfinite(left))
            dirty = QRectF(left, area_.top(), right - left, area_.height()) & area_;
    }
    points_ = std::move(points);
    update(dirty);
}

void DenseCurveItem::setPlotArea(const QRectF &area)
{
    if (area == area_)
        return;
    prepareGeometryChange();
    area_ = area;
    update();
}

void DenseCurveItem::paint(QPainter *painter, const QStyleOptionGraphicsItem *, QWidget *)
{
    if (points_.size() < 2 || !twin_->isVisible() || area_.isEmpty())
        return;
    mapped_.resize(points_.size());
    for (qsizetype i = 0; i < points_.size(); ++i)
        mapped_[i] = chart_->mapToPosition(points_[i], twin_);
    painter->save();
    painter->setClipRect(area_, Qt::IntersectClip);
    painter->setBrush(Qt::NoBrush);
    const QPen pen = twin_->pen();
    const int passes = qRound(pen.widthF());
    if (painter->testRenderHint(QPainter::Antialiasing) || passes <= 1 || !pen.isCosmetic()) {
        painter->setPen(pen);
        painter->drawPolyline(mapped_);
    } else {
        // Live (aliased) drawing: a pen wider than one pixel is stroked into a path and filled,
        // which cost more than the rest of the frame; the same line as one-pixel cosmetic
        // lines (the fast line rasteriser) offset by a pixel, down then right.
        QPen thin = pen;
        thin.setWidth(0);
        painter->setPen(thin);
        static const QPointF offsets[] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
        for (int k = 0; k < std::min(passes, 4); ++k) {
            painter->translate(offsets[k]);
            painter->drawPolyline(mapped_);
            painter->translate(-offsets[k]);
        }
    }
    painter->restore();
}

} // namespace firstspike
