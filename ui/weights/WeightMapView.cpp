#include "ui/weights/WeightMapView.h"

#include "ui/plot/DivergingColorMap.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {
constexpr int kGap = 1;       // mosaic pixels between tiles
constexpr int kLegendWidth = 74;
} // namespace

WeightMapView::WeightMapView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(false);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(tr("Input weights of the watched hidden neurons (28x28 each; red excitatory, blue inhibitory).\n"
                  "Click a tile to enlarge it and see the neuron's statistics."));
}

void WeightMapView::clear()
{
    tiles_.reset();
    activity_.reset();
    mosaic_ = QImage();
    update();
}

void WeightMapView::setTiles(std::shared_ptr<const WeightTiles> tiles)
{
    if (!tiles)
        return;
    const bool countChanged = !tiles_ || tiles_->neurons.size() != tiles->neurons.size();
    tiles_ = std::move(tiles);
    if (selected_ >= static_cast<int>(tiles_->neurons.size()))
        selectTile(0);
    if (countChanged)
        layoutGrid();
    renderMosaic();
    update();
    Q_EMIT imageUpdated(tiles_->step);
}

void WeightMapView::setActivity(std::shared_ptr<const NeuronActivity> activity)
{
    activity_ = std::move(activity);
    update();
}

void WeightMapView::selectTile(int tile)
{
    if (!tiles_ || tile < 0 || tile >= static_cast<int>(tiles_->neurons.size()))
        return;
    selected_ = tile;
    update();
    Q_EMIT tileSelected(tile, tiles_->neurons[tile]);
}

void WeightMapView::layoutGrid()
{
    if (!tiles_ || tiles_->neurons.empty())
        return;
    const int n = static_cast<int>(tiles_->neurons.size());
    const int tw = tiles_->cols + kGap, th = tiles_->rows + kGap;
    const QRect area = rect().adjusted(4, 4, -kLegendWidth, -4);
    double best = 0, bestScore = 0;
    for (int cols = 1; cols <= n; ++cols) {
        const int rows = (n + cols - 1) / cols;
        const double s = std::min(area.width() / double(cols * tw), area.height() / double(rows * th));
        // A full rectangle (8x8 for 64) wins over a slightly larger grid with a ragged last row.
        const double score = s * (cols * rows == n ? 1.1 : 1.0);
        if (score > bestScore) {
            bestScore = score;
            best = s;
            columns_ = cols;
            gridRows_ = rows;
        }
    }
    // Whole-number magnification keeps every weight the same size on screen; below 3x the
    // space lost to rounding down would be too large, so those scales are drawn filtered.
    scale_ = best >= 3.0 ? std::floor(best) : best;
    const int w = static_cast<int>(columns_ * tw * scale_), h = static_cast<int>(gridRows_ * th * scale_);
    target_ = QRect(area.left() + (area.width() - w) / 2, area.top() + (area.height() - h) / 2, w, h);
    const int barHeight = std::min(220, std::max(60, target_.height() - 90));
    legendBar_ = QRect(target_.right() + 16, target_.top() + 24, 14, barHeight);
}

void WeightMapView::renderMosaic()
{
    if (!tiles_ || tiles_->neurons.empty())
        return;
    const int n = static_cast<int>(tiles_->neurons.size());
    const int rows = tiles_->rows, cols = tiles_->cols, pixels = rows * cols;
    const int tw = cols + kGap, th = rows + kGap;
    if (mosaic_.width() != columns_ * tw || mosaic_.height() != gridRows_ * th)
        mosaic_ = QImage(columns_ * tw, gridRows_ * th, QImage::Format_RGB32);
    mosaic_.fill(palette().color(QPalette::Window));
    const double a = tiles_->absMax;
    for (int t = 0; t < n; ++t) {
        const int ox = (t % columns_) * tw, oy = (t / columns_) * th;
        // The 1-pixel gap right and below each tile in a neutral grey frames it.
        for (int r = 0; r <= rows && oy + r < mosaic_.height(); ++r) {
            auto *line = reinterpret_cast<QRgb *>(mosaic_.scanLine(oy + r)) + ox;
            std::fill(line, line + std::min(tw, mosaic_.width() - ox), qRgb(200, 200, 200));
        }
        const float *w = tiles_->weights.data() + static_cast<std::size_t>(t) * pixels;
        for (int r = 0; r < rows; ++r) {
            auto *line = reinterpret_cast<QRgb *>(mosaic_.scanLine(oy + r)) + ox;
            for (int c = 0; c < cols; ++c)
                line[c] = DivergingColorMap::color(w[r * cols + c], a);
        }
    }
}

QRect WeightMapView::tileRect(int tile) const
{
    if (!tiles_ || tile < 0 || tile >= static_cast<int>(tiles_->neurons.size()))
        return {};
    const int tw = tiles_->cols + kGap, th = tiles_->rows + kGap;
    const int x = target_.left() + static_cast<int>(std::lround((tile % columns_) * tw * scale_));
    const int y = target_.top() + static_cast<int>(std::lround((tile / columns_) * th * scale_));
    return QRect(x, y, static_cast<int>(std::lround(tiles_->cols * scale_)),
                 static_cast<int>(std::lround(tiles_->rows * scale_)));
}

int WeightMapView::tileAt(const QPoint &pos) const
{
    if (!tiles_ || !target_.contains(pos) || scale_ <= 0)
        return -1;
    const int tw = tiles_->cols + kGap, th = tiles_->rows + kGap;
    const int c = static_cast<int>((pos.x() - target_.left()) / (tw * scale_));
    const int r = static_cast<int>((pos.y() - target_.top()) / (th * scale_));
    const int t = r * columns_ + c;
    return c < columns_ && t < static_cast<int>(tiles_->neurons.size()) ? t : -1;
}

void WeightMapView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    if (!tiles_ || mosaic_.isNull()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Loading network..."));
        return;
    }
    p.setRenderHint(QPainter::SmoothPixmapTransform, scale_ != std::floor(scale_));
    p.drawImage(target_, mosaic_);
    // Neurons silent on every probe digit get a grey diagonal: they cannot learn from the loss.
    if (activity_ && activity_->neurons.size() == tiles_->neurons.size()) {
        p.setPen(QPen(QColor(60, 60, 60, 170), 1));
        for (std::size_t t = 0; t < activity_->neurons.size(); ++t)
            if (activity_->firingFraction[t] == 0.0) {
                const QRect r = tileRect(static_cast<int>(t));
                p.drawLine(r.topLeft(), r.bottomRight());
            }
    }
    const QRect sel = tileRect(selected_);
    if (sel.isValid()) {
        p.setPen(QPen(QColor(255, 170, 0), 2));
        p.setBrush(Qt::NoBrush);
        p.drawRect(sel.adjusted(-1, -1, 1, 1));
    }
    QFont f = font();
    f.setPointSizeF(8);
    p.setFont(f);
    DivergingColorMap::paintLegend(p, legendBar_, tiles_->absMax, tr("weight"));
    p.setPen(palette().color(QPalette::WindowText));
    const QRect info(legendBar_.left() - 6, legendBar_.bottom() + 14, kLegendWidth - 4, 64);
    p.drawText(info, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
               tr("%1 of %2\nneurons\nstep %3").arg(tiles_->neurons.size()).arg(tiles_->layerSize).arg(tiles_->step));
}

void WeightMapView::mousePressEvent(QMouseEvent *event)
{
    const int t = tileAt(event->pos());
    if (t >= 0 && event->button() == Qt::LeftButton)
        selectTile(t);
    QWidget::mousePressEvent(event);
}

void WeightMapView::resizeEvent(QResizeEvent *event)
{
    layoutGrid();
    QWidget::resizeEvent(event);
}

bool WeightMapView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int t = tileAt(help->pos());
        if (t >= 0 && tiles_) {
            QString text = tr("Neuron %1: weight sum %2 (threshold %3)")
                               .arg(tiles_->neurons[t])
                               .arg(tiles_->weightSum[t], 0, 'f', 3)
                               .arg(tiles_->threshold, 0, 'g', 3);
            if (activity_ && t < static_cast<int>(activity_->firingFraction.size()))
                text += tr("\nfires on %1 % of %2 probe digits").arg(100 * activity_->firingFraction[t], 0, 'f', 0)
                            .arg(activity_->probeSamples);
            QToolTip::showText(help->globalPos(), text, this);
            return true;
        }
    }
    return QWidget::event(event);
}

} // namespace firstspike
