#pragma once
// A QChartView with the interactions of a plotting tool: drag a rectangle to zoom, wheel to
// zoom about the cursor, middle-drag or Shift-drag to pan, right-click to zoom out; it reports
// the data coordinates under the mouse for the read-out. Used only by CurvesView.

#include <QtCharts/QChartView>

namespace firstspike {

class CurvesChartView : public QChartView {
    Q_OBJECT
public:
    explicit CurvesChartView(QChart *chart, QWidget *parent = nullptr);

Q_SIGNALS:
    void hovered(QPointF value);  // data coordinates of the first series' axes
    void left();                  // the mouse left the plot
    void zoomed();                // the user changed the visible range

protected:
    void drawBackground(QPainter *painter, const QRectF &rect) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    bool panning_ = false;
    QPoint lastPan_;
    QPoint pressPos_;
};

} // namespace firstspike
