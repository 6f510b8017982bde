#pragma once
// The ten output spike times of one digit as bars on a shared time axis (0 to the horizon):
// the first spike decides, so the shortest bar is the prediction (green), and the gap to the
// runner-up is the margin. Silent neurons say so.

#include <QWidget>

#include <vector>

namespace firstspike {

class OutputSpikeTimesView : public QWidget {
    Q_OBJECT
public:
    explicit OutputSpikeTimesView(QWidget *parent = nullptr);

    // Spike time per output neuron (+inf when silent), the winner (-1: none), the horizon.
    void setTimes(std::vector<double> times, int predicted, double maxTime);
    void clear();
    const std::vector<double> &times() const { return times_; }
    QSize sizeHint() const override { return {280, 170}; }
    QSize minimumSizeHint() const override { return {160, 100}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::vector<double> times_;
    int predicted_ = -1;
    double maxTime_ = 8;
};

} // namespace firstspike
