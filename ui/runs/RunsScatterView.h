#pragma once
// The scatter of the Runs tab: every run the table shows (after its filter) as one point, test
// accuracy of its selected weights against a cost: the hidden neurons spiking before the
// decision (the spikes the answer needed), the spikes per hidden neuron by the horizon, or the
// mean decision time, with the Pareto front (no other run is both more accurate and cheaper) drawn as a
// staircase and its runs ringed. Ticked runs are drawn in their overlay colour and named in the
// legend, the others grey.
#include "ui/export/FigureExporter.h"
#include "ui/runs/RunsPlot.h"
#include "ui/runs/RunsTableModel.h"

#include <QWidget>

#include <vector>

class QComboBox;

namespace firstspike {

class RunsPlotWidget;

class RunsScatterView : public QWidget {
    Q_OBJECT
public:
    enum class Cost { FiredBeforeDecision, SpikesPerNeuron, DecisionTime };

    explicit RunsScatterView(QWidget *parent = nullptr);

    struct Entry {
        RunPtr run;
        QColor color; // invalid: not ticked
        QString label; // legend text of a ticked run
    };
    void setRuns(std::vector<Entry> runs);
    void setCost(Cost cost);
    Cost cost() const { return cost_; }

    const RunsPlot &plot() const;
    // Ids of the runs on the Pareto front, by increasing cost.
    QStringList frontIds() const { return frontIds_; }
    Figure figure() const;
    QComboBox *costBox() const { return costBox_; }

private:
    void rebuild();

    std::vector<Entry> runs_;
    Cost cost_ = Cost::FiredBeforeDecision;
    QStringList frontIds_;
    QComboBox *costBox_ = nullptr;
    RunsPlotWidget *plotWidget_ = nullptr;
};

} // namespace firstspike
