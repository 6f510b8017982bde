#include "ui/export/FigureExporter.h"

#include "core/common/MemoryBudget.h"
#include "core/files/SafeFile.h"

#include "ui/curves/CurvesView.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/window/MainWindow.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/inspect/SpikeRasterView.h"

#include <QBuffer>
#include <QChartView>
#include <QCoreApplication>
#include <QFileInfo>
#include <QImage>
#include <QMenuBar>
#include <QPageSize>
#include <QPdfWriter>
#include <QFile>
#include <QStatusBar>
#include <QSvgGenerator>
#include <QToolBar>

#include <algorithm>
#include <cmath>
#include <new>

namespace firstspike {

namespace {

// Lays `widget` out at `size` for the duration of one export (layouts apply it at once), then
// puts it back; a hidden widget's pending resize is applied by QWidget::render itself.
class TemporarySize {
public:
    TemporarySize(QWidget *widget, QSize size)
        : widget_(widget), old_(widget->size())
    {
        if (size.isValid() && size != old_)
            widget_->resize(size);
        else
            widget_ = nullptr;
    }
    ~TemporarySize()
    {
        if (widget_)
            widget_->resize(old_);
    }

private:
    QWidget *widget_;
    QSize old_;
};

void prepare(QPainter &painter, const QRect &target)
{
    painter.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
    painter.fillRect(target, Qt::white);
    // No painter clip here: QWidget::render clips each child itself, and a clip set beforehand
    // makes the PDF engine drop whole child widgets.
}

} // namespace

QString FigureExporter::extension(FigureFormat format)
{
    switch (format) {
    case FigureFormat::Png: return QStringLiteral("png");
    case FigureFormat::Svg: return QStringLiteral("svg");
    case FigureFormat::Pdf: return QStringLiteral("pdf");
    }
    return {};
}

bool FigureExporter::parseFormat(const QString &text, FigureFormat &format)
{
    const QString t = text.trimmed().toLower();
    for (FigureFormat f : {FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf}) {
        if (t == extension(f)) {
            format = f;
            return true;
        }
    }
    return false;
}

FigureFormat FigureExporter::formatForPath(const QString &path, FigureFormat fallback)
{
    FigureFormat f = fallback;
    parseFormat(QFileInfo(path).suffix(), f);
    return f;
}

Figure FigureExporter::widgetFigure(QWidget *widget, const QString &name, const QString &title)
{
    Figure figure;
    figure.name = name;
    figure.title = title;
    figure.size = widget->size();
    figure.paint = [widget](QPainter &painter, const QRect &target) {
        const TemporarySize resized(widget, target.size());
        prepare(painter, target);
        // DrawChildren without DrawWindowBackground: the figure's background is white paper.
        widget->render(&painter, target.topLeft(), QRegion(), QWidget::DrawChildren);
    };
    return figure;
}

Figure FigureExporter::chartsFigure(const std::vector<QChartView *> &charts, const QString &name, const QString &title)
{
    Figure figure;
    figure.name = name;
    figure.title = title;
    int width = 0, height = 0;
    for (QChartView *c : charts) {
        width += c->width();
        height = std::max(height, c->height());
    }
    figure.size = QSize(width, height);
    figure.paint = [charts](QPainter &painter, const QRect &target) {
        prepare(painter, target);
        if (charts.empty())
            return;
        const int n = static_cast<int>(charts.size());
        for (int i = 0; i < n; ++i) {
            QChartView *view = charts[i];
            const QRect cell(target.x() + target.width() * i / n, target.y(), target.width() / n, target.height());
            const TemporarySize resized(view, cell.size());
            QChart *chart = view->chart();
            // Render the scene itself (not a pixmap of the view): text stays text, lines stay paths.
            const QBrush oldBackground = chart->backgroundBrush();
            chart->setBackgroundBrush(Qt::white);
            painter.save();
            painter.setClipRect(cell);
            view->scene()->render(&painter, QRectF(cell), chart->geometry(), Qt::IgnoreAspectRatio);
            painter.restore();
            chart->setBackgroundBrush(oldBackground);
        }
    };
    return figure;
}

namespace {

QSize layoutSize(const Figure &figure, const FigureOptions &options)
{
    return options.size.isValid() && !options.size.isEmpty() ? options.size : figure.size;
}

QString tooLarge(const Figure &figure, const QString &what, QSize size)
{
    const qint64 pixels = static_cast<qint64>(size.width()) * size.height();
    if (size.width() > kMaxFigureSide || size.height() > kMaxFigureSide)
        return QCoreApplication::translate("FigureExporter", "%1: a %2x%3 %4 is larger than %5 pixels a side")
            .arg(figure.name).arg(size.width()).arg(size.height()).arg(what).arg(kMaxFigureSide);
    if (pixels > kMaxFigurePixels)
        return QCoreApplication::translate("FigureExporter", "%1: a %2x%3 %4 has %5 pixels, more than the limit of %6")
            .arg(figure.name).arg(size.width()).arg(size.height()).arg(what).arg(pixels).arg(kMaxFigurePixels);
    return {};
}

} // namespace

QSize FigureExporter::imageSize(QSize size, double dpi)
{
    // In double, clamped: a huge layout at a high DPI must not wrap round to a small int.
    const double scale = std::max(0.1, dpi / 96.0);
    auto side = [scale](int logical) {
        return static_cast<int>(std::clamp(std::round(logical * scale), 1.0, 1e9));
    };
    return QSize(side(size.width()), side(size.height()));
}

QString FigureExporter::sizeProblem(const Figure &figure, FigureFormat format, const FigureOptions &options)
{
    const QSize size = layoutSize(figure, options);
    if (size.width() < 1 || size.height() < 1)
        return QCoreApplication::translate("FigureExporter", "%1: the figure has no area (%2x%3)")
            .arg(figure.name).arg(size.width()).arg(size.height());
    // The views are laid out at this size for the export, whatever the format.
    if (QString p = tooLarge(figure, QStringLiteral("layout"), size); !p.isEmpty())
        return p;
    if (format != FigureFormat::Png)
        return {};
    if (!std::isfinite(options.dpi) || options.dpi < kMinFigureDpi || options.dpi > kMaxFigureDpi)
        return QCoreApplication::translate("FigureExporter", "%1: %2 dpi is outside %3..%4")
            .arg(figure.name).arg(options.dpi).arg(kMinFigureDpi).arg(kMaxFigureDpi);
    const QSize image = imageSize(size, options.dpi);
    if (QString p = tooLarge(figure, QStringLiteral("PNG"), image); !p.isEmpty())
        return p;
    // The image, its RGB32 conversion and the PNG in memory at once (the PNG at most as large).
    const std::uint64_t bytes = static_cast<std::uint64_t>(image.width()) * image.height() * 4 * 3;
    try {
        requireMemory(bytes, QStringLiteral("%1: a %2x%3 PNG").arg(figure.name).arg(image.width()).arg(image.height())
                                 .toStdString());
    } catch (const ResourceError &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

QByteArray FigureExporter::render(const Figure &figure, FigureFormat format, const FigureOptions &options, QString *error)
{
    if (QString problem = sizeProblem(figure, format, options); !problem.isEmpty()) {
        if (error)
            *error = problem;
        return {};
    }
    const QSize size = layoutSize(figure, options);
    const QRect target(QPoint(0, 0), size);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    switch (format) {
    case FigureFormat::Png: {
        QImage image(imageSize(size, options.dpi), QImage::Format_ARGB32_Premultiplied);
        if (image.isNull()) { // Qt's allocation failed: no exception, a null image
            if (error)
                *error = QCoreApplication::translate("FigureExporter", "%1: out of memory for a %2x%3 PNG")
                             .arg(figure.name).arg(imageSize(size, options.dpi).width())
                             .arg(imageSize(size, options.dpi).height());
            return {};
        }
        image.fill(Qt::white);
        const int dotsPerMeter = static_cast<int>(std::lround(options.dpi / 0.0254));
        image.setDotsPerMeterX(dotsPerMeter);
        image.setDotsPerMeterY(dotsPerMeter);
        {
            QPainter painter(&image);
            painter.scale(static_cast<double>(image.width()) / size.width(),
                          static_cast<double>(image.height()) / size.height());
            figure.paint(painter, target);
        }
        image.convertTo(QImage::Format_RGB32);
        image.save(&buffer, "PNG");
        break;
    }
    case FigureFormat::Svg: {
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(size);
        svg.setViewBox(target);
        svg.setResolution(96);
        svg.setTitle(figure.title);
        svg.setDescription(figure.description.isEmpty() ? QStringLiteral("Firstspike figure: %1").arg(figure.title)
                                                        : figure.description);
        QPainter painter(&svg);
        figure.paint(painter, target);
        break;
    }
    case FigureFormat::Pdf: {
        QPdfWriter pdf(&buffer);
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QSizeF(size.width() * 72.0 / 96, size.height() * 72.0 / 96), QPageSize::Point,
                                  figure.title, QPageSize::ExactMatch));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        pdf.setTitle(figure.title);
        pdf.setCreator(QStringLiteral("Firstspike"));
        QPainter painter(&pdf);
        figure.paint(painter, target);
        break;
    }
    }
    return bytes;
}

bool FigureExporter::write(const Figure &figure, const QString &path, FigureFormat format, const FigureOptions &options,
                           QString *error)
{
    QString problem;
    const QByteArray bytes = render(figure, format, options, &problem);
    if (bytes.isEmpty()) {
        if (error)
            *error = problem.isEmpty()
                ? QCoreApplication::translate("FigureExporter", "%1: the figure could not be rendered").arg(path)
                : QCoreApplication::translate("FigureExporter", "%1: %2").arg(path, problem);
        return false;
    }
    return writeFileSafely(path, bytes, error);
}

std::vector<Figure> FigureExporter::windowFigures(MainWindow &window)
{
    std::vector<Figure> figures;
    CurvesView *curves = window.curvesView();
    figures.push_back(chartsFigure({qobject_cast<QChartView *>(curves->lossChart()),
                                    qobject_cast<QChartView *>(curves->accuracyChart())},
                                   QStringLiteral("curves"), QStringLiteral("Loss and accuracy")));
    figures.push_back(widgetFigure(window.weightsPanel(), QStringLiteral("weights"),
                                   QStringLiteral("Hidden-neuron input weights")));
    figures.push_back(widgetFigure(window.samplePanel(), QStringLiteral("sample"), QStringLiteral("Test sample")));
    // While a run is live the curves are drawn cheaply (aliased, hairline grid pens: see
    // CurvesView::setLiveRendering); a figure is always drawn as a paused run's curves are.
    auto asPaused = [curves](std::function<void(QPainter &, const QRect &)> paint) {
        return [curves, paint = std::move(paint)](QPainter &painter, const QRect &target) {
            struct PausedLook { // restores the live look however painting ends
                CurvesView *curves;
                bool live;
                ~PausedLook()
                {
                    if (live)
                        curves->setLiveRendering(true);
                }
            } look{curves, curves->liveRendering()};
            if (look.live)
                curves->setLiveRendering(false);
            paint(painter, target);
        };
    };
    figures.front().paint = asPaused(figures.front().paint); // "curves", the first figure
    InspectPanel *inspect = window.inspectPanel();
    figures.push_back(widgetFigure(static_cast<QWidget *>(inspect->raster()), QStringLiteral("raster"),
                                   QStringLiteral("Spike raster")));
    figures.push_back(widgetFigure(static_cast<QWidget *>(inspect->digitView()), QStringLiteral("digit"),
                                   QStringLiteral("Causal set on the digit")));
    figures.push_back(widgetFigure(static_cast<QWidget *>(inspect->membraneView()), QStringLiteral("membrane"),
                                   QStringLiteral("Membrane potential V(t)")));
    figures.push_back(widgetFigure(static_cast<QWidget *>(inspect->timingView()), QStringLiteral("timing"),
                                   QStringLiteral("Per-digit output timing")));
    // The dashboard: the window without its menu bar, tool bar and status bar.
    Figure dashboard;
    dashboard.name = QStringLiteral("dashboard");
    dashboard.title = QStringLiteral("Firstspike dashboard");
    QMainWindow *w = &window;
    auto area = [w] {
        int top = 0;
        if (w->menuBar() && w->menuBar()->isVisible())
            top = std::max(top, w->menuBar()->geometry().bottom() + 1);
        for (QToolBar *bar : w->findChildren<QToolBar *>())
            if (bar->isVisible() && w->toolBarArea(bar) == Qt::TopToolBarArea)
                top = std::max(top, bar->geometry().bottom() + 1);
        const int bottom = w->statusBar() && w->statusBar()->isVisible() ? w->statusBar()->y() : w->height();
        return QRect(0, top, w->width(), std::max(1, bottom - top));
    };
    dashboard.size = area().size();
    dashboard.paint = [w, area](QPainter &painter, const QRect &target) {
        prepare(painter, target);
        const QRect source = area();
        painter.save();
        painter.translate(target.topLeft());
        painter.scale(static_cast<double>(target.width()) / source.width(),
                      static_cast<double>(target.height()) / source.height());
        w->render(&painter, QPoint(0, 0), QRegion(source), QWidget::DrawChildren | QWidget::DrawWindowBackground);
        // QWidget::render of a chart view into the SVG and PDF engines keeps only parts of the
        // legends; paint each visible chart again from its scene, as the single-view export does.
        for (QChartView *view : w->findChildren<QChartView *>()) {
            if (!view->isVisible() || !view->scene())
                continue;
            const QRect r = QRect(view->mapTo(w, QPoint(0, 0)), view->size()).intersected(source);
            if (r.isEmpty())
                continue;
            const QRect visible(view->mapFrom(w, r.topLeft()), r.size());
            painter.save();
            painter.setClipRect(r.translated(-source.topLeft()));
            painter.fillRect(r.translated(-source.topLeft()), Qt::white);
            view->scene()->render(&painter, QRectF(r.translated(-source.topLeft())),
                                  view->mapToScene(visible).boundingRect(), Qt::IgnoreAspectRatio);
            painter.restore();
        }
        painter.restore();
    };
    dashboard.paint = asPaused(dashboard.paint);
    figures.push_back(dashboard);
    return figures;
}

bool writeFileSafely(const QString &path, const QByteArray &bytes, QString *error, qint64 failAfterBytes)
{
    try {
        writeFileAtomically(QFile::encodeName(path).toStdString(), reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                            static_cast<std::size_t>(bytes.size()), failAfterBytes);
        return true;
    } catch (const FileError &e) {
        if (error)
            *error = QString::fromLocal8Bit(e.what());
        return false;
    } catch (const std::bad_alloc &) {
        // No exception text reaches a user: say what ran out, for which file.
        if (error)
            *error = QCoreApplication::translate("FigureExporter", "%1: out of memory while writing").arg(path);
        return false;
    } catch (const std::exception &e) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, QString::fromLocal8Bit(e.what()));
        return false;
    }
}

} // namespace firstspike
