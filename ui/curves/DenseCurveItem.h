#pragma once
// The dense curves of a chart (the mini-batch loss envelope, the smoothed loss and accuracy:
// hundreds of points that change on every frame while training) drawn as one polyline each.
//
// QLineSeries::replace() makes Qt Charts rebuild the line's hover shape with a path stroker on
// every call; for three dense series at 25 frames a second that was half of all the GUI
// thread's work during training, and that time is taken from the trainer threads. This item
// maps its points through the chart (axes, zoom, log scale, plot area) when it paints and does
// nothing else. Its "twin" QLineSeries stays on the chart, empty, for the legend, the pen and
// the axes; the item is part of the chart's scene, so figure exports (PNG, SVG, PDF) draw it.
// Used only by CurvesView.

#include <QGraphicsItem>
#include <QList>
#include <QPointF>
#include <QPolygonF>

#include <utility>

QT_BEGIN_NAMESPACE
class QChart;
class QLineSeries;
QT_END_NAMESPACE

namespace firstspike {

class DenseCurveItem : public QGraphicsItem {
public:
    // Child of `chart`, drawn with `twin`'s pen and through `twin`'s axes; above the grid and
    // below the chart's own series (the per-epoch markers).
    DenseCurveItem(QChart *chart, QLineSeries *twin);

    void setPoints(QList<QPointF> points); // data coordinates; repaints what changed
    // x (data) of the point markers other series draw over this one (the per-epoch values).
    void setMarkerXs(QList<double> xs) { markerXs_ = std::move(xs); }
    const QList<QPointF> &points() const { return points_; }
    // Called when the plot area moves or resizes (QChart::plotAreaChanged).
    void setPlotArea(const QRectF &area);

    QRectF boundingRect() const override { return area_; }
    void paint(QPainter *painter, const QStyleOptionGraphicsItem *option, QWidget *widget) override;

private:
    static constexpr double kMarkerReach = 8.0; // pixels from a marker's centre to past its edge
    QChart *chart_;
    QLineSeries *twin_;
    QList<QPointF> points_;
    QList<double> markerXs_;
    QPolygonF mapped_; // reused by paint()
    QRectF area_;
};

} // namespace firstspike
