#pragma once
// The inspected digit, with the causal set of the selected first-layer neuron on it: the pixels
// whose input spikes arrived before the neuron fired, tinted by the sign of their weight onto it
// (red excitatory, blue inhibitory); the other pixels dimmed. A test digit can be dragged from
// here onto the drawing pad (ui/draw/DrawingPad) to be edited.

#include <QPoint>
#include <QWidget>

#include <cstdint>
#include <vector>

class QMimeData;

namespace firstspike {

class DigitCausalView : public QWidget {
    Q_OBJECT
public:
    explicit DigitCausalView(QWidget *parent = nullptr);

    void setDigit(const std::vector<std::uint8_t> &pixels, int rows, int cols, int sampleIndex, quint64 entryId);
    // `pixels` (indices into the image) and their weights onto the selected neuron; `caption` says whose.
    void setCausalSet(std::vector<int> pixels, std::vector<double> weights, const QString &caption);
    void clear();
    void setLabel(int label) { label_ = label; } // travels with a drag (-1: unknown)
    // The drag's payload: the digit as DrawingPad::kDigitMimeType (nullptr when there is none).
    QMimeData *digitMimeData() const;
    const std::vector<int> &causalPixels() const { return causal_; }
    int sampleIndex() const { return sampleIndex_; }
    quint64 entryId() const { return entryId_; }
    QSize sizeHint() const override { return {240, 270}; }
    QSize minimumSizeHint() const override { return {120, 130}; }

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;

private:
    std::vector<std::uint8_t> pixels_;
    int rows_ = 0, cols_ = 0;
    int sampleIndex_ = -1;
    quint64 entryId_ = 0;
    std::vector<int> causal_;
    std::vector<double> weights_;
    QString caption_;
    int label_ = -1;
    QPoint pressPos_;
    bool pressed_ = false;
};

} // namespace firstspike
