#pragma once
// Per-digit output spike timing over a data set for one network (the Inspect tab's timing view):
// for each true digit the mean spike time of every output neuron, the winner's
// margin to the runner-up, the confusion matrix, and how many hidden spikes came before the
// decision. Per-sample values are kept so a view can list the samples behind any cell.

#include "core/data/Dataset.h"
#include "core/model/SpikeNetwork.h"

#include <vector>

namespace firstspike {

struct OutputTimingStatistics {
    int classes = 0;                  // output neurons
    int samples = 0;
    double maxSpikeTime = 0;          // the network's horizon; a silent runner-up counts as this late
    // [trueDigit * classes + neuron]
    std::vector<double> meanSpikeTime; // mean t over the samples where the neuron fired; NaN if never
    std::vector<int> firedCount;
    std::vector<int> digitCount;       // samples per true digit
    // [trueDigit * (classes + 1) + predicted]; column `classes` counts samples with no output spike
    std::vector<int> confusion;
    std::vector<double> meanMargin;            // per true digit, over samples with a decision
    std::vector<double> meanHiddenBeforeDecision; // per true digit: hidden spikes (all hidden layers) before it
    std::vector<double> meanDecisionTime;      // per true digit
    int hiddenNeurons = 0;                     // all hidden layers together
    // Per sample, in data-set order.
    std::vector<int> label;
    std::vector<int> predicted;        // -1: no output spike
    std::vector<double> decisionTime;  // +inf: no output spike
    std::vector<double> margin;        // runner-up t minus winner t; NaN without a decision
    std::vector<int> hiddenBeforeDecision;
    std::vector<double> outputTimes;   // [sample * classes + neuron], +inf when silent

    int correct() const;
    double accuracy() const { return samples ? static_cast<double>(correct()) / samples : 0.0; }
    int confusionAt(int trueDigit, int predictedClass) const // predictedClass -1: no decision
    {
        return confusion[static_cast<std::size_t>(trueDigit * (classes + 1) + (predictedClass < 0 ? classes : predictedClass))];
    }
    // Samples behind a cell of the timing grid (true digit, any neuron: all samples of the digit,
    // ordered by that neuron's spike time) or of the confusion matrix (true digit, predicted).
    std::vector<int> samplesOfDigit(int trueDigit, int orderByNeuron = -1) const;
    std::vector<int> samplesWith(int trueDigit, int predictedClass) const;
};

// `limit` < 0: the whole set. Runs on the caller's thread (~60 us per 784-800-10 sample).
OutputTimingStatistics computeOutputTiming(const SpikeNetwork &network, const Dataset &set, int limit = -1);

} // namespace firstspike
