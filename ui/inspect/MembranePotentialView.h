#pragma once
// V(t) of one neuron for the inspected sample, drawn from its closed form (docs/MODEL.md, "The neuron"):
// the curve, the threshold theta, the spike time where V first reaches theta, and the arrival
// times of its inputs along the time axis (the causal set coloured by weight sign, later
// arrivals grey).

#include "core/model/MembranePotential.h"

#include <QString>
#include <QWidget>

#include <memory>

namespace firstspike {

class MembranePotentialView : public QWidget {
    Q_OBJECT
public:
    explicit MembranePotentialView(QWidget *parent = nullptr);

    // `title` names the neuron ("hidden neuron 12"); `maxTime` is the horizon of the time axis.
    void setTrace(std::shared_ptr<const MembraneTrace> trace, const QString &title, double maxTime, int sampleIndex,
                  quint64 entryId);
    void clear();
    const MembraneTrace *trace() const { return trace_.get(); }
    int sampleIndex() const { return sampleIndex_; }
    quint64 entryId() const { return entryId_; }
    double crossingTime() const; // first t with V(t) = theta, +inf if none (closed form)
    QSize sizeHint() const override { return {420, 250}; }
    QSize minimumSizeHint() const override { return {220, 140}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::shared_ptr<const MembraneTrace> trace_;
    QString title_;
    double maxTime_ = 8;
    int sampleIndex_ = -1;
    quint64 entryId_ = 0;
};

} // namespace firstspike
