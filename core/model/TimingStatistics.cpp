#include "core/model/TimingStatistics.h"

#include "core/model/MembranePotential.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace firstspike {

int OutputTimingStatistics::correct() const
{
    int n = 0;
    for (int d = 0; d < classes; ++d)
        n += confusionAt(d, d);
    return n;
}

std::vector<int> OutputTimingStatistics::samplesOfDigit(int trueDigit, int orderByNeuron) const
{
    std::vector<int> out;
    for (int i = 0; i < samples; ++i)
        if (label[static_cast<std::size_t>(i)] == trueDigit)
            out.push_back(i);
    if (orderByNeuron >= 0 && orderByNeuron < classes)
        std::stable_sort(out.begin(), out.end(), [&](int a, int b) {
            return outputTimes[static_cast<std::size_t>(a * classes + orderByNeuron)]
                < outputTimes[static_cast<std::size_t>(b * classes + orderByNeuron)];
        });
    return out;
}

std::vector<int> OutputTimingStatistics::samplesWith(int trueDigit, int predictedClass) const
{
    std::vector<int> out;
    for (int i = 0; i < samples; ++i)
        if (label[static_cast<std::size_t>(i)] == trueDigit && predicted[static_cast<std::size_t>(i)] == predictedClass)
            out.push_back(i);
    return out;
}

OutputTimingStatistics computeOutputTiming(const SpikeNetwork &network, const Dataset &set, int limit)
{
    OutputTimingStatistics s;
    const int classes = network.config().outputSize();
    const int n = limit < 0 ? set.size() : std::min(limit, set.size());
    s.classes = classes;
    s.samples = n;
    s.maxSpikeTime = network.config().maxSpikeTime;
    for (int l = 0; l + 1 < network.layerCount(); ++l)
        s.hiddenNeurons += network.fanOut(l);
    const auto cells = static_cast<std::size_t>(classes * classes);
    std::vector<double> timeSum(cells, 0.0);
    s.firedCount.assign(cells, 0);
    s.digitCount.assign(static_cast<std::size_t>(classes), 0);
    s.confusion.assign(static_cast<std::size_t>(classes * (classes + 1)), 0);
    std::vector<double> marginSum(static_cast<std::size_t>(classes), 0.0), hiddenSum(marginSum), decisionSum(marginSum);
    std::vector<int> decided(static_cast<std::size_t>(classes), 0);
    s.label.resize(static_cast<std::size_t>(n));
    s.predicted.resize(static_cast<std::size_t>(n));
    s.decisionTime.resize(static_cast<std::size_t>(n));
    s.margin.resize(static_cast<std::size_t>(n));
    s.hiddenBeforeDecision.resize(static_cast<std::size_t>(n));
    s.outputTimes.resize(static_cast<std::size_t>(n) * classes);

    ForwardPass pass;
    for (int i = 0; i < n; ++i) {
        network.forward(set.image(i), pass);
        const int label = set.labels[static_cast<std::size_t>(i)];
        const bool known = label >= 0 && label < classes;
        const Vector &out = pass.layers.back().spikeZ;
        const int predicted = pass.predictedClass();
        const double decisionZ = pass.decisionZ();
        double winner = kSilent, runnerUp = kSilent;
        for (int k = 0; k < classes; ++k) {
            const double t = spikeTimeOf(out[k]);
            s.outputTimes[static_cast<std::size_t>(i) * classes + k] = t;
            if (k != predicted)
                runnerUp = std::min(runnerUp, t);
            else
                winner = t;
            if (known && std::isfinite(t)) {
                timeSum[static_cast<std::size_t>(label * classes + k)] += t;
                s.firedCount[static_cast<std::size_t>(label * classes + k)]++;
            }
        }
        int hiddenBefore = 0;
        for (std::size_t l = 0; l + 1 < pass.layers.size(); ++l) {
            const Vector &z = pass.layers[l].spikeZ;
            for (Eigen::Index j = 0; j < z.size(); ++j)
                hiddenBefore += z[j] < decisionZ ? 1 : 0;
        }
        // A silent runner-up is as late as the horizon allows.
        const double margin = predicted < 0 ? std::numeric_limits<double>::quiet_NaN()
                                            : std::min(runnerUp, s.maxSpikeTime) - winner;
        s.label[static_cast<std::size_t>(i)] = label;
        s.predicted[static_cast<std::size_t>(i)] = predicted;
        s.decisionTime[static_cast<std::size_t>(i)] = winner;
        s.margin[static_cast<std::size_t>(i)] = margin;
        s.hiddenBeforeDecision[static_cast<std::size_t>(i)] = predicted < 0 ? 0 : hiddenBefore;
        if (!known)
            continue;
        s.digitCount[static_cast<std::size_t>(label)]++;
        s.confusion[static_cast<std::size_t>(label * (classes + 1) + (predicted < 0 ? classes : predicted))]++;
        if (predicted >= 0) {
            decided[static_cast<std::size_t>(label)]++;
            marginSum[static_cast<std::size_t>(label)] += margin;
            hiddenSum[static_cast<std::size_t>(label)] += hiddenBefore;
            decisionSum[static_cast<std::size_t>(label)] += winner;
        }
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.meanSpikeTime.resize(cells);
    for (std::size_t c = 0; c < cells; ++c)
        s.meanSpikeTime[c] = s.firedCount[c] ? timeSum[c] / s.firedCount[c] : nan;
    s.meanMargin.resize(static_cast<std::size_t>(classes));
    s.meanHiddenBeforeDecision.resize(static_cast<std::size_t>(classes));
    s.meanDecisionTime.resize(static_cast<std::size_t>(classes));
    for (std::size_t d = 0; d < static_cast<std::size_t>(classes); ++d) {
        s.meanMargin[d] = decided[d] ? marginSum[d] / decided[d] : nan;
        s.meanHiddenBeforeDecision[d] = decided[d] ? hiddenSum[d] / decided[d] : nan;
        s.meanDecisionTime[d] = decided[d] ? decisionSum[d] / decided[d] : nan;
    }
    return s;
}

} // namespace firstspike
