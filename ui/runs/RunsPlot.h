#pragma once
// A painted plot of the Runs tab: curves of several runs (the overlay) or one point per run (the
// scatter, with its Pareto front), axes with nice ticks, linear or logarithmic y, and a legend
// beside the plot (below it when the plot is narrow). Painted with QPainter only, so the same code draws the screen, PNG, SVG and
// PDF (ui/export/FigureExporter).
#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>

#include <vector>

class QPainter;
class QRectF;

namespace firstspike {

struct RunsPlotSeries {
    QString label;
    QColor color;
    QVector<QPointF> points;
};

struct RunsPlotMarker {
    QPointF point;
    QColor color;
    QString label;           // legend entry; empty: not in the legend
    bool highlighted = false; // a selected run: its colour, else grey
    bool onFront = false;    // on the Pareto front: ringed
};

class RunsPlot {
public:
    QString title;
    QString xLabel;
    QString yLabel;
    QString emptyText;    // shown when there is nothing to draw
    bool logY = false;    // values <= 0 are left out
    bool integerX = false; // x ticks on whole numbers only (epochs)
    std::vector<RunsPlotSeries> lines;
    std::vector<RunsPlotMarker> markers;
    QVector<QPointF> front; // the Pareto front by increasing x, drawn as a staircase
    QString frontLabel;

    bool isEmpty() const;
    void paint(QPainter &painter, const QRectF &rect) const;
};

} // namespace firstspike
