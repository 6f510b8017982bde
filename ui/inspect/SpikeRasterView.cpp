#include "ui/inspect/SpikeRasterView.h"

#include "ui/plot/NiceTicks.h"

#include <QElapsedTimer>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace firstspike {

namespace {
constexpr int kLeft = 112, kRight = 14, kTop = 36, kBottom = 38, kBandGap = 8;
const QColor kInputColor(70, 70, 70);
const QColor kHiddenColor(31, 119, 180);
const QColor kOutputColor(60, 60, 60);
const QColor kCorrect(44, 160, 44);
const QColor kWrong(214, 39, 40);
const QColor kCausal(255, 127, 14);
const QColor kBandBackground(247, 247, 247);
const QColor kGrid(228, 228, 228);


QColor bandColor(int band, int bands)
{
    if (band == 0)
        return kInputColor;
    return band == bands - 1 ? kOutputColor : kHiddenColor;
}
} // namespace

int RasterBand::silentCount() const
{
    return static_cast<int>(std::count_if(times.begin(), times.end(), [](double t) { return !std::isfinite(t); }));
}

int RasterData::spikeCount() const
{
    int n = 0;
    for (const RasterBand &b : bands)
        n += b.spikeCount();
    return n;
}

SpikeRasterView::SpikeRasterView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    setToolTip(QString());
}

void SpikeRasterView::setData(std::shared_ptr<const RasterData> data)
{
    const bool bandsChanged = !data_ || !data || data_->bands.size() != data->bands.size();
    data_ = std::move(data);
    hovered_.reset();
    if (!zoomed_ || bandsChanged) {
        double tMax = 0;
        if (data_)
            for (const RasterBand &b : data_->bands)
                for (double t : b.times)
                    if (std::isfinite(t))
                        tMax = std::max(tMax, t);
        const double horizon = data_ ? data_->maxTime : 8.0;
        t0_ = 0;
        t1_ = std::min(horizon, std::max(1.0, std::ceil(tMax * 1.08 * 4) / 4));
        zoomed_ = false;
    }
    rebuildOrder();
    layoutBands();
    dirty_ = true;
    update();
}

void SpikeRasterView::setSelection(std::optional<SpikeRef> spike, std::vector<int> causalNeurons)
{
    selected_ = spike;
    causal_ = std::move(causalNeurons);
    update();
}

void SpikeRasterView::setSortedByTime(bool sorted)
{
    if (sorted_ == sorted)
        return;
    sorted_ = sorted;
    rebuildOrder();
    dirty_ = true;
    update();
}

void SpikeRasterView::setTimeRange(double t0, double t1)
{
    if (!(t1 > t0))
        return;
    const double width = std::max(0.01, t1 - t0);
    t0_ = std::max(-0.5, t0);
    t1_ = t0_ + width;
    zoomed_ = true;
    dirty_ = true;
    update();
    Q_EMIT timeRangeChanged(t0_, t1_);
}

void SpikeRasterView::resetZoom()
{
    zoomed_ = false;
    setData(data_);
    Q_EMIT timeRangeChanged(t0_, t1_);
}

void SpikeRasterView::rebuildOrder()
{
    rowOf_.clear();
    neuronAt_.clear();
    if (!data_)
        return;
    for (const RasterBand &b : data_->bands) {
        std::vector<int> order(b.times.size());
        std::iota(order.begin(), order.end(), 0);
        // The output band keeps digit order (its labels are the classes); others sort on request.
        if (sorted_ && &b != &data_->bands.back())
            std::stable_sort(order.begin(), order.end(), [&](int a, int c) { return b.times[a] < b.times[c]; });
        std::vector<int> row(order.size());
        for (std::size_t r = 0; r < order.size(); ++r)
            row[static_cast<std::size_t>(order[r])] = static_cast<int>(r);
        neuronAt_.push_back(std::move(order));
        rowOf_.push_back(std::move(row));
    }
}

QRect SpikeRasterView::plotRect() const
{
    return rect().adjusted(kLeft, kTop, -kRight, -kBottom);
}

void SpikeRasterView::layoutBands()
{
    bands_.clear();
    if (!data_ || data_->bands.empty())
        return;
    const QRect plot = plotRect();
    const int count = static_cast<int>(data_->bands.size());
    const int available = plot.height() - kBandGap * (count - 1);
    // The output band gets readable rows (its neurons are the digits); the rest share the height.
    const int outputN = static_cast<int>(data_->bands.back().times.size());
    const int outputH = count == 1 ? available : std::clamp(outputN * 15, outputN * 6, available / 3);
    const int restH = count == 1 ? 0 : (available - outputH) / std::max(1, count - 1);
    int y = plot.top();
    for (int b = 0; b < count; ++b) {
        const int h = b == count - 1 ? plot.bottom() + 1 - y : restH;
        bands_.emplace_back(plot.left(), y, plot.width(), h);
        y += h + kBandGap;
    }
}

QRect SpikeRasterView::bandRect(int band) const
{
    return band >= 0 && band < static_cast<int>(bands_.size()) ? bands_[static_cast<std::size_t>(band)] : QRect();
}

double SpikeRasterView::xOf(double t) const
{
    const QRect plot = plotRect();
    return plot.left() + (t - t0_) / (t1_ - t0_) * plot.width();
}

double SpikeRasterView::timeAt(double x) const
{
    const QRect plot = plotRect();
    return t0_ + (x - plot.left()) / std::max(1, plot.width()) * (t1_ - t0_);
}

double SpikeRasterView::rowHeight(int band) const
{
    const int n = static_cast<int>(data_->bands[static_cast<std::size_t>(band)].times.size());
    return double(bands_[static_cast<std::size_t>(band)].height()) / std::max(1, n);
}

double SpikeRasterView::rowY(int band, int neuron) const
{
    const int row = rowOf_[static_cast<std::size_t>(band)][static_cast<std::size_t>(neuron)];
    return bands_[static_cast<std::size_t>(band)].top() + (row + 0.5) * rowHeight(band);
}

QPointF SpikeRasterView::spikePosition(SpikeRef spike) const
{
    if (!data_ || spike.band < 0 || spike.band >= static_cast<int>(bands_.size()))
        return {};
    const double t = data_->bands[static_cast<std::size_t>(spike.band)].times[static_cast<std::size_t>(spike.neuron)];
    return {xOf(std::isfinite(t) ? t : t1_), rowY(spike.band, spike.neuron)};
}

std::optional<SpikeRef> SpikeRasterView::spikeAt(QPointF pos) const
{
    if (!data_)
        return std::nullopt;
    std::optional<SpikeRef> best;
    double bestDistance = 6.0;
    for (int b = 0; b < static_cast<int>(bands_.size()); ++b) {
        const QRect r = bands_[static_cast<std::size_t>(b)];
        if (pos.y() < r.top() - 4 || pos.y() > r.bottom() + 4)
            continue;
        const RasterBand &band = data_->bands[static_cast<std::size_t>(b)];
        const int n = static_cast<int>(band.times.size());
        const double h = rowHeight(b);
        const int r0 = std::clamp(static_cast<int>(std::floor((pos.y() - 4 - r.top()) / h)), 0, n - 1);
        const int r1 = std::clamp(static_cast<int>(std::floor((pos.y() + 4 - r.top()) / h)), 0, n - 1);
        for (int row = r0; row <= r1; ++row) {
            const int j = neuronAt_[static_cast<std::size_t>(b)][static_cast<std::size_t>(row)];
            const double t = band.times[static_cast<std::size_t>(j)];
            if (!std::isfinite(t))
                continue;
            const double dx = std::abs(xOf(t) - pos.x());
            const double dy = std::max(0.0, std::abs(rowY(b, j) - pos.y()) - h / 2);
            const double d = dx + dy;
            if (d < bestDistance) {
                bestDistance = d;
                best = SpikeRef{b, j};
            }
        }
    }
    return best;
}

void SpikeRasterView::renderSpikes()
{
    QElapsedTimer timer;
    timer.start();
    const qreal dpr = devicePixelRatioF();
    if (spikes_.size() != size() * dpr)
        spikes_ = QImage(size() * dpr, QImage::Format_RGB32);
    spikes_.setDevicePixelRatio(dpr);
    spikes_.fill(Qt::white);
    drawnSpikes_ = 0;
    if (data_ && !bands_.empty()) {
        {
            QPainter p(&spikes_);
            const double step = niceStep(t1_ - t0_, 8);
            for (int b = 0; b < static_cast<int>(bands_.size()); ++b) {
                const QRect r = bands_[static_cast<std::size_t>(b)];
                p.fillRect(r, kBandBackground);
                // The true class's row in the output band.
                if (b == static_cast<int>(bands_.size()) - 1 && data_->label >= 0
                    && data_->label < static_cast<int>(data_->bands.back().times.size())) {
                    const double h = rowHeight(b);
                    p.fillRect(QRectF(r.left(), r.top() + rowOf_[static_cast<std::size_t>(b)][static_cast<std::size_t>(data_->label)] * h,
                                      r.width(), h),
                               QColor(255, 243, 205));
                }
                p.setPen(kGrid);
                for (double t = std::ceil(t0_ / step) * step; t <= t1_ + 1e-9; t += step)
                    p.drawLine(QPointF(xOf(t), r.top()), QPointF(xOf(t), r.bottom()));
            }
        }
        // Spikes: one pass writing pixels; a tick 3 device pixels wide, one row tall (at least 1 px).
        const int width = spikes_.width(), height = spikes_.height();
        const int bandCount = static_cast<int>(bands_.size());
        for (int b = 0; b < bandCount; ++b) {
            const RasterBand &band = data_->bands[static_cast<std::size_t>(b)];
            const QRect r = bands_[static_cast<std::size_t>(b)];
            const double h = rowHeight(b);
            const double tick = h >= 4 ? std::min(h * 0.7, 12.0) : std::max(1.0, h);
            const bool output = b == bandCount - 1;
            const int xMin = static_cast<int>(r.left() * dpr), xMax = static_cast<int>((r.right() + 1) * dpr) - 1;
            const QRgb base = bandColor(b, bandCount).rgb();
            for (std::size_t j = 0; j < band.times.size(); ++j) {
                const double t = band.times[j];
                if (!std::isfinite(t) || t < t0_ || t > t1_)
                    continue;
                ++drawnSpikes_;
                QRgb color = base;
                if (output && static_cast<int>(j) == data_->predicted)
                    color = (data_->label < 0 || data_->predicted == data_->label ? kCorrect : kWrong).rgb(); // drawn: no true class
                const double yc = r.top() + (rowOf_[static_cast<std::size_t>(b)][j] + 0.5) * h;
                const int x = static_cast<int>(xOf(t) * dpr);
                const int half = output ? static_cast<int>(2 * dpr) : static_cast<int>(dpr);
                const int y0 = std::max(0, static_cast<int>(std::floor((yc - tick / 2) * dpr)));
                const int y1 = std::min(height - 1, std::max(y0, static_cast<int>(std::ceil((yc + tick / 2) * dpr)) - 1));
                const int x0 = std::max({0, xMin, x - half}), x1 = std::min({width - 1, xMax, x + half});
                for (int y = y0; y <= y1; ++y) {
                    auto *line = reinterpret_cast<QRgb *>(spikes_.scanLine(y));
                    for (int xx = x0; xx <= x1; ++xx)
                        line[xx] = color;
                }
            }
        }
    }
    dirty_ = false;
    lastRenderMs_ = timer.nsecsElapsed() / 1e6;
}

void SpikeRasterView::paintOverlay(QPainter &p)
{
    const QColor text = palette().color(QPalette::WindowText);
    const QColor faint(110, 110, 110);
    QFont base = font();
    base.setPointSizeF(8.5);
    QFont bold = base;
    bold.setBold(true);
    p.setFont(base);
    const QFontMetrics fm(base);
    const QRect plot = plotRect();
    if (!data_ || bands_.empty()) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter, tr("No sample inspected yet"));
        return;
    }
    const RasterData &d = *data_;
    const int bandCount = static_cast<int>(bands_.size());

    // Title: the sample, the verdict, the snapshot.
    p.setFont(bold);
    p.setPen(text);
    // A drawn digit (no test index) has no true class, so no verdict either.
    const bool known = d.label >= 0;
    QString title = d.sampleIndex >= 0 ? tr("Test digit #%1 · true %2").arg(d.sampleIndex).arg(d.label) : tr("Drawn digit");
    p.drawText(QPoint(8, 4 + fm.ascent()), title);
    int x = 8 + QFontMetrics(bold).horizontalAdvance(title) + 10;
    const bool correct = d.predicted == d.label;
    const QString verdict = d.predicted < 0 ? tr("no output spike")
        : known ? tr("predicted %1 %2").arg(d.predicted).arg(correct ? QStringLiteral("✓") : QStringLiteral("✗"))
                : tr("predicted %1").arg(d.predicted);
    p.setPen(d.predicted < 0 ? faint : (!known ? text : (correct ? kCorrect : kWrong)));
    p.drawText(QPoint(x, 4 + fm.ascent()), verdict);
    x += QFontMetrics(bold).horizontalAdvance(verdict) + 10;
    p.setFont(base);
    p.setPen(faint);
    p.drawText(QPoint(x, 4 + fm.ascent()), d.snapshotLabel.isEmpty() ? tr("%L1 spikes").arg(d.spikeCount())
                                                                      : tr("%L1 spikes · %2").arg(d.spikeCount()).arg(d.snapshotLabel));

    // Legend, right-aligned on the second line.
    {
        struct Item { QColor color; QString label; bool dashed; };
        const std::vector<Item> items{{kInputColor, tr("input"), false},
                                      {kHiddenColor, tr("hidden"), false},
                                      {kCausal, tr("causal set"), false},
                                      {correct ? kCorrect : kWrong, tr("decision"), true}};
        int lx = width() - kRight;
        const int ly = 4 + fm.height() + 3;
        for (auto it = items.rbegin(); it != items.rend(); ++it) {
            lx -= fm.horizontalAdvance(it->label) + 18;
            if (it->dashed) {
                p.setPen(QPen(it->color, 1.5, Qt::DashLine));
                p.drawLine(lx, ly + 1, lx, ly + fm.height() - 2);
            } else {
                p.fillRect(QRect(lx - 2, ly + 3, 5, fm.height() - 6), it->color);
            }
            p.setPen(text);
            p.drawText(QPoint(lx + 6, ly + fm.ascent()), it->label);
            lx -= 6;
        }
    }

    // Band labels, the output digits, band frames.
    for (int b = 0; b < bandCount; ++b) {
        const QRect r = bands_[static_cast<std::size_t>(b)];
        const RasterBand &band = d.bands[static_cast<std::size_t>(b)];
        p.setPen(QColor(190, 190, 190));
        p.drawRect(r.adjusted(0, 0, -1, -1));
        const bool output = b == bandCount - 1;
        const int labelRight = output ? kLeft - 22 : kLeft - 6;
        p.setFont(bold);
        p.setPen(bandColor(b, bandCount));
        p.drawText(QRect(4, r.top(), labelRight - 4, fm.height()), Qt::AlignRight | Qt::AlignTop, band.name);
        p.setFont(base);
        p.setPen(faint);
        const QString counts = tr("%L1 neurons\n%L2 silent").arg(band.times.size()).arg(band.silentCount());
        p.drawText(QRect(4, r.top() + fm.height(), labelRight - 4, 2 * fm.height() + 2), Qt::AlignRight | Qt::AlignTop, counts);
        if (output) {
            const double h = rowHeight(b);
            for (int j = 0; j < band.neuronLabels.size() && j < static_cast<int>(band.times.size()); ++j) {
                QFont f = base;
                f.setBold(j == d.label);
                p.setFont(f);
                p.setPen(j == d.label ? text : faint);
                p.drawText(QRectF(kLeft - 20, r.top() + rowOf_.back()[static_cast<std::size_t>(j)] * h, 16, h),
                           Qt::AlignRight | Qt::AlignVCenter, band.neuronLabels[j]);
            }
            p.setFont(base);
        } else if (sorted_) {
            p.drawText(QRect(4, r.top() + 3 * fm.height() + 2, labelRight - 4, fm.height()), Qt::AlignRight | Qt::AlignTop,
                       tr("sorted by t"));
        }
    }

    // Time axis.
    p.setPen(faint);
    const double step = niceStep(t1_ - t0_, 8);
    const int axisY = plot.bottom() + 2;
    for (double t = std::ceil(t0_ / step) * step; t <= t1_ + 1e-9; t += step) {
        const double xt = xOf(t);
        p.drawLine(QPointF(xt, axisY), QPointF(xt, axisY + 4));
        p.drawText(QRectF(xt - 30, axisY + 4, 60, fm.height()), Qt::AlignHCenter | Qt::AlignTop,
                   QString::number(std::abs(t) < 1e-12 ? 0.0 : t, 'g', 4));
    }
    p.setPen(text);
    p.drawText(QRect(plot.left(), axisY + 4 + fm.height(), plot.width(), fm.height()), Qt::AlignHCenter,
               tr("spike time t (units of τ)%1").arg(zoomed_ ? tr("  ·  zoomed: double-click to reset") : QString()));

    p.save();
    p.setClipRect(plot.adjusted(0, -fm.height() - 4, 0, 0));
    p.setRenderHint(QPainter::Antialiasing, true);
    // Selection: its causal set (in the band above) and the time it fired.
    if (selected_ && selected_->band >= 0 && selected_->band < bandCount) {
        const RasterBand &band = d.bands[static_cast<std::size_t>(selected_->band)];
        const double t = band.times[static_cast<std::size_t>(selected_->neuron)];
        if (selected_->band > 0 && std::isfinite(t)) {
            const int cb = selected_->band - 1;
            const QRect r = bands_[static_cast<std::size_t>(cb)];
            QColor shade = kCausal;
            shade.setAlpha(28);
            p.fillRect(QRectF(QPointF(std::max<double>(r.left(), xOf(t0_)), r.top()), QPointF(std::clamp<double>(xOf(t), r.left(), r.right()), r.bottom())), shade);
            const RasterBand &inputs = d.bands[static_cast<std::size_t>(cb)];
            const double h = rowHeight(cb);
            const double tick = std::max(2.0, std::min(h * 0.8, 10.0));
            QVector<QRectF> rects;
            rects.reserve(static_cast<qsizetype>(causal_.size()));
            for (int i : causal_) {
                if (i < 0 || i >= static_cast<int>(inputs.times.size()) || !std::isfinite(inputs.times[static_cast<std::size_t>(i)]))
                    continue;
                rects.append(QRectF(xOf(inputs.times[static_cast<std::size_t>(i)]) - 2, rowY(cb, i) - tick / 2, 4, tick));
            }
            p.setPen(Qt::NoPen);
            p.setBrush(kCausal);
            p.drawRects(rects);
            p.setPen(QPen(kCausal, 1.2, Qt::DashLine));
            p.drawLine(QPointF(xOf(t), r.top()), QPointF(xOf(t), bands_[static_cast<std::size_t>(selected_->band)].bottom()));
        }
        if (std::isfinite(t)) {
            p.setPen(QPen(Qt::black, 1.6));
            p.setBrush(Qt::NoBrush);
            p.drawEllipse(spikePosition(*selected_), 5.5, 5.5);
        }
    }
    // Decision: the first output spike, across all bands.
    if (std::isfinite(d.decisionTime)) {
        const QColor c = correct ? kCorrect : kWrong;
        p.setPen(QPen(c, 1.5, Qt::DashLine));
        const double xd = xOf(d.decisionTime);
        p.drawLine(QPointF(xd, plot.top() - 2), QPointF(xd, plot.bottom()));
        p.setPen(c);
        p.setFont(bold);
        const QString label = tr("decision t = %1").arg(d.decisionTime, 0, 'f', 3);
        const int w = QFontMetrics(bold).horizontalAdvance(label);
        const double lx = xd + 4 + w < plot.right() ? xd + 4 : xd - 4 - w;
        p.drawText(QPointF(lx, plot.top() - 4), label);
        p.setFont(base);
    }
    if (hovered_) {
        p.setPen(QPen(QColor(0, 0, 0, 160), 1));
        p.setBrush(Qt::NoBrush);
        p.drawEllipse(spikePosition(*hovered_), 4, 4);
    }
    p.restore();
}

void SpikeRasterView::paintEvent(QPaintEvent *)
{
    QElapsedTimer timer;
    timer.start();
    if (dirty_ || spikes_.size() != size() * devicePixelRatioF())
        renderSpikes();
    QPainter p(this);
    p.drawImage(QPoint(0, 0), spikes_);
    paintOverlay(p);
    lastPaintMs_ = timer.nsecsElapsed() / 1e6;
    Q_EMIT rendered(drawnSpikes_, lastPaintMs_);
}

QImage SpikeRasterView::renderImage()
{
    dirty_ = true;
    QImage image(size() * devicePixelRatioF(), QImage::Format_RGB32);
    image.setDevicePixelRatio(devicePixelRatioF());
    render(&image);
    return image;
}

void SpikeRasterView::resizeEvent(QResizeEvent *)
{
    layoutBands();
    dirty_ = true;
}

void SpikeRasterView::wheelEvent(QWheelEvent *event)
{
    if (!data_)
        return;
    const double factor = std::pow(0.85, event->angleDelta().y() / 120.0);
    const double anchor = timeAt(event->position().x());
    setTimeRange(anchor - (anchor - t0_) * factor, anchor + (t1_ - anchor) * factor);
    event->accept();
}

void SpikeRasterView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton)
        return;
    pressed_ = true;
    panning_ = false;
    pressPos_ = event->position().toPoint();
    panStart0_ = t0_;
    panStart1_ = t1_;
}

void SpikeRasterView::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF pos = event->position();
    if (pressed_) {
        if (!panning_ && (pos.toPoint() - pressPos_).manhattanLength() > 4)
            panning_ = true;
        if (panning_) {
            const double dt = (pos.x() - pressPos_.x()) / std::max(1, plotRect().width()) * (panStart1_ - panStart0_);
            setTimeRange(panStart0_ - dt, panStart1_ - dt);
            setCursor(Qt::ClosedHandCursor);
        }
        return;
    }
    const std::optional<SpikeRef> hit = spikeAt(pos);
    if (!(hit == hovered_)) {
        hovered_ = hit;
        update();
    }
    if (hit && data_) {
        const RasterBand &band = data_->bands[static_cast<std::size_t>(hit->band)];
        const double t = band.times[static_cast<std::size_t>(hit->neuron)];
        QString what = tr("%1 neuron %2").arg(band.name).arg(hit->neuron);
        if (hit->neuron < band.neuronLabels.size())
            what += tr(" (digit %1)").arg(band.neuronLabels[hit->neuron]);
        QToolTip::showText(event->globalPosition().toPoint(),
                           tr("%1\nt = %2 τ\nz = exp(t) = %3%4")
                               .arg(what)
                               .arg(t, 0, 'f', 4)
                               .arg(std::exp(t), 0, 'f', 4)
                               .arg(hit->band > 0 ? tr("\nclick: causal set and V(t)") : QString()),
                           this);
    } else {
        QToolTip::hideText();
    }
}

void SpikeRasterView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() != Qt::LeftButton || !pressed_)
        return;
    pressed_ = false;
    unsetCursor();
    if (panning_) {
        panning_ = false;
        return;
    }
    if (const std::optional<SpikeRef> hit = spikeAt(event->position()))
        Q_EMIT spikeClicked(hit->band, hit->neuron);
}

void SpikeRasterView::mouseDoubleClickEvent(QMouseEvent *)
{
    resetZoom();
}

void SpikeRasterView::leaveEvent(QEvent *)
{
    if (hovered_) {
        hovered_.reset();
        update();
    }
}

void SpikeRasterView::keyPressEvent(QKeyEvent *event)
{
    const double mid = (t0_ + t1_) / 2, half = (t1_ - t0_) / 2;
    switch (event->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        setTimeRange(mid - half * 0.7, mid + half * 0.7);
        return;
    case Qt::Key_Minus:
        setTimeRange(mid - half / 0.7, mid + half / 0.7);
        return;
    case Qt::Key_0:
        resetZoom();
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace firstspike
