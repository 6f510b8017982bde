#include "ui/runs/RunsPlotWidget.h"

#include <QPainter>

namespace firstspike {

RunsPlotWidget::RunsPlotWidget(QWidget *parent) : QWidget(parent)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void RunsPlotWidget::setPlot(RunsPlot plot)
{
    plot_ = std::move(plot);
    update();
}

void RunsPlotWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    plot_.paint(p, QRectF(rect()));
}

} // namespace firstspike
