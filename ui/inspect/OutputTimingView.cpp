#include "ui/inspect/OutputTimingView.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {
constexpr int kTitleH = 22;

// Viridis, sampled: early spikes dark, late spikes bright.
QColor viridis(double x)
{
    static const QColor stops[] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    x = std::clamp(x, 0.0, 1.0) * 4;
    const int i = std::min(3, static_cast<int>(x));
    const double f = x - i;
    const QColor &a = stops[i], &b = stops[i + 1];
    return QColor(static_cast<int>(a.red() + f * (b.red() - a.red())), static_cast<int>(a.green() + f * (b.green() - a.green())),
                  static_cast<int>(a.blue() + f * (b.blue() - a.blue())));
}

QColor blues(double x)
{
    x = std::clamp(x, 0.0, 1.0);
    return QColor(static_cast<int>(247 - x * (247 - 8)), static_cast<int>(251 - x * (251 - 48)), static_cast<int>(255 - x * (255 - 107)));
}

bool dark(const QColor &c)
{
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() < 140;
}
} // namespace

OutputTimingView::OutputTimingView(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setToolTip(QString());
}

void OutputTimingView::setStatistics(std::shared_ptr<const OutputTimingStatistics> statistics, quint64 entryId,
                                     const QString &snapshotLabel)
{
    statistics_ = std::move(statistics);
    entryId_ = entryId;
    if (pendingId_ == entryId)
        pendingId_ = 0;
    snapshotLabel_ = snapshotLabel;
    update();
}

void OutputTimingView::setPending(quint64 entryId)
{
    pendingId_ = entryId == entryId_ ? 0 : entryId;
    update();
}

void OutputTimingView::clear()
{
    statistics_.reset();
    entryId_ = pendingId_ = 0;
    update();
}

OutputTimingView::Geometry OutputTimingView::geometry() const
{
    Geometry g;
    const int classes = statistics_ ? statistics_->classes : 10;
    const QFontMetrics fm(font());
    const int top = kTitleH + 2 * fm.height() + 6;   // title, panel titles, column header
    const int bottom = 2 * fm.height() + 10;         // axis title / colour bar
    const int labelW = 2 * fm.height() + 16;         // row axis title and digit labels
    const int tableW = std::clamp(width() * 30 / 100, 300, 400);
    const int matrixArea = width() - tableW - 2 * labelW - 60;
    g.cell = std::max(8.0, std::min(double(matrixArea) / (2 * classes + 1), double(height() - top - bottom) / classes));
    const int side = static_cast<int>(g.cell * classes);
    // Centre the three panels when the height limits the cells.
    const int used = 2 * labelW + side + static_cast<int>(g.cell * (classes + 1)) + 60 + tableW;
    const int x0 = std::max(0, (width() - used) / 2);
    g.time = QRect(x0 + labelW, top, side, side);
    g.confusion = QRect(g.time.right() + 30 + labelW, top, static_cast<int>(g.cell * (classes + 1)), side);
    g.table = QRect(g.confusion.right() + 30, top - fm.height() - 4, tableW, side + fm.height() + 4);
    return g;
}

QPoint OutputTimingView::cellCenter(Matrix matrix, int trueDigit, int column) const
{
    const Geometry g = geometry();
    const QRect r = matrix == Matrix::MeanTime ? g.time : g.confusion;
    return QPoint(static_cast<int>(r.left() + (column + 0.5) * g.cell), static_cast<int>(r.top() + (trueDigit + 0.5) * g.cell));
}

bool OutputTimingView::cellAt(QPoint pos, Matrix &matrix, int &row, int &column) const
{
    if (!statistics_)
        return false;
    const Geometry g = geometry();
    for (Matrix m : {Matrix::MeanTime, Matrix::Confusion}) {
        const QRect r = m == Matrix::MeanTime ? g.time : g.confusion;
        if (r.contains(pos)) {
            matrix = m;
            row = std::min(statistics_->classes - 1, static_cast<int>((pos.y() - r.top()) / g.cell));
            column = static_cast<int>((pos.x() - r.left()) / g.cell);
            return column <= statistics_->classes - (m == Matrix::MeanTime ? 1 : 0);
        }
    }
    return false;
}

void OutputTimingView::mouseReleaseEvent(QMouseEvent *event)
{
    Matrix matrix;
    int row = 0, column = 0;
    if (event->button() != Qt::LeftButton || !cellAt(event->position().toPoint(), matrix, row, column))
        return;
    const OutputTimingStatistics &s = *statistics_;
    Q_EMIT cellClicked(matrix, row, column);
    if (matrix == Matrix::MeanTime) {
        Q_EMIT samplesSelected(s.samplesOfDigit(row, column),
                               tr("true %1, earliest output-%2 spike first").arg(row).arg(column));
    } else {
        const int predicted = column == s.classes ? -1 : column;
        Q_EMIT samplesSelected(s.samplesWith(row, predicted),
                               predicted < 0 ? tr("true %1, no output spike").arg(row)
                                             : tr("true %1, predicted %2").arg(row).arg(predicted));
    }
}

bool OutputTimingView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        Matrix matrix;
        int row = 0, column = 0;
        if (cellAt(help->pos(), matrix, row, column)) {
            const OutputTimingStatistics &s = *statistics_;
            QString tip;
            if (matrix == Matrix::MeanTime) {
                const auto c = static_cast<std::size_t>(row * s.classes + column);
                tip = tr("true digit %1, output neuron %2\nmean spike time %3 τ over %4 of %5 digits\nclick: these digits, earliest first")
                          .arg(row)
                          .arg(column)
                          .arg(std::isfinite(s.meanSpikeTime[c]) ? QString::number(s.meanSpikeTime[c], 'f', 3) : tr("–"))
                          .arg(s.firedCount[c])
                          .arg(s.digitCount[static_cast<std::size_t>(row)]);
            } else {
                const int predicted = column == s.classes ? -1 : column;
                tip = tr("true %1, %2: %3 digits\nclick: scrub through them")
                          .arg(row)
                          .arg(predicted < 0 ? tr("no output spike") : tr("predicted %1").arg(predicted))
                          .arg(s.confusionAt(row, predicted));
            }
            QToolTip::showText(help->globalPos(), tip, this);
        } else {
            QToolTip::showText(help->globalPos(),
                               tr("Per-digit output timing over the test set at the selected snapshot.\n"
                                  "Click a cell to scrub through the digits behind it."),
                               this);
        }
        return true;
    }
    return QWidget::event(event);
}

void OutputTimingView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    const QColor text = palette().color(QPalette::WindowText);
    const QColor faint(110, 110, 110);
    const QFont base = font();
    QFont bold = base;
    bold.setBold(true);
    QFont small = base;
    small.setPointSizeF(std::max(6.5, base.pointSizeF() - 1.5));
    const QFontMetrics fm(base);
    if (!statistics_) {
        p.setPen(faint);
        p.drawText(rect(), Qt::AlignCenter, pendingId_ ? tr("Computing per-digit timing…") : tr("No statistics yet"));
        return;
    }
    const OutputTimingStatistics &s = *statistics_;
    const Geometry g = geometry();
    const int n = s.classes;
    small.setPointSizeF(g.cell < 22 ? 6.8 : 7.5); // cell numbers fit three digits

    p.setFont(bold);
    p.setPen(text);
    p.drawText(QPoint(8, 4 + fm.ascent()),
               tr("Per-digit output timing · %L1 test digits · %2 · accuracy %3 %")
                   .arg(s.samples)
                   .arg(snapshotLabel_)
                   .arg(100 * s.accuracy(), 0, 'f', 2));
    if (pendingId_) {
        p.setFont(base);
        p.setPen(faint);
        p.drawText(QRect(0, 4, width() - 8, fm.height()), Qt::AlignRight, tr("updating…"));
    }

    auto drawAxes = [&](const QRect &r, int columns, const QString &title, const QString &columnTitle, bool noneColumn) {
        p.setFont(bold);
        p.setPen(text);
        p.drawText(QRect(r.left() - 40, r.top() - 2 * fm.height() - 6, r.width() + 80, fm.height()), Qt::AlignHCenter, title);
        p.setFont(base);
        p.setPen(faint);
        for (int c = 0; c < columns; ++c) {
            const QString label = noneColumn && c == columns - 1 ? QStringLiteral("∅") : QString::number(c);
            p.drawText(QRectF(r.left() + c * g.cell - 8, r.top() - fm.height() - 2, g.cell + 16, fm.height()), Qt::AlignHCenter | Qt::AlignBottom, label);
        }
        for (int row = 0; row < n; ++row)
            p.drawText(QRectF(r.left() - 22, r.top() + row * g.cell, 18, g.cell), Qt::AlignRight | Qt::AlignVCenter, QString::number(row));
        p.setPen(text);
        p.drawText(QRect(r.left(), r.bottom() + 4, r.width(), fm.height()), Qt::AlignHCenter, columnTitle);
        p.save();
        p.translate(r.left() - 26 - fm.descent(), r.center().y());
        p.rotate(-90);
        p.drawText(QRect(-r.height() / 2, -fm.ascent(), r.height(), fm.height()), Qt::AlignCenter, tr("true digit"));
        p.restore();
    };

    // Mean first-spike time grid.
    double tMin = kSilent, tMax = 0;
    for (double t : s.meanSpikeTime)
        if (std::isfinite(t)) {
            tMin = std::min(tMin, t);
            tMax = std::max(tMax, t);
        }
    if (!std::isfinite(tMin))
        tMin = 0;
    const double span = std::max(1e-6, tMax - tMin);
    p.setFont(small);
    const bool cellText = g.cell >= 17;
    for (int row = 0; row < n; ++row)
        for (int col = 0; col < n; ++col) {
            const double t = s.meanSpikeTime[static_cast<std::size_t>(row * n + col)];
            const QRectF cell(g.time.left() + col * g.cell, g.time.top() + row * g.cell, g.cell, g.cell);
            const QColor c = std::isfinite(t) ? viridis((t - tMin) / span) : QColor(235, 235, 235);
            p.fillRect(cell, c);
            if (cellText) {
                p.setPen(std::isfinite(t) && dark(c) ? Qt::white : Qt::black);
                p.drawText(cell, Qt::AlignCenter, std::isfinite(t) ? QString::number(t, 'f', 2) : tr("–"));
            }
        }
    p.setPen(QPen(Qt::black, 1.2));
    p.setBrush(Qt::NoBrush);
    for (int d = 0; d < n; ++d)
        p.drawRect(QRectF(g.time.left() + d * g.cell, g.time.top() + d * g.cell, g.cell, g.cell));
    drawAxes(g.time, n, tr("Mean output spike time (τ)"), tr("output neuron"), false);
    // Colour bar for the time grid, under its axis title.
    {
        const int barY = g.time.bottom() + 4 + fm.height() + 2;
        const QRect bar(g.time.left(), barY, g.time.width(), 6);
        for (int x = 0; x < bar.width(); ++x) {
            p.setPen(viridis(double(x) / std::max(1, bar.width() - 1)));
            p.drawLine(bar.left() + x, bar.top(), bar.left() + x, bar.bottom());
        }
        p.setFont(small);
        p.setPen(faint);
        p.drawText(QRect(bar.left() - 40, bar.bottom() + 1, 80, fm.height()), Qt::AlignHCenter, QString::number(tMin, 'f', 2));
        p.drawText(QRect(bar.right() - 40, bar.bottom() + 1, 80, fm.height()), Qt::AlignHCenter, QString::number(tMax, 'f', 2));
        p.drawText(QRect(bar.left(), bar.bottom() + 1, bar.width(), fm.height()), Qt::AlignHCenter, tr("earlier  ←  →  later"));
    }

    // Confusion matrix, shaded by the fraction of the row.
    p.setFont(small);
    for (int row = 0; row < n; ++row) {
        const int total = std::max(1, s.digitCount[static_cast<std::size_t>(row)]);
        for (int col = 0; col <= n; ++col) {
            const int count = s.confusionAt(row, col == n ? -1 : col);
            const QRectF cell(g.confusion.left() + col * g.cell, g.confusion.top() + row * g.cell, g.cell, g.cell);
            const QColor c = col == n && count ? QColor(253, 208, 162) : blues(double(count) / total);
            p.fillRect(cell, c);
            if (cellText && count) {
                p.setPen(dark(c) ? Qt::white : Qt::black);
                p.drawText(cell, Qt::AlignCenter, QString::number(count));
            }
        }
    }
    p.setPen(QColor(200, 200, 200));
    p.setBrush(Qt::NoBrush);
    p.drawRect(g.confusion);
    p.setPen(QPen(QColor(44, 160, 44), 1.4));
    for (int d = 0; d < n; ++d)
        p.drawRect(QRectF(g.confusion.left() + d * g.cell, g.confusion.top() + d * g.cell, g.cell, g.cell));
    drawAxes(g.confusion, n + 1, tr("Confusion matrix (counts)"), tr("predicted"), true);

    // Per-digit table.
    p.setFont(bold);
    p.setPen(text);
    const QStringList headers{tr("digit"), tr("n"), tr("acc. %"), tr("t dec."), tr("margin"), tr("hidden<dec.")};
    const std::vector<double> widths{0.12, 0.12, 0.15, 0.17, 0.17, 0.27};
    std::vector<int> xs{g.table.left()};
    for (double w : widths)
        xs.push_back(xs.back() + static_cast<int>(w * g.table.width()));
    p.drawText(QRect(g.table.left(), g.table.top() - fm.height() - 6, g.table.width(), fm.height()), Qt::AlignLeft,
               tr("Per true digit (means over decided digits)"));
    p.setFont(base);
    const int rows = n + 2;
    // Room for the two-line footnote under the table.
    const int footnoteH = 2 * QFontMetrics(small).height() + 6;
    const double rh = std::min<double>(fm.height() + 3, double(height() - g.table.top() - footnoteH - 4) / rows);
    for (int c = 0; c < headers.size(); ++c)
        p.drawText(QRectF(xs[static_cast<std::size_t>(c)], g.table.top(), xs[static_cast<std::size_t>(c) + 1] - xs[static_cast<std::size_t>(c)] - 4, rh),
                   Qt::AlignRight | Qt::AlignVCenter, headers[c]);
    p.setPen(QColor(180, 180, 180));
    p.drawLine(QPointF(g.table.left(), g.table.top() + rh), QPointF(xs.back(), g.table.top() + rh));
    double marginAll = 0, hiddenAll = 0, decisionAll = 0;
    int decidedAll = 0;
    for (int i = 0; i < s.samples; ++i)
        if (s.predicted[static_cast<std::size_t>(i)] >= 0) {
            ++decidedAll;
            marginAll += s.margin[static_cast<std::size_t>(i)];
            hiddenAll += s.hiddenBeforeDecision[static_cast<std::size_t>(i)];
            decisionAll += s.decisionTime[static_cast<std::size_t>(i)];
        }
    auto number = [](double v, int decimals) { return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("–"); };
    for (int r = 0; r <= n; ++r) {
        QStringList cells;
        if (r < n) {
            const auto d = static_cast<std::size_t>(r);
            const int count = s.digitCount[d];
            cells << QString::number(r) << QString::number(count)
                  << (count ? QString::number(100.0 * s.confusionAt(r, r) / count, 'f', 1) : QStringLiteral("–"))
                  << number(s.meanDecisionTime[d], 3) << number(s.meanMargin[d], 3) << number(s.meanHiddenBeforeDecision[d], 1);
        } else {
            cells << tr("all") << QString::number(s.samples) << QString::number(100 * s.accuracy(), 'f', 1)
                  << number(decidedAll ? decisionAll / decidedAll : NAN, 3) << number(decidedAll ? marginAll / decidedAll : NAN, 3)
                  << number(decidedAll ? hiddenAll / decidedAll : NAN, 1);
        }
        const double y = g.table.top() + (r + 1) * rh + (r == n ? 3 : 0);
        if (r == n) {
            p.setPen(QColor(180, 180, 180));
            p.drawLine(QPointF(g.table.left(), y - 1), QPointF(xs.back(), y - 1));
        }
        if (r < n && r % 2 == 1)
            p.fillRect(QRectF(g.table.left(), y, xs.back() - g.table.left(), rh), QColor(244, 246, 250));
        p.setPen(text);
        p.setFont(r == n ? bold : base);
        for (int c = 0; c < cells.size(); ++c)
            p.drawText(QRectF(xs[static_cast<std::size_t>(c)], y, xs[static_cast<std::size_t>(c) + 1] - xs[static_cast<std::size_t>(c)] - 4, rh),
                       Qt::AlignRight | Qt::AlignVCenter, cells[c]);
    }
    p.setFont(small);
    p.setPen(faint);
    p.drawText(QRect(g.table.left(), static_cast<int>(g.table.top() + (n + 2) * rh + 6), g.table.width(), footnoteH),
               Qt::AlignLeft | Qt::TextWordWrap,
               tr("predicted: first output spike (∅ none) · margin: runner-up t − winner t, silent runner-up at "
                  "%1 τ · hidden<dec.: hidden spikes (of %L2) before the decision")
                   .arg(s.maxSpikeTime, 0, 'g', 3)
                   .arg(s.hiddenNeurons));
}

} // namespace firstspike
