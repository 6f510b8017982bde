#include "ui/draw/DrawingPad.h"

#include "core/files/SafeFile.h"

#include "core/common/Random.h"
#include "core/data/MnistPreprocess.h"

#include <QBuffer>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QBuffer>
#include <QFile>
#include <QImageReader>
#include <QKeyEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTabletEvent>
#include <QTimer>
#include <QUrl>

#include <algorithm>
#include <numeric>

namespace firstspike {

namespace {

constexpr int kCanvasSide = DrawingPad::kSide * DrawingPad::kScale;
constexpr int kNoisePercent = 8; // of the pixels, per press

void appendBigEndian32(QByteArray &bytes, quint32 value)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        bytes.append(static_cast<char>((value >> shift) & 0xff));
}

QImage greyImage(const std::vector<std::uint8_t> &pixels, int side)
{
    QImage image(side, side, QImage::Format_Grayscale8);
    for (int r = 0; r < side; ++r)
        std::copy_n(pixels.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(side), side, image.scanLine(r));
    return image;
}

} // namespace

DrawingPad::DrawingPad(QWidget *parent)
    : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setAcceptDrops(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setCursor(Qt::CrossCursor);
    setToolTip(tr("Draw a digit: left button draws, right button erases.\n"
                  "Arrow keys shift it, Ctrl+Z undoes, Ctrl+Shift+Z redoes.\n"
                  "Drop a test digit (drag it from the digit view) to edit it."));
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true);
    setSizePolicy(policy);
    coalesce_ = new QTimer(this);
    coalesce_->setSingleShot(true);
    coalesce_->setInterval(kUpdateIntervalMs);
    connect(coalesce_, &QTimer::timeout, this, &DrawingPad::digitChanged);
}

void DrawingPad::render() const
{
    if (renderedRevision_ == revision_)
        return;
    renderedRevision_ = revision_;
    // Drawn in RGB (QPainter's best-supported target) and read back as grey.
    QImage rgb(kCanvasSide, kCanvasSide, QImage::Format_RGB32);
    rgb.fill(Qt::black);
    {
        QPainter p(&rgb);
        const QPointF offset(state_.shiftX, state_.shiftY);
        if (!state_.background.empty()) {
            // Nearest-neighbour: averaging the canvas back down gives the digit's own bytes.
            p.setRenderHint(QPainter::SmoothPixmapTransform, false);
            p.drawImage(QRectF(offset * kScale, QSizeF(kCanvasSide, kCanvasSide)), greyImage(state_.background, kSide));
        }
        p.setRenderHint(QPainter::Antialiasing, true);
        for (const DrawnStroke &s : state_.strokes) {
            if (s.points.empty())
                continue;
            QPen pen(s.erase ? Qt::black : Qt::white, kPenWidth * kScale * (s.erase ? 1.6 : 1.0), Qt::SolidLine, Qt::RoundCap,
                     Qt::RoundJoin);
            p.setPen(pen);
            if (s.points.size() == 1) {
                p.drawPoint((s.points.front() + offset) * kScale);
                continue;
            }
            QPainterPath path((s.points.front() + offset) * kScale);
            for (std::size_t k = 1; k < s.points.size(); ++k)
                path.lineTo((s.points[k] + offset) * kScale);
            p.drawPath(path);
        }
    }
    canvas_ = QImage(kCanvasSide, kCanvasSide, QImage::Format_Grayscale8);
    std::vector<std::uint8_t> grey(static_cast<std::size_t>(kCanvasSide) * kCanvasSide);
    for (int r = 0; r < kCanvasSide; ++r) {
        const auto *line = reinterpret_cast<const QRgb *>(rgb.constScanLine(r));
        std::uint8_t *out = grey.data() + static_cast<std::size_t>(r) * kCanvasSide;
        for (int c = 0; c < kCanvasSide; ++c)
            out[c] = static_cast<std::uint8_t>(qRed(line[c]));
        std::copy_n(out, kCanvasSide, canvas_.scanLine(r));
    }
    digit_ = state_.centred ? mnistPreprocess(grey.data(), kCanvasSide, kCanvasSide)
                            : resampleArea(grey.data(), kCanvasSide, kCanvasSide, kSide, kSide);
    for (std::uint64_t seed : state_.noiseSeeds) {
        Random random(seed);
        for (std::uint8_t &v : digit_) {
            const std::uint64_t r = random.next();
            if (r % 100 < kNoisePercent)
                v = static_cast<std::uint8_t>((r >> 32) & 0xff);
        }
    }
}

const std::vector<std::uint8_t> &DrawingPad::digit() const
{
    render();
    return digit_;
}

QImage DrawingPad::digitImage() const
{
    return greyImage(digit(), kSide);
}

QImage DrawingPad::canvasImage() const
{
    render();
    return canvas_;
}

bool DrawingPad::isBlank() const
{
    const std::vector<std::uint8_t> &d = digit();
    return std::all_of(d.begin(), d.end(), [](std::uint8_t v) { return v == 0; });
}

void DrawingPad::pushUndo()
{
    undo_.push_back(state_);
    if (static_cast<int>(undo_.size()) > kUndoLimit)
        undo_.erase(undo_.begin());
    redo_.clear();
    Q_EMIT undoChanged();
}

void DrawingPad::changed(bool coalesce)
{
    ++revision_;
    update();
    if (coalesce) {
        if (!coalesce_->isActive())
            coalesce_->start();
        return;
    }
    coalesce_->stop();
    Q_EMIT digitChanged();
}

void DrawingPad::clear()
{
    pushUndo();
    state_ = DrawingState{};
    changed(false);
}

void DrawingPad::addStroke(std::vector<QPointF> points, bool erase)
{
    if (points.empty())
        return;
    pushUndo();
    for (QPointF &p : points)
        p -= QPointF(state_.shiftX, state_.shiftY);
    state_.strokes.push_back(DrawnStroke{std::move(points), erase});
    changed(false);
}

void DrawingPad::setDigit(const std::vector<std::uint8_t> &pixels, int label)
{
    if (pixels.size() != static_cast<std::size_t>(kSide * kSide))
        return;
    pushUndo();
    state_ = DrawingState{};
    state_.background = pixels;
    state_.backgroundLabel = label;
    // Centring would rescale a digit that is already MNIST-shaped, and undo the shifts made to it.
    state_.centred = false;
    changed(false);
}

void DrawingPad::shift(int dx, int dy)
{
    pushUndo();
    state_.shiftX += dx;
    state_.shiftY += dy;
    state_.centred = false; // centring would move it straight back
    changed(false);
}

void DrawingPad::addNoise()
{
    pushUndo();
    // A new stream each press (the count of presses so far, also those undone, makes the seed).
    state_.noiseSeeds.push_back(0x6e6f697365ull + ++noisePresses_);
    changed(false);
}

void DrawingPad::setCentred(bool centred)
{
    if (centred == state_.centred)
        return;
    pushUndo();
    state_.centred = centred;
    changed(false);
}

void DrawingPad::undo()
{
    if (undo_.empty())
        return;
    drawing_ = false;
    redo_.push_back(std::move(state_));
    state_ = std::move(undo_.back());
    undo_.pop_back();
    changed(false);
    Q_EMIT undoChanged();
}

void DrawingPad::redo()
{
    if (redo_.empty())
        return;
    drawing_ = false;
    undo_.push_back(std::move(state_));
    state_ = std::move(redo_.back());
    redo_.pop_back();
    changed(false);
    Q_EMIT undoChanged();
}

QRectF DrawingPad::padRect() const
{
    const double side = std::max(1, std::min(width(), height()) - 2);
    return QRectF((width() - side) / 2, (height() - side) / 2, side, side);
}

QPointF DrawingPad::toWidget(QPointF padPoint) const
{
    const QRectF r = padRect();
    return r.topLeft() + padPoint * (r.width() / kSide);
}

QPointF DrawingPad::toPad(QPointF widgetPoint) const
{
    const QRectF r = padRect();
    return (widgetPoint - r.topLeft()) * (kSide / r.width());
}

void DrawingPad::beginStroke(QPointF widgetPos, bool erase)
{
    pushUndo();
    drawing_ = true;
    state_.strokes.push_back(DrawnStroke{{toPad(widgetPos) - QPointF(state_.shiftX, state_.shiftY)}, erase});
    changed(true);
}

void DrawingPad::extendStroke(QPointF widgetPos)
{
    if (!drawing_ || state_.strokes.empty())
        return;
    const QPointF p = toPad(widgetPos) - QPointF(state_.shiftX, state_.shiftY);
    std::vector<QPointF> &points = state_.strokes.back().points;
    if (!points.empty() && (points.back() - p).manhattanLength() < 0.05)
        return;
    points.push_back(p);
    changed(true);
}

void DrawingPad::endStroke()
{
    if (!drawing_)
        return;
    drawing_ = false;
    changed(false); // the stroke's last points now, not a frame later
}

void DrawingPad::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton || event->button() == Qt::RightButton) {
        setFocus(Qt::MouseFocusReason);
        beginStroke(event->position(), eraser_ || event->button() == Qt::RightButton);
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

void DrawingPad::mouseMoveEvent(QMouseEvent *event)
{
    extendStroke(event->position());
}

void DrawingPad::mouseReleaseEvent(QMouseEvent *)
{
    endStroke();
}

void DrawingPad::tabletEvent(QTabletEvent *event)
{
    // A pen draws (its eraser end erases); accepted, so Qt makes no mouse events of it.
    const bool erase = eraser_ || event->pointerType() == QPointingDevice::PointerType::Eraser;
    switch (event->type()) {
    case QEvent::TabletPress:
        setFocus(Qt::MouseFocusReason);
        beginStroke(event->position(), erase);
        break;
    case QEvent::TabletMove:
        extendStroke(event->position());
        break;
    case QEvent::TabletRelease:
        endStroke();
        break;
    default:
        break;
    }
    event->accept();
}

void DrawingPad::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Undo)) {
        undo();
        return;
    }
    if (event->matches(QKeySequence::Redo)
        || (event->key() == Qt::Key_Z && event->modifiers() == (Qt::ControlModifier | Qt::ShiftModifier))) {
        redo();
        return;
    }
    switch (event->key()) {
    case Qt::Key_Left:
        shift(-1, 0);
        return;
    case Qt::Key_Right:
        shift(1, 0);
        return;
    case Qt::Key_Up:
        shift(0, -1);
        return;
    case Qt::Key_Down:
        shift(0, 1);
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

bool DrawingPad::digitFromMime(const QMimeData *mime, std::vector<std::uint8_t> &pixels, int &label)
{
    label = -1;
    if (!mime)
        return false;
    if (mime->hasFormat(QString::fromLatin1(kDigitMimeType))) {
        const QByteArray bytes = mime->data(QString::fromLatin1(kDigitMimeType));
        if (bytes.size() != kSide * kSide)
            return false;
        pixels.assign(bytes.begin(), bytes.end());
        bool ok = false;
        const int l = mime->text().toInt(&ok);
        label = ok && l >= 0 && l <= 9 ? l : -1;
        return true;
    }
    QImage image;
    if (mime->hasImage()) {
        image = qvariant_cast<QImage>(mime->imageData());
    } else if (mime->hasUrls() && !mime->urls().isEmpty() && mime->urls().front().isLocalFile()) {
        // An image file: a regular file of sane dimensions only (a drop must not hang or fill memory).
        const QString path = mime->urls().front().toLocalFile();
        QByteArray bytes;
        try { // opened once, as a regular file of at most 64 MB: a FIFO or a device is refused
            const std::vector<std::uint8_t> data = readRegularFile(QFile::encodeName(path).toStdString(), "image", 64u << 20);
            bytes = QByteArray(reinterpret_cast<const char *>(data.data()), static_cast<qsizetype>(data.size()));
        } catch (const FileError &) {
            return false;
        }
        QBuffer buffer(&bytes);
        QImageReader reader(&buffer);
        const QSize size = reader.size();
        if (!size.isValid() || size.width() > 4096 || size.height() > 4096)
            return false;
        image = reader.read();
    }
    if (image.isNull())
        return false;
    image = image.convertToFormat(QImage::Format_Grayscale8)
                .scaled(kSide, kSide, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    pixels.resize(static_cast<std::size_t>(kSide * kSide));
    for (int r = 0; r < kSide; ++r)
        std::copy_n(image.constScanLine(r), kSide, pixels.data() + static_cast<std::size_t>(r) * kSide);
    // Ink is white in MNIST: a dark digit on a light page is inverted.
    const double mean = std::accumulate(pixels.begin(), pixels.end(), 0.0) / static_cast<double>(pixels.size());
    if (mean > 127)
        for (std::uint8_t &v : pixels)
            v = static_cast<std::uint8_t>(255 - v);
    return true;
}

void DrawingPad::dragEnterEvent(QDragEnterEvent *event)
{
    const QMimeData *mime = event->mimeData();
    if (mime->hasFormat(QString::fromLatin1(kDigitMimeType)) || mime->hasImage() || mime->hasUrls())
        event->acceptProposedAction();
}

void DrawingPad::dropEvent(QDropEvent *event)
{
    std::vector<std::uint8_t> pixels;
    int label = -1;
    if (!digitFromMime(event->mimeData(), pixels, label))
        return;
    setDigit(pixels, label);
    event->acceptProposedAction();
    setFocus(Qt::OtherFocusReason);
}

QByteArray DrawingPad::pngBytes() const
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    digitImage().save(&buffer, "PNG");
    return bytes;
}

QByteArray DrawingPad::idxImageBytes() const
{
    QByteArray bytes;
    appendBigEndian32(bytes, 0x00000803);
    appendBigEndian32(bytes, 1);
    appendBigEndian32(bytes, kSide);
    appendBigEndian32(bytes, kSide);
    const std::vector<std::uint8_t> &d = digit();
    bytes.append(reinterpret_cast<const char *>(d.data()), static_cast<qsizetype>(d.size()));
    return bytes;
}

QByteArray DrawingPad::idxLabelBytes(int label)
{
    QByteArray bytes;
    appendBigEndian32(bytes, 0x00000801);
    appendBigEndian32(bytes, 1);
    bytes.append(static_cast<char>(std::clamp(label, 0, 255)));
    return bytes;
}

void DrawingPad::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window));
    const QRectF r = padRect();
    // Centred: the strokes as drawn (the network gets them rescaled and centred, the inset);
    // otherwise the network's input itself, pixel for pixel.
    if (state_.centred) {
        p.setRenderHint(QPainter::SmoothPixmapTransform, true);
        p.drawImage(r, canvasImage());
    } else {
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        p.drawImage(r, digitImage());
    }
    const double cell = r.width() / kSide;
    if (state_.centred) {
        // The 20x20 box MNIST scales digits into: a size to aim for.
        p.setPen(QPen(QColor(90, 90, 90), 1, Qt::DashLine));
        p.drawRect(QRectF(r.left() + 4 * cell, r.top() + 4 * cell, 20 * cell, 20 * cell));
        // Inset: what the network is given.
        const double side = std::max(28.0, r.width() / 5);
        const QRectF inset(r.right() - side - 4, r.bottom() - side - 4, side, side);
        p.setRenderHint(QPainter::SmoothPixmapTransform, false);
        p.drawImage(inset, digitImage());
        p.setPen(QColor(160, 160, 160));
        p.drawRect(inset);
    }
    p.setPen(hasFocus() ? palette().color(QPalette::Highlight) : QColor(120, 120, 120));
    p.drawRect(r.adjusted(-0.5, -0.5, 0.5, 0.5));
    if (isBlank() && !drawing_) {
        p.setPen(QColor(170, 170, 170));
        p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap, tr("Draw a digit here\n(or drop a test digit)"));
    }
}

} // namespace firstspike
