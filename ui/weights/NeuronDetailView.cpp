#include "ui/weights/NeuronDetailView.h"

#include "ui/plot/DivergingColorMap.h"

#include <QImage>
#include <QLabel>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace firstspike {

NeuronDetailView::NeuronDetailView(QWidget *parent)
    : QWidget(parent)
{
    text_ = new QLabel(this);
    text_->setTextFormat(Qt::RichText);
    text_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    text_->setWordWrap(true);
    QFont f = text_->font();
    f.setPointSizeF(8.5);
    text_->setFont(f);
    text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    setToolTip(tr("The selected neuron's input weights, enlarged, and its statistics on a fixed probe batch of test digits"));
}

void NeuronDetailView::clear()
{
    tiles_.reset();
    activity_.reset();
    updateText();
    update();
}

void NeuronDetailView::setTiles(std::shared_ptr<const WeightTiles> tiles)
{
    if (!tiles)
        return;
    tiles_ = std::move(tiles);
    updateText();
    update();
}

void NeuronDetailView::setActivity(std::shared_ptr<const NeuronActivity> activity)
{
    if (!activity)
        return;
    activity_ = std::move(activity);
    updateText();
}

void NeuronDetailView::showTile(int tile)
{
    tile_ = tile;
    updateText();
    update();
}

QRect NeuronDetailView::imageRect() const
{
    // Side by side when the view is wide, image above the text when it is tall.
    const bool wide = width() > 1.3 * height();
    const int room = wide ? std::min(height() - 8, width() / 2 - 40) : std::min(width() - 80, height() / 2);
    const int side = std::max(28, room);
    const int s = side / 28 * 28 >= 84 ? side / 28 * 28 : side; // whole-number magnification when large
    return QRect(4, 4, s, s);
}

void NeuronDetailView::resizeEvent(QResizeEvent *event)
{
    const QRect img = imageRect();
    if (width() > 1.3 * height()) {
        const int x = img.right() + 66;
        text_->setGeometry(x, 2, std::max(60, width() - x - 2), height() - 4);
    } else {
        text_->setGeometry(4, img.bottom() + 6, width() - 8, std::max(40, height() - img.bottom() - 8));
    }
    QWidget::resizeEvent(event);
}

void NeuronDetailView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    if (!tiles_ || tile_ < 0 || tile_ >= static_cast<int>(tiles_->neurons.size()))
        return;
    const int rows = tiles_->rows, cols = tiles_->cols, pixels = rows * cols;
    const float *w = tiles_->weights.data() + static_cast<std::size_t>(tile_) * pixels;
    // Its own colour scale: a single neuron's structure is easier to read at full contrast.
    float a = 0;
    for (int i = 0; i < pixels; ++i)
        a = std::max(a, std::abs(w[i]));
    QImage img(cols, rows, QImage::Format_RGB32);
    for (int r = 0; r < rows; ++r) {
        auto *line = reinterpret_cast<QRgb *>(img.scanLine(r));
        for (int c = 0; c < cols; ++c)
            line[c] = DivergingColorMap::color(w[r * cols + c], a);
    }
    const QRect target = imageRect();
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(target, img);
    p.setPen(QColor(120, 120, 120));
    p.drawRect(target.adjusted(0, 0, -1, -1));
    QFont f = font();
    f.setPointSizeF(8);
    p.setFont(f);
    const QRect bar(target.right() + 10, target.top() + 20, 12, std::max(40, target.height() - 30));
    DivergingColorMap::paintLegend(p, bar, a, tr("weight"));
}

QString NeuronDetailView::statisticsText() const
{
    return text_->text();
}

void NeuronDetailView::updateText()
{
    if (!tiles_ || tile_ < 0 || tile_ >= static_cast<int>(tiles_->neurons.size())) {
        text_->setText(tr("<i>Click a tile to see its neuron.</i>"));
        return;
    }
    const int t = tile_;
    const int pixels = tiles_->rows * tiles_->cols;
    const float *w = tiles_->weights.data() + static_cast<std::size_t>(t) * pixels;
    int positive = 0;
    float lo = w[0], hi = w[0];
    for (int i = 0; i < pixels; ++i) {
        positive += w[i] > 0 ? 1 : 0;
        lo = std::min(lo, w[i]);
        hi = std::max(hi, w[i]);
    }
    const double sum = tiles_->weightSum[t];
    const bool canFire = sum > tiles_->threshold;
    QString html = tr("<b>Hidden neuron %1</b> <span style='color:#666'>(of %2)</span><br>")
                       .arg(tiles_->neurons[t])
                       .arg(tiles_->layerSize);
    html += tr("weight sum &Sigma;w = <b>%1</b> vs threshold &theta; = %2<br>")
                .arg(sum, 0, 'f', 3)
                .arg(tiles_->threshold, 0, 'g', 3);
    html += canFire ? tr("<span style='color:#2a7f2a'>&Sigma;w &gt; &theta;: able to fire</span><br>")
                    : tr("<span style='color:#b22'>&Sigma;w &le; &theta;: cannot fire on any input</span><br>");
    if (std::isfinite(tiles_->biasWeight[t]))
        html += tr("bias weight %1<br>").arg(tiles_->biasWeight[t], 0, 'g', 3);
    html += tr("pixel weights %1 … %2, %3 % excitatory<br>")
                .arg(lo, 0, 'g', 3)
                .arg(hi, 0, 'g', 3)
                .arg(100.0 * positive / pixels, 0, 'f', 0);
    if (activity_ && t < static_cast<int>(activity_->firingFraction.size())) {
        html += tr("fires on <b>%1 %</b> of %2 probe test digits<br>")
                    .arg(100 * activity_->firingFraction[t], 0, 'f', 0)
                    .arg(activity_->probeSamples);
        const double mt = activity_->meanSpikeTime[t];
        html += std::isfinite(mt) ? tr("mean spike time t&#772; = <b>%1</b> &tau;<br>").arg(mt, 0, 'f', 3)
                                  : tr("mean spike time: <i>never fired</i><br>");
        html += tr("<span style='color:#666'>whole layer: %1 % silent on the probe</span>")
                    .arg(100 * activity_->layerSilentFraction, 0, 'f', 1);
    } else {
        html += tr("<span style='color:#666'>firing statistics: computing…</span>");
    }
    text_->setText(html);
}

} // namespace firstspike
