#pragma once
// One rendering path for every figure the application exports, from the GUI (File ▸ Export,
// a view's right-click menu) and from `firstspike-cli figures`: a Figure paints itself with a
// QPainter into a rectangle, and the exporter points that painter at a QImage (PNG), a
// QSvgGenerator (SVG: vector, text stays <text>) or a QPdfWriter (PDF). Views painted with
// QPainter draw straight into the vector device; Qt Charts views render their scene.
// Every file is written through writeFileAtomically (core/files/SafeFile.h), so a failed export
// never leaves a broken file.

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

// The largest figures and screenshots anything makes (File ▸ Export, `firstspike-cli figures`,
// `firstspike --screenshot`; stated in their --help texts): a side of a laid-out window or view
// and of an image at most kMaxFigureSide pixels, an image (or a layout) at most
// kMaxFigurePixels pixels (256 MB at 4 bytes a pixel), a PNG resolution in
// [kMinFigureDpi, kMaxFigureDpi]. A window is laid out at kMinWindowWidth x kMinWindowHeight
// at least. Beyond these, Qt's image allocation fails or wraps, and painting crashed.
constexpr int kMaxFigureSide = 16384;
constexpr qint64 kMaxFigurePixels = 8192LL * 8192;
constexpr double kMinFigureDpi = 10;
constexpr double kMaxFigureDpi = 2400;
constexpr int kMinWindowWidth = 320;
constexpr int kMinWindowHeight = 240;

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
    // The file's bytes; empty, and *error saying why, when the figure is beyond the limits above
    // or its image does not fit the memory available (checked before the image is allocated).
    static QByteArray render(const Figure &figure, FigureFormat format, const FigureOptions &options = {},
                             QString *error = nullptr);
    // Why `figure` cannot be drawn with `options` in `format` ("" when it can): a layout or an
    // image beyond the limits above, a DPI outside them, or an image larger than the memory
    // available (MemoryBudget.h), e.g. "curves: a 32000x20000 PNG is larger than 16384 pixels a side".
    static QString sizeProblem(const Figure &figure, FigureFormat format, const FigureOptions &options);
    // The PNG's pixels for a layout of `size` at `dpi`.
    static QSize imageSize(QSize size, double dpi);

    // Every figure of the window: curves, weights, sample, raster, digit, membrane, timing,
    // and the whole dashboard.
    static std::vector<Figure> windowFigures(MainWindow &window);
};

// Writes bytes through writeFileAtomically (temporary file, committed by rename; a target that
// is a link, a folder or a device is refused). `failAfterBytes` >= 0 simulates a crash after
// that many bytes (tests): the write is cancelled.
bool writeFileSafely(const QString &path, const QByteArray &bytes, QString *error = nullptr, qint64 failAfterBytes = -1);

} // namespace firstspike
