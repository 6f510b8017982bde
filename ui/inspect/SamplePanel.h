#pragma once
// The current test digit pushed through the current network: the image, the true and the
// predicted class, each output neuron's spike time (the first one decides), and when the
// hidden neurons fired relative to that decision (docs/MODEL.md).

#include "ui/training/TrainingSnapshot.h"

#include <QWidget>

#include <memory>

namespace firstspike {

class SamplePanel : public QWidget {
    Q_OBJECT
public:
    explicit SamplePanel(QWidget *parent = nullptr);

    void setSample(std::shared_ptr<const SampleRecord> sample);
    void clear();
    const SampleRecord *sample() const { return sample_.get(); }
    QString summary() const; // "digit 7, predicted 7 (t = 1.23)" for tests and accessibility
    QSize sizeHint() const override { return {300, 380}; }
    QSize minimumSizeHint() const override { return {220, 260}; }

Q_SIGNALS:
    void sampleShown(int testIndex, int label, int predicted);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::shared_ptr<const SampleRecord> sample_;
};

} // namespace firstspike
