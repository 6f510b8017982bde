#include "ui/runs/RunsScatterView.h"

#include "core/runs/ParetoFront.h"
#include "ui/runs/RunsPlotWidget.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

#include <cmath>

namespace firstspike {

RunsScatterView::RunsScatterView(QWidget *parent) : QWidget(parent)
{
    costBox_ = new QComboBox;
    costBox_->setObjectName(QStringLiteral("runsScatterCost"));
    costBox_->addItem(tr("against hidden spikes before the decision"), static_cast<int>(Cost::FiredBeforeDecision));
    costBox_->addItem(tr("against spikes per hidden neuron"), static_cast<int>(Cost::SpikesPerNeuron));
    costBox_->addItem(tr("against decision time"), static_cast<int>(Cost::DecisionTime));
    plotWidget_ = new RunsPlotWidget;
    plotWidget_->setObjectName(QStringLiteral("runsScatterPlot"));
    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Test accuracy")));
    controls->addWidget(costBox_);
    controls->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(plotWidget_, 1);
    connect(costBox_, &QComboBox::currentIndexChanged, this,
            [this](int i) { setCost(static_cast<Cost>(costBox_->itemData(i).toInt())); });
    rebuild();
}

void RunsScatterView::setRuns(std::vector<Entry> runs)
{
    runs_ = std::move(runs);
    rebuild();
}

void RunsScatterView::setCost(Cost cost)
{
    cost_ = cost;
    const int i = costBox_->findData(static_cast<int>(cost));
    if (costBox_->currentIndex() != i)
        costBox_->setCurrentIndex(i);
    rebuild();
}

const RunsPlot &RunsScatterView::plot() const
{
    return plotWidget_->plot();
}

void RunsScatterView::rebuild()
{
    RunsPlot plot;
    switch (cost_) {
    case Cost::FiredBeforeDecision:
        plot.title = tr("Accuracy against spikes before the decision");
        plot.xLabel = tr("hidden neurons spiking before the decision (%, test set)");
        break;
    case Cost::SpikesPerNeuron:
        plot.title = tr("Accuracy against spikes per hidden neuron");
        plot.xLabel = tr("spikes per hidden neuron and digit by the horizon (test set)");
        break;
    case Cost::DecisionTime:
        plot.title = tr("Accuracy against decision time");
        plot.xLabel = tr("mean decision time (τ, test set)");
        break;
    }
    plot.yLabel = tr("test accuracy (%)");
    plot.emptyText = tr("No run in the table has both values yet.");
    plot.frontLabel = tr("Pareto front");
    std::vector<double> costs, values;
    std::vector<const Entry *> used;
    for (const Entry &e : runs_) {
        if (e.run->health != RunHealth::Ok)
            continue;
        const RunManifest &m = e.run->manifest;
        const double x = cost_ == Cost::FiredBeforeDecision ? 100 * m.hiddenFiredBeforeDecision
                         : cost_ == Cost::SpikesPerNeuron   ? m.hiddenSpikesPerNeuron
                                                             : m.meanDecisionTime;
        const double y = 100 * m.testAccuracy;
        if (!std::isfinite(x) || !std::isfinite(y))
            continue;
        costs.push_back(x);
        values.push_back(y);
        used.push_back(&e);
    }
    const std::vector<std::size_t> front = ParetoFront::indices(costs, values);
    std::vector<bool> onFront(used.size(), false);
    frontIds_.clear();
    for (std::size_t i : front) {
        onFront[i] = true;
        plot.front.append(QPointF(costs[i], values[i]));
        frontIds_.append(QString::fromStdString(used[i]->run->id));
    }
    for (std::size_t i = 0; i < used.size(); ++i) {
        RunsPlotMarker marker;
        marker.point = QPointF(costs[i], values[i]);
        marker.highlighted = used[i]->color.isValid();
        marker.color = used[i]->color;
        marker.label = used[i]->label.isEmpty() ? QString::fromStdString(used[i]->run->manifest.name) : used[i]->label;
        marker.onFront = onFront[i];
        plot.markers.push_back(marker);
    }
    plotWidget_->setPlot(std::move(plot));
}

Figure RunsScatterView::figure() const
{
    Figure f;
    f.name = QStringLiteral("runs-pareto");
    f.title = tr("Firstspike runs: %1").arg(plot().title);
    f.description = tr("%1 runs, Pareto front marked").arg(plot().markers.size());
    f.size = QSize(760, 520);
    const RunsPlot copy = plot();
    f.paint = [copy](QPainter &p, const QRect &target) { copy.paint(p, QRectF(target)); };
    return f;
}

} // namespace firstspike
