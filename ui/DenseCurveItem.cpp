#include "DenseCurveItem.h"

#include <QPainter>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

#include <algorithm>
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
    points_ = std::move(points);
    update();
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
