#include "ui/draw/DrawPanel.h"

#include "ui/draw/DrawingPad.h"
#include "ui/draw/OutputSpikeTimesView.h"
#include "ui/export/FigureExporter.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace firstspike {

namespace {

QToolButton *toolButton(const QString &text, const QString &tip)
{
    auto *b = new QToolButton;
    b->setText(text);
    b->setToolTip(tip);
    b->setAutoRaise(false);
    return b;
}

} // namespace

DrawPanel::DrawPanel(QWidget *parent)
    : QWidget(parent)
{
    pad_ = new DrawingPad;
    pad_->setObjectName(QStringLiteral("drawingPad"));
    times_ = new OutputSpikeTimesView;
    times_->setObjectName(QStringLiteral("drawnOutputTimes"));
    prediction_ = new QLabel;
    prediction_->setObjectName(QStringLiteral("drawnPrediction"));
    prediction_->setWordWrap(true);
    prediction_->setToolTip(tr("The first output spike decides; the margin is how much later the runner-up fired"));

    auto *clear = toolButton(tr("Clear"), tr("Start over with a blank pad"));
    clear->setObjectName(QStringLiteral("drawClear"));
    undo_ = toolButton(tr("Undo"), tr("Undo the last stroke or edit (Ctrl+Z)"));
    redo_ = toolButton(tr("Redo"), tr("Redo (Ctrl+Shift+Z)"));
    eraser_ = toolButton(tr("Eraser"), tr("Left button erases instead of drawing (the right button always erases)"));
    eraser_->setCheckable(true);
    auto *noise = toolButton(tr("Noise"), tr("Set 8% of the input pixels to random grey levels"));
    noise->setObjectName(QStringLiteral("drawNoise"));
    auto *fromTest = toolButton(tr("Edit test digit"), tr("Put the test digit chosen with the slider on the pad\n"
                                                          "(or drag it from the digit view onto the pad)"));
    fromTest->setObjectName(QStringLiteral("drawFromTest"));
    centred_ = new QCheckBox(tr("MNIST centring"));
    centred_->setToolTip(tr("Scale the drawing's bounding box into 20x20 and centre it by centre of mass in 28x28,\n"
                            "as MNIST's digits were made. Off: the pad is the input as it stands (shift with the arrow keys)."));
    centred_->setChecked(pad_->isCentred());
    label_ = new QSpinBox;
    label_->setRange(-1, 9);
    label_->setValue(-1);
    label_->setSpecialValueText(tr("none"));
    label_->setToolTip(tr("Label written with the IDX export (none: the image file only)"));
    auto *png = toolButton(tr("PNG…"), tr("Save the network's input (28x28 grey) as PNG"));
    auto *idx = toolButton(tr("IDX…"), tr("Save the network's input as a one-image IDX3 file (and a one-label IDX1 file when a label is set)"));

    auto *edit = new QHBoxLayout;
    edit->setSpacing(3);
    for (QToolButton *b : {clear, undo_, redo_, eraser_, noise})
        edit->addWidget(b);
    edit->addStretch(1);
    auto *source = new QHBoxLayout;
    source->addWidget(centred_);
    source->addStretch(1);
    source->addWidget(fromTest);
    auto *save = new QHBoxLayout;
    save->setSpacing(3);
    save->addWidget(new QLabel(tr("Label")));
    save->addWidget(label_);
    save->addStretch(1);
    save->addWidget(png);
    save->addWidget(idx);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(4);
    layout->addLayout(edit);
    layout->addWidget(pad_, 3);
    layout->addLayout(source);
    layout->addWidget(prediction_);
    layout->addWidget(times_, 2);
    layout->addLayout(save);

    connect(clear, &QToolButton::clicked, pad_, &DrawingPad::clear);
    connect(undo_, &QToolButton::clicked, pad_, &DrawingPad::undo);
    connect(redo_, &QToolButton::clicked, pad_, &DrawingPad::redo);
    connect(eraser_, &QToolButton::toggled, pad_, &DrawingPad::setEraser);
    connect(noise, &QToolButton::clicked, pad_, &DrawingPad::addNoise);
    connect(fromTest, &QToolButton::clicked, this, &DrawPanel::testDigitWanted);
    connect(centred_, &QCheckBox::toggled, pad_, &DrawingPad::setCentred);
    connect(png, &QToolButton::clicked, this, &DrawPanel::exportPngDialog);
    connect(idx, &QToolButton::clicked, this, &DrawPanel::exportIdxDialog);
    connect(pad_, &DrawingPad::undoChanged, this, &DrawPanel::updateButtons);
    connect(pad_, &DrawingPad::digitChanged, this, [this] {
        updateButtons();
        Q_EMIT digitChanged();
    });
    updateButtons();
    clearOutcome(tr("Draw a digit to see the network's answer."));
}

void DrawPanel::updateButtons()
{
    undo_->setEnabled(pad_->canUndo());
    redo_->setEnabled(pad_->canRedo());
    const QSignalBlocker block(centred_);
    centred_->setChecked(pad_->isCentred());
    // A dropped digit brings its label along; drawing does not change the one chosen.
    if (pad_->label() >= 0)
        label_->setValue(pad_->label());
}

void DrawPanel::setOutcome(std::vector<double> outputTimes, int predicted, double maxTime)
{
    predicted_ = predicted;
    margin_ = std::numeric_limits<double>::quiet_NaN();
    if (predicted >= 0 && predicted < static_cast<int>(outputTimes.size())) {
        const double first = outputTimes[static_cast<std::size_t>(predicted)];
        double second = std::numeric_limits<double>::infinity();
        for (std::size_t k = 0; k < outputTimes.size(); ++k)
            if (static_cast<int>(k) != predicted)
                second = std::min(second, outputTimes[k]);
        margin_ = second - first;
        prediction_->setText(std::isfinite(margin_)
                                 ? tr("<b>Predicted %1</b> at t = %2 · margin %3")
                                       .arg(predicted)
                                       .arg(first, 0, 'f', 3)
                                       .arg(margin_, 0, 'f', 3)
                                 : tr("<b>Predicted %1</b> at t = %2 · no runner-up").arg(predicted).arg(first, 0, 'f', 3));
    } else {
        prediction_->setText(tr("<b>No decision</b>: no output neuron fired"));
    }
    times_->setTimes(std::move(outputTimes), predicted, maxTime);
}

void DrawPanel::clearOutcome(const QString &why)
{
    predicted_ = -1;
    margin_ = std::numeric_limits<double>::quiet_NaN();
    prediction_->setText(why);
    times_->clear();
}

QString DrawPanel::predictionText() const
{
    return prediction_->text();
}

int DrawPanel::exportLabel() const
{
    return label_->value();
}

void DrawPanel::setExportLabel(int label)
{
    label_->setValue(label);
}

bool DrawPanel::exportPng(const QString &path, QString *error) const
{
    return writeFileSafely(path, pad_->pngBytes(), error);
}

bool DrawPanel::exportIdx(const QString &imagesPath, const QString &labelsPath, QString *error) const
{
    if (!labelsPath.isEmpty() && exportLabel() < 0) {
        if (error)
            *error = tr("%1: choose the digit's label first").arg(labelsPath);
        return false;
    }
    if (!writeFileSafely(imagesPath, pad_->idxImageBytes(), error))
        return false;
    return labelsPath.isEmpty() || writeFileSafely(labelsPath, DrawingPad::idxLabelBytes(exportLabel()), error);
}

void DrawPanel::exportPngDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the drawn digit as PNG"), QStringLiteral("drawn-digit.png"),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportPng(path, &error))
        QMessageBox::warning(this, tr("Save failed"), error);
}

void DrawPanel::exportIdxDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the drawn digit as IDX"),
                                                      QStringLiteral("drawn-images-idx3-ubyte"), tr("IDX files (*-ubyte);;All files (*)"));
    if (path.isEmpty())
        return;
    // The labels beside the images, named as MNIST names them.
    QString labels;
    if (exportLabel() >= 0) {
        const QFileInfo info(path);
        QString name = info.fileName();
        name = name.contains(QStringLiteral("images-idx3")) ? name.replace(QStringLiteral("images-idx3"), QStringLiteral("labels-idx1"))
                                                            : name + QStringLiteral("-labels-idx1-ubyte");
        labels = info.dir().filePath(name);
    }
    QString error;
    if (!exportIdx(path, labels, &error))
        QMessageBox::warning(this, tr("Save failed"), error);
}

} // namespace firstspike
