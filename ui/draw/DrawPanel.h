#pragma once
// The Inspect tab's "Drawn digit" source: the drawing pad with its buttons (clear, undo, redo,
// eraser, noise, MNIST centring, load the current test digit, export as PNG or IDX) and what the
// network answered: the predicted digit, the margin to the runner-up, and the ten output spike
// times. The panel does not compute: InspectPanel pushes the pad's digit through the network
// (InspectionEngine) and hands the answer back with setOutcome().

#include <QString>
#include <QWidget>

#include <limits>
#include <vector>

class QCheckBox;
class QLabel;
class QSpinBox;
class QToolButton;

namespace firstspike {

class DrawingPad;
class OutputSpikeTimesView;

class DrawPanel : public QWidget {
    Q_OBJECT
public:
    explicit DrawPanel(QWidget *parent = nullptr);

    DrawingPad *pad() const { return pad_; }
    OutputSpikeTimesView *outputTimes() const { return times_; }

    // The network's answer for the pad's current digit: output spike times (+inf when silent),
    // the winner (-1: no output spike) and the horizon.
    void setOutcome(std::vector<double> outputTimes, int predicted, double maxTime);
    void clearOutcome(const QString &why);
    int predicted() const { return predicted_; }
    double margin() const { return margin_; } // runner-up t minus winner t; +inf if it is silent, NaN without a winner
    QString predictionText() const;           // the line shown above the spike times

    // Label written with an IDX export (-1: images only).
    int exportLabel() const;
    void setExportLabel(int label);
    // The network input as a 28x28 grey PNG; as a one-image IDX3 file and, when labelsPath is
    // not empty, a one-label IDX1 file (the export label, which must be set). Both go through
    // writeFileSafely (atomic; a failed write keeps the old file).
    bool exportPng(const QString &path, QString *error = nullptr) const;
    bool exportIdx(const QString &imagesPath, const QString &labelsPath, QString *error = nullptr) const;

Q_SIGNALS:
    void digitChanged();     // the pad's digit changed (coalesced while drawing)
    void testDigitWanted();  // "Edit test digit": load the current test digit into the pad

private:
    void updateButtons();
    void exportPngDialog();
    void exportIdxDialog();

    DrawingPad *pad_ = nullptr;
    OutputSpikeTimesView *times_ = nullptr;
    QLabel *prediction_ = nullptr;
    QToolButton *undo_ = nullptr, *redo_ = nullptr, *eraser_ = nullptr;
    QCheckBox *centred_ = nullptr;
    QSpinBox *label_ = nullptr;
    int predicted_ = -1;
    double margin_ = std::numeric_limits<double>::quiet_NaN();
};

} // namespace firstspike
