#include "ui/inspect/SamplePanel.h"

#include <QImage>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {
const QColor kCorrect(44, 160, 44);
const QColor kWrong(214, 39, 40);
const QColor kBar(120, 150, 190);
const QColor kHidden(31, 119, 180);
} // namespace

SamplePanel::SamplePanel(QWidget *parent)
    : QWidget(parent)
{
    setToolTip(tr("A test digit through the current network: output spike times (the first spike is the decision)\n"
                  "and the distribution of hidden spike times; the dashed line marks the decision."));
}

void SamplePanel::clear()
{
    sample_.reset();
    update();
}

void SamplePanel::setSample(std::shared_ptr<const SampleRecord> sample)
{
    if (!sample)
        return;
    sample_ = std::move(sample);
    update();
    Q_EMIT sampleShown(sample_->testIndex, sample_->label, sample_->predicted);
}

QString SamplePanel::summary() const
{
    if (!sample_ || sample_->label < 0)
        return {};
    if (sample_->predicted < 0)
        return tr("test digit #%1: a %2, no output spike").arg(sample_->testIndex).arg(sample_->label);
    return tr("test digit #%1: a %2, predicted %3 at t = %4")
        .arg(sample_->testIndex)
        .arg(sample_->label)
        .arg(sample_->predicted)
        .arg(sample_->outputTimes[sample_->predicted], 0, 'f', 3);
}

void SamplePanel::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    const QColor text = palette().color(QPalette::WindowText);
    const QColor faint = palette().color(QPalette::PlaceholderText);
    if (!sample_ || sample_->pixels.empty()) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter, tr("No sample yet"));
        return;
    }
    const SampleRecord &s = *sample_;
    QFont base = font();
    base.setPointSizeF(8.5);
    p.setFont(base);
    const QFontMetrics fm(base);

    // Digit image, white on black as MNIST is stored.
    const int side = std::clamp(std::min(width() / 3, height() / 4), 56, 140);
    QImage img(s.cols, s.rows, QImage::Format_Grayscale8);
    for (int r = 0; r < s.rows; ++r)
        std::copy_n(s.pixels.data() + r * s.cols, s.cols, img.scanLine(r));
    const QRect imageRect(6, 6, side, side);
    p.setRenderHint(QPainter::SmoothPixmapTransform, false);
    p.drawImage(imageRect, img);
    p.setPen(QColor(120, 120, 120));
    p.drawRect(imageRect.adjusted(0, 0, -1, -1));

    // Verdict.
    const bool correct = s.predicted == s.label;
    QFont big = base;
    big.setPointSizeF(15);
    big.setBold(true);
    int x = imageRect.right() + 12;
    p.setFont(big);
    p.setPen(text);
    p.drawText(QPoint(x, imageRect.top() + QFontMetrics(big).ascent()), tr("true %1").arg(s.label));
    p.setPen(s.predicted < 0 ? faint : (correct ? kCorrect : kWrong));
    const QString verdict = s.predicted < 0 ? tr("no spike") : tr("predicted %1 %2").arg(s.predicted).arg(correct ? QStringLiteral("✓") : QStringLiteral("✗"));
    p.drawText(QPoint(x, imageRect.top() + 2 * QFontMetrics(big).height()), verdict);
    p.setFont(base);
    p.setPen(faint);
    double decision = std::numeric_limits<double>::infinity();
    if (s.predicted >= 0)
        decision = s.outputTimes[s.predicted];
    double runnerUp = std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < s.outputTimes.size(); ++k)
        if (static_cast<int>(k) != s.predicted)
            runnerUp = std::min(runnerUp, s.outputTimes[k]);
    QString detail = tr("test digit #%1").arg(s.testIndex);
    if (std::isfinite(decision))
        detail += tr("\ndecision at t = %1").arg(decision, 0, 'f', 3);
    if (std::isfinite(decision) && std::isfinite(runnerUp))
        detail += tr("\nmargin to runner-up %1").arg(runnerUp - decision, 0, 'f', 3);
    p.drawText(QRect(x, imageRect.top() + 2 * QFontMetrics(big).height() + 6, width() - x - 4, 3 * fm.height() + 4),
               Qt::AlignLeft | Qt::AlignTop, detail);

    // Common time axis of the two plots below.
    double tMax = 0;
    for (double t : s.outputTimes)
        if (std::isfinite(t))
            tMax = std::max(tMax, t);
    for (double t : s.hiddenTimes)
        if (std::isfinite(t))
            tMax = std::max(tMax, t);
    tMax = std::min(s.maxSpikeTime, std::max(1.0, std::ceil(tMax * 1.1 * 2) / 2));
    const int left = 34 + fm.horizontalAdvance(QStringLiteral("0"));
    const int right = width() - 12;
    auto xOf = [&](double t) { return left + (right - left) * std::clamp(t / tMax, 0.0, 1.0); };

    // Output spike times: one row per class.
    int y = imageRect.bottom() + 10;
    p.setPen(text);
    QFont bold = base;
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QPoint(6, y + fm.ascent()), tr("Output spike times"));
    p.setFont(base);
    y += fm.height() + 4;
    const int classes = static_cast<int>(s.outputTimes.size());
    const int hiddenBlock = s.hiddenTimes.empty() ? 0 : 110;
    const int rowH = std::clamp((height() - y - hiddenBlock - 2 * fm.height() - 10) / std::max(1, classes), 8, 20);
    for (int k = 0; k < classes; ++k) {
        const int ry = y + k * rowH;
        p.setPen(k == s.label ? text : faint);
        QFont lf = base;
        lf.setBold(k == s.label);
        p.setFont(lf);
        p.drawText(QRect(6, ry, left - 10, rowH), Qt::AlignRight | Qt::AlignVCenter, QString::number(k));
        p.setFont(base);
        const double t = s.outputTimes[k];
        const QRectF track(left, ry + 2, right - left, rowH - 4);
        p.fillRect(track, QColor(242, 242, 242));
        if (std::isfinite(t)) {
            QColor c = k == s.predicted ? (correct ? kCorrect : kWrong) : kBar;
            p.fillRect(QRectF(left, ry + 2, xOf(t) - left, rowH - 4), c);
            p.setPen(Qt::black);
            p.drawLine(QPointF(xOf(t), ry + 1), QPointF(xOf(t), ry + rowH - 1));
        } else {
            p.setPen(faint);
            p.drawText(track, Qt::AlignLeft | Qt::AlignVCenter, tr("  silent"));
        }
    }
    y += classes * rowH + 2;

    // Hidden spike-time histogram.
    if (!s.hiddenTimes.empty()) {
        const int bins = 40;
        std::vector<int> counts(bins, 0);
        int silent = 0, beforeDecision = 0;
        for (double t : s.hiddenTimes) {
            if (!std::isfinite(t)) {
                ++silent;
                continue;
            }
            beforeDecision += t < decision ? 1 : 0;
            counts[std::clamp(static_cast<int>(t / tMax * bins), 0, bins - 1)]++;
        }
        const int peak = std::max(1, *std::max_element(counts.begin(), counts.end()));
        p.setFont(bold);
        p.setPen(text);
        y += 6;
        p.drawText(QPoint(6, y + fm.ascent()), tr("Hidden spike times"));
        p.setFont(base);
        p.setPen(faint);
        const int n = static_cast<int>(s.hiddenTimes.size());
        y += fm.height();
        p.drawText(QRect(6, y, width() - 12, fm.height()), Qt::AlignLeft,
                   tr("%1 % before the decision, %2 % silent")
                       .arg(100.0 * beforeDecision / n, 0, 'f', 0)
                       .arg(100.0 * silent / n, 0, 'f', 0));
        y += fm.height() + 2;
        const int h = std::clamp(height() - y - fm.height() - 8, 24, 160);
        const double bw = double(right - left) / bins;
        for (int b = 0; b < bins; ++b) {
            const double bh = double(h) * counts[b] / peak;
            p.fillRect(QRectF(left + b * bw, y + h - bh, bw - 1, bh), kHidden);
        }
        p.setPen(QColor(150, 150, 150));
        p.drawLine(left, y + h, right, y + h);
        if (std::isfinite(decision)) {
            p.setPen(QPen(correct ? kCorrect : kWrong, 1.5, Qt::DashLine));
            p.drawLine(QPointF(xOf(decision), y - 2), QPointF(xOf(decision), y + h));
        }
        y += h;
    }

    // Time axis.
    p.setPen(faint);
    const double step = tMax <= 2 ? 0.5 : (tMax <= 5 ? 1.0 : 2.0);
    for (double t = 0; t <= tMax + 1e-9; t += step) {
        p.drawLine(QPointF(xOf(t), y), QPointF(xOf(t), y + 3));
        p.drawText(QRectF(xOf(t) - 20, y + 3, 40, fm.height()), Qt::AlignHCenter | Qt::AlignTop, QString::number(t, 'g', 3));
    }
    p.drawText(QRect(6, y + 3, left - 8, fm.height()), Qt::AlignLeft, tr("t (τ)"));
}

} // namespace firstspike
