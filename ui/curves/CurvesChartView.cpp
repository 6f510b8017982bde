#include "ui/curves/CurvesChartView.h"

#include <QtCharts/QAbstractSeries>
#include <QtCharts/QChart>
#include <QGraphicsScene>
#include <QPainter>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

#include <cmath>

namespace firstspike {

CurvesChartView::CurvesChartView(QChart *chart, QWidget *parent)
    : QChartView(chart, parent)
{
    setRenderHint(QPainter::Antialiasing, true);
    // The series change 25 times a second: an item index only costs upkeep here.
    scene()->setItemIndexMethod(QGraphicsScene::NoIndex);
    setOptimizationFlags(QGraphicsView::DontSavePainterState);
    setViewportUpdateMode(QGraphicsView::BoundingRectViewportUpdate);
    // The view paints every pixel of its viewport (its background brush, then the chart), so the
    // widgets behind it need not be repainted first on each of the 25 frames a second.
    setBackgroundBrush(chart->backgroundBrush().style() == Qt::NoBrush ? palette().base() : chart->backgroundBrush());
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setRubberBand(QChartView::RectangleRubberBand);
    setMouseTracking(true);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(tr("Drag a rectangle to zoom, wheel to zoom about the cursor, Shift+drag or middle-drag to pan,\n"
                  "right-click to zoom out; Reset zoom (Ctrl+0) returns to the automatic range."));
}

void CurvesChartView::drawBackground(QPainter *painter, const QRectF &rect)
{
    // One solid fill of whole device pixels, which the raster engine does as a plain memory fill
    // on this thread. (A fractional rectangle, or the chart's own background item, goes through
    // the span rasteriser, which Qt 6 splits across its global thread pool for large areas:
    // threads woken 25 times a second beside the trainer's.) While a run is live the chart's
    // background item is hidden and this is the only fill (CurvesView::setLiveRendering).
    if (backgroundBrush().style() != Qt::SolidPattern) {
        QChartView::drawBackground(painter, rect);
        return;
    }
    painter->save();
    const QRect device = painter->transform().mapRect(rect).toAlignedRect();
    painter->resetTransform();
    painter->fillRect(device, backgroundBrush().color());
    painter->restore();
}

void CurvesChartView::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0) {
        event->ignore();
        return;
    }
    const double factor = std::pow(0.8, steps);
    const QRectF area = chart()->plotArea();
    const QPointF at = chart()->mapFromScene(mapToScene(event->position().toPoint()));
    if (!area.contains(at)) {
        event->ignore();
        return;
    }
    QRectF zoomRect(0, 0, area.width() * factor, area.height() * factor);
    zoomRect.moveCenter(at + (area.center() - at) * factor);
    chart()->zoomIn(zoomRect);
    event->accept();
    Q_EMIT zoomed();
}

void CurvesChartView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton
        || (event->button() == Qt::LeftButton && (event->modifiers() & Qt::ShiftModifier))) {
        panning_ = true;
        lastPan_ = event->pos();
        setCursor(Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    pressPos_ = event->pos();
    QChartView::mousePressEvent(event);
}

void CurvesChartView::mouseMoveEvent(QMouseEvent *event)
{
    if (panning_) {
        const QPoint d = event->pos() - lastPan_;
        lastPan_ = event->pos();
        chart()->scroll(-d.x(), d.y());
        Q_EMIT zoomed();
        event->accept();
        return;
    }
    const QList<QAbstractSeries *> series = chart()->series();
    if (!series.isEmpty()) {
        const QPointF at = chart()->mapFromScene(mapToScene(event->pos()));
        if (chart()->plotArea().contains(at))
            Q_EMIT hovered(chart()->mapToValue(at, series.first()));
        else
            Q_EMIT left();
    }
    QChartView::mouseMoveEvent(event);
}

void CurvesChartView::mouseReleaseEvent(QMouseEvent *event)
{
    if (panning_) {
        panning_ = false;
        unsetCursor();
        event->accept();
        return;
    }
    QChartView::mouseReleaseEvent(event); // rubber-band zoom in, right button zooms out
    const bool dragged = (event->pos() - pressPos_).manhattanLength() > 4;
    if ((event->button() == Qt::LeftButton && dragged) || event->button() == Qt::RightButton)
        Q_EMIT zoomed();
}

void CurvesChartView::leaveEvent(QEvent *event)
{
    Q_EMIT left();
    QChartView::leaveEvent(event);
}

void CurvesChartView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Plus: chart()->zoomIn(); break;
    case Qt::Key_Minus: chart()->zoomOut(); break;
    case Qt::Key_Left: chart()->scroll(-20, 0); break;
    case Qt::Key_Right: chart()->scroll(20, 0); break;
    case Qt::Key_Up: chart()->scroll(0, 20); break;
    case Qt::Key_Down: chart()->scroll(0, -20); break;
    default: QChartView::keyPressEvent(event); return;
    }
    Q_EMIT zoomed();
}

} // namespace firstspike
