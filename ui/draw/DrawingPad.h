#pragma once
// A 28x28 digit drawn with the mouse or a pen: the canvas the user draws on and the stroke
// model behind it, with an undo stack. The canvas is drawn at 10x (280x280, anti-aliased round
// pen of MNIST-like width) and turned into the network's input in one of two ways:
//
//   MNIST centring on (drawing from scratch): core/data/MnistPreprocess's mnistPreprocess, as
//   MNIST's digits were made (bounding box to 20x20, centred by centre of mass in 28x28);
//   off (editing a dropped test digit): the canvas averaged down to 28x28 as it stands, so a
//   shift or an erased stroke is seen by the network as it is seen on the pad.
//
// Left button draws, right button (or the eraser mode) erases; arrow keys shift the content by
// one pixel (and turn the centring off, which would undo the shift); Ctrl+Z / Ctrl+Shift+Z undo
// and redo. A test digit dropped on the pad (mime type kDigitMimeType, or any image) replaces
// the content and can then be edited. Noise adds salt-and-pepper pixels to the network input.
// digitChanged() is emitted at most every kUpdateIntervalMs while a stroke is drawn (mouse
// moves are coalesced) and at once after any other change.

#include <QByteArray>
#include <QElapsedTimer>
#include <QImage>
#include <QPointF>
#include <QWidget>

#include <cstdint>
#include <vector>

class QMimeData;
class QTimer;

namespace firstspike {

// One stroke, in pad pixels (0..28 on both axes, fractional).
struct DrawnStroke {
    std::vector<QPointF> points;
    bool erase = false;
};

// Everything that undo restores.
struct DrawingState {
    std::vector<std::uint8_t> background; // a dropped digit (28x28), or empty
    int backgroundLabel = -1;             // its label, -1 when unknown
    std::vector<DrawnStroke> strokes;
    int shiftX = 0, shiftY = 0;           // whole pixels, applied to background and strokes
    std::vector<std::uint64_t> noiseSeeds; // one per "Noise" press
    bool centred = true;                  // MNIST centring
};

class DrawingPad : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSide = 28;            // network input: kSide x kSide
    static constexpr int kScale = 10;           // canvas pixels per input pixel
    static constexpr double kPenWidth = 2.3;    // in input pixels: MNIST strokes are 2-3 pixels wide
    static constexpr int kUpdateIntervalMs = 16;
    static constexpr int kUndoLimit = 200;
    // A drag of a digit: kSide * kSide bytes, row-major, white on black; the label as text.
    static constexpr const char *kDigitMimeType = "application/x-firstspike-digit";

    explicit DrawingPad(QWidget *parent = nullptr);

    // The network's input: kSide * kSide bytes (recomputed only after a change).
    const std::vector<std::uint8_t> &digit() const;
    QImage digitImage() const;   // the same as an 8-bit grey image
    QImage canvasImage() const;  // what is drawn, at kScale
    bool isBlank() const;
    const DrawingState &state() const { return state_; }
    quint64 revision() const { return revision_; } // grows with every change
    int label() const { return state_.backgroundLabel; }

    // Editing (each one step of undo).
    void clear();
    void addStroke(std::vector<QPointF> points, bool erase = false); // pad pixels
    void setDigit(const std::vector<std::uint8_t> &pixels, int label = -1); // kSide x kSide, centring off
    void shift(int dx, int dy);
    void addNoise();
    void setCentred(bool centred);
    bool isCentred() const { return state_.centred; }
    void undo();
    void redo();
    bool canUndo() const { return !undo_.empty(); }
    bool canRedo() const { return !redo_.empty(); }

    void setEraser(bool on) { eraser_ = on; }
    bool eraser() const { return eraser_; }

    // The widget position of a pad pixel coordinate (for tests and scripted drawing).
    QPointF toWidget(QPointF padPoint) const;
    QPointF toPad(QPointF widgetPoint) const;

    // Exports of the network input: PNG (28x28 grey) and IDX (one image; labels: one label).
    QByteArray pngBytes() const;
    QByteArray idxImageBytes() const;
    static QByteArray idxLabelBytes(int label);
    // Reads a drop: a digit of kDigitMimeType or an image (scaled to 28x28, made white on black).
    static bool digitFromMime(const QMimeData *mime, std::vector<std::uint8_t> &pixels, int &label);

    QSize sizeHint() const override { return {300, 300}; }
    QSize minimumSizeHint() const override { return {120, 120}; }
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int w) const override { return w; }

Q_SIGNALS:
    void digitChanged();
    void undoChanged();

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void tabletEvent(QTabletEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void beginStroke(QPointF widgetPos, bool erase);
    void extendStroke(QPointF widgetPos);
    void endStroke();
    void pushUndo();
    void changed(bool coalesce);
    QRectF padRect() const;
    void render() const;

    DrawingState state_;
    std::vector<DrawingState> undo_, redo_;
    bool drawing_ = false;
    bool eraser_ = false;
    quint64 revision_ = 1;
    std::uint64_t noisePresses_ = 0;
    QTimer *coalesce_ = nullptr;

    mutable quint64 renderedRevision_ = 0;
    mutable QImage canvas_;                 // kSide * kScale square, grey
    mutable std::vector<std::uint8_t> digit_;
};

} // namespace firstspike
