#include "DenseCurveItem.h"

#include <QPainter>
#include <QtCharts/QChart>
#include <QtCharts/QLineSeries>

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
    painter->setPen(twin_->pen());
    painter->setBrush(Qt::NoBrush);
    painter->drawPolyline(mapped_);
    painter->restore();
}

} // namespace firstspike
