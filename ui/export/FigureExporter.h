#pragma once
// One rendering path for every figure the application exports, from the GUI (File ▸ Export,
// a view's right-click menu) and from `firstspike-cli figures`: a Figure paints itself with a
// QPainter into a rectangle, and the exporter points that painter at a QImage (PNG), a
// QSvgGenerator (SVG: vector, text stays <text>) or a QPdfWriter (PDF). Views painted with
// QPainter draw straight into the vector device; Qt Charts views render their scene.
// Every file is written through QSaveFile, so a failed export never leaves a broken file.

#include <QPainter>
#include <QRect>
#include <QSize>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

class QWidget;
class QChartView;

namespace firstspike {

class MainWindow;

enum class FigureFormat { Png, Svg, Pdf };

struct Figure {
    QString name;      // file stem: "curves", "raster", ...
    QString title;     // SVG/PDF title
    QString description;
    QSize size;        // natural size in logical pixels (1/96 inch)
    // Paints the figure into `target` (logical pixels); the painter may be scaled.
    std::function<void(QPainter &, const QRect &target)> paint;
};

struct FigureOptions {
    QSize size;        // logical pixels; empty: the figure's natural size
    double dpi = 96;   // PNG: pixels = size * dpi / 96, and the DPI is stored in the file
};

class FigureExporter {
public:
    static QString extension(FigureFormat format);       // "png"
    static bool parseFormat(const QString &text, FigureFormat &format);
    static FigureFormat formatForPath(const QString &path, FigureFormat fallback = FigureFormat::Png);

    // A widget painted as it is on screen (children included), on white. `size` non-empty
    // lays the widget out at that size for the export, then restores it.
    static Figure widgetFigure(QWidget *widget, const QString &name, const QString &title);
    // Qt Charts views side by side, rendered from their scenes (vector in SVG and PDF).
    static Figure chartsFigure(const std::vector<QChartView *> &charts, const QString &name, const QString &title);

    // Writes the figure; false and *error (naming the file) on failure, the old file intact.
    static bool write(const Figure &figure, const QString &path, FigureFormat format, const FigureOptions &options = {},
                      QString *error = nullptr);
    static QByteArray render(const Figure &figure, FigureFormat format, const FigureOptions &options = {});

    // Every figure of the window: curves, weights, sample, raster, digit, membrane, timing,
    // and the whole dashboard.
    static std::vector<Figure> windowFigures(MainWindow &window);
};

// Writes bytes through QSaveFile (temporary file, committed by rename). `failAfterBytes` >= 0
// simulates a crash after that many bytes (tests): the write is cancelled.
bool writeFileSafely(const QString &path, const QByteArray &bytes, QString *error = nullptr, qint64 failAfterBytes = -1);

} // namespace firstspike
