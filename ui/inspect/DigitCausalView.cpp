#include "ui/inspect/DigitCausalView.h"

#include "ui/draw/DrawingPad.h"

#include <QApplication>
#include <QDrag>
#include <QImage>
#include <QMimeData>
#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace firstspike {

DigitCausalView::DigitCausalView(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("The inspected digit. When a first-hidden-layer spike is selected, the pixels of its causal set\n"
                  "(input spikes that arrived before it) are tinted by their weight: red excitatory, blue inhibitory.\n"
                  "Drag the digit onto the drawing pad (Drawn digit) to edit it."));
}

void DigitCausalView::setDigit(const std::vector<std::uint8_t> &pixels, int rows, int cols, int sampleIndex, quint64 entryId)
{
    pixels_ = pixels;
    rows_ = rows;
    cols_ = cols;
    sampleIndex_ = sampleIndex;
    entryId_ = entryId;
    update();
}

void DigitCausalView::setCausalSet(std::vector<int> pixels, std::vector<double> weights, const QString &caption)
{
    causal_ = std::move(pixels);
    weights_ = std::move(weights);
    caption_ = caption;
    update();
}

void DigitCausalView::clear()
{
    pixels_.clear();
    causal_.clear();
    weights_.clear();
    caption_.clear();
    sampleIndex_ = -1;
    entryId_ = 0;
    update();
}

QMimeData *DigitCausalView::digitMimeData() const
{
    if (pixels_.size() != static_cast<std::size_t>(DrawingPad::kSide * DrawingPad::kSide))
        return nullptr;
    auto *mime = new QMimeData;
    mime->setData(QString::fromLatin1(DrawingPad::kDigitMimeType),
                  QByteArray(reinterpret_cast<const char *>(pixels_.data()), static_cast<qsizetype>(pixels_.size())));
    if (label_ >= 0)
        mime->setText(QString::number(label_));
    return mime;
}

void DigitCausalView::mousePressEvent(QMouseEvent *event)
{
    pressed_ = event->button() == Qt::LeftButton;
    pressPos_ = event->position().toPoint();
    QWidget::mousePressEvent(event);
}

void DigitCausalView::mouseMoveEvent(QMouseEvent *event)
{
    if (!pressed_ || (event->position().toPoint() - pressPos_).manhattanLength() < QApplication::startDragDistance())
        return;
    pressed_ = false;
    QMimeData *mime = digitMimeData();
    if (!mime)
        return;
    auto *drag = new QDrag(this);
    drag->setMimeData(mime);
    QImage thumb(cols_, rows_, QImage::Format_Grayscale8);
    for (int r = 0; r < rows_; ++r)
        std::copy_n(pixels_.data() + static_cast<std::size_t>(r * cols_), cols_, thumb.scanLine(r));
    drag->setPixmap(QPixmap::fromImage(thumb.scaled(56, 56)));
    drag->exec(Qt::CopyAction);
}

void DigitCausalView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Window));
    QFont base = font();
    base.setPointSizeF(8.5);
    QFont bold = base;
    bold.setBold(true);
    const QFontMetrics fm(base);
    const QColor text = palette().color(QPalette::WindowText);
    const QColor faint(110, 110, 110);
    if (pixels_.empty() || rows_ * cols_ != static_cast<int>(pixels_.size())) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter, tr("No digit"));
        return;
    }
    p.setFont(bold);
    p.setPen(text);
    p.drawText(QPoint(6, 4 + fm.ascent()), sampleIndex_ >= 0 ? tr("Input layer: digit #%1").arg(sampleIndex_)
                                                             : tr("Input layer: the drawn digit"));

    const bool highlight = !causal_.empty();
    double wMax = 0;
    for (double w : weights_)
        wMax = std::max(wMax, std::abs(w));
    QImage img(cols_, rows_, QImage::Format_RGB32);
    std::vector<int> slot(pixels_.size(), -1);
    for (std::size_t k = 0; k < causal_.size(); ++k)
        if (causal_[k] >= 0 && causal_[k] < static_cast<int>(slot.size()))
            slot[static_cast<std::size_t>(causal_[k])] = static_cast<int>(k);
    for (int i = 0; i < rows_ * cols_; ++i) {
        const int g = pixels_[static_cast<std::size_t>(i)];
        QRgb c = qRgb(g, g, g);
        if (highlight) {
            const int k = slot[static_cast<std::size_t>(i)];
            if (k < 0) {
                const int dim = 40 + g / 6; // not in the causal set: dimmed
                c = qRgb(dim, dim, dim);
            } else {
                // Causal input: tint by the weight's sign, stronger for larger |w|, brightness kept.
                const double w = k < static_cast<int>(weights_.size()) ? weights_[static_cast<std::size_t>(k)] : 0.0;
                const double a = wMax > 0 ? 0.35 + 0.65 * std::min(1.0, std::abs(w) / wMax) : 0.5;
                const QColor tint = w >= 0 ? QColor(230, 60, 50) : QColor(50, 110, 230);
                const double lum = 0.35 + 0.65 * g / 255.0;
                c = qRgb(static_cast<int>(lum * ((1 - a) * g + a * tint.red())),
                         static_cast<int>(lum * ((1 - a) * g + a * tint.green())),
                         static_cast<int>(lum * ((1 - a) * g + a * tint.blue())));
            }
        }
        img.setPixel(i % cols_, i / cols_, c);
    }
    const int captionH = 3 * fm.height() + 6;
    const int side = std::max(28, std::min(width() - 12, height() - fm.height() - captionH - 12));
    const QRect target((width() - side) / 2, fm.height() + 8, side, side);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, img);
    p.setPen(QColor(120, 120, 120));
    p.drawRect(target.adjusted(0, 0, -1, -1));
    p.setFont(base);
    p.setPen(faint);
    const QString caption = highlight ? caption_
                                      : (caption_.isEmpty() ? tr("Select a first-hidden-layer spike to see its causal set here.")
                                                            : caption_);
    const QRect captionRect(6, target.bottom() + 4, width() - 12, captionH);
    if (highlight) {
        // Legend swatches before the caption.
        p.fillRect(QRect(captionRect.left(), captionRect.top() + 3, 9, 9), QColor(230, 60, 50));
        p.drawText(QPoint(captionRect.left() + 12, captionRect.top() + fm.ascent()), tr("excitatory"));
        const int x2 = captionRect.left() + 20 + fm.horizontalAdvance(tr("excitatory"));
        p.fillRect(QRect(x2, captionRect.top() + 3, 9, 9), QColor(50, 110, 230));
        p.drawText(QPoint(x2 + 12, captionRect.top() + fm.ascent()), tr("inhibitory (in causal set)"));
        p.drawText(captionRect.adjusted(0, fm.height() + 2, 0, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, caption);
    } else {
        p.drawText(captionRect, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, caption);
    }
}

} // namespace firstspike
