#pragma once
// Spike raster of one sample: every layer's spikes (x = spike time, y = neuron), inputs, hidden
// layers and outputs stacked in labelled bands, the decision time (first output spike) marked
// across all bands. Spikes are written straight into a cached image (one pass over the spike
// times, no per-spike QPainter calls), so tens of thousands repaint in a few milliseconds; the
// axes, labels, selection and causal set are drawn over it. Wheel zooms the time axis around the
// cursor, dragging pans, double-click resets; hovering a spike shows neuron, t and z; clicking
// one emits spikeClicked.

#include <QImage>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace firstspike {

struct RasterBand {
    QString name;               // "input", "hidden", "output"
    std::vector<double> times;  // spike time per neuron, +inf when silent
    QStringList neuronLabels;   // optional: a label per neuron (the output digits)
    int silentCount() const;
    int spikeCount() const { return static_cast<int>(times.size()) - silentCount(); }
};

struct RasterData {
    std::vector<RasterBand> bands;  // top to bottom: input, hidden..., output
    double decisionTime = std::numeric_limits<double>::infinity();
    int label = -1;
    int predicted = -1;
    double maxTime = 8.0;           // the network's horizon
    int sampleIndex = -1;
    quint64 entryId = 0;
    QString snapshotLabel;
    int spikeCount() const;
};

struct SpikeRef {
    int band = -1;
    int neuron = -1;
    bool operator==(const SpikeRef &o) const { return band == o.band && neuron == o.neuron; }
};

class SpikeRasterView : public QWidget {
    Q_OBJECT
public:
    explicit SpikeRasterView(QWidget *parent = nullptr);

    void setData(std::shared_ptr<const RasterData> data);
    const RasterData *data() const { return data_.get(); }
    // The selected spike and its causal set (neurons of the band above it; empty for inputs).
    void setSelection(std::optional<SpikeRef> spike, std::vector<int> causalNeurons);
    std::optional<SpikeRef> selection() const { return selected_; }
    const std::vector<int> &causalNeurons() const { return causal_; }

    void setSortedByTime(bool sorted);
    bool sortedByTime() const { return sorted_; }
    void setTimeRange(double t0, double t1);
    double timeStart() const { return t0_; }
    double timeEnd() const { return t1_; }
    void resetZoom();

    // What the widget holds and drew: spikes (non-silent neurons) in all bands, and how many of
    // them fell inside the visible time range at the last render.
    int spikeCount() const { return data_ ? data_->spikeCount() : 0; }
    int drawnSpikeCount() const { return drawnSpikes_; }
    double lastRenderMs() const { return lastRenderMs_; }   // cached spike image, last rebuild
    double lastPaintMs() const { return lastPaintMs_; }     // whole paintEvent, last one
    // Geometry, for hit tests and tests.
    std::optional<SpikeRef> spikeAt(QPointF pos) const;
    QPointF spikePosition(SpikeRef spike) const;
    QRect bandRect(int band) const;
    QImage renderImage(); // the widget as it would paint now, at its size

    QSize sizeHint() const override { return {720, 460}; }
    QSize minimumSizeHint() const override { return {320, 200}; }

Q_SIGNALS:
    void spikeClicked(int band, int neuron);
    void rendered(int spikes, double milliseconds);
    void timeRangeChanged(double t0, double t1);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void layoutBands();
    void rebuildOrder();
    void renderSpikes();
    void paintOverlay(QPainter &p);
    QRect plotRect() const;
    double xOf(double t) const;
    double timeAt(double x) const;
    double rowY(int band, int neuron) const;
    double rowHeight(int band) const;

    std::shared_ptr<const RasterData> data_;
    std::vector<std::vector<int>> rowOf_;      // per band: neuron -> row
    std::vector<std::vector<int>> neuronAt_;   // per band: row -> neuron
    std::vector<QRect> bands_;
    QImage spikes_;
    bool dirty_ = true;
    bool sorted_ = false;
    double t0_ = 0, t1_ = 4;
    bool zoomed_ = false;
    std::optional<SpikeRef> selected_;
    std::vector<int> causal_;
    std::optional<SpikeRef> hovered_;
    QPoint pressPos_;
    bool pressed_ = false, panning_ = false;
    double panStart0_ = 0, panStart1_ = 0;
    int drawnSpikes_ = 0;
    double lastRenderMs_ = 0, lastPaintMs_ = 0;
};

} // namespace firstspike
