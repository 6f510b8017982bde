#include "core/model/MembranePotential.h"

#include <algorithm>
#include <cmath>

namespace firstspike {

double MembraneTrace::potential(double t) const
{
    // Arrivals strictly before t contribute (the kernel is Theta(t - t_i) (1 - e^{-(t - t_i)})).
    const auto end = std::lower_bound(times.begin(), times.end(), t);
    const auto k = static_cast<std::size_t>(end - times.begin());
    if (k == 0)
        return 0.0;
    return prefixWeight[k - 1] - prefixWeightZ[k - 1] * std::exp(-t);
}

double MembraneTrace::firstCrossing(double maxTime) const
{
    // On the interval after arrival k (and before the next distinct arrival time), V is monotone
    // in t; it meets theta there iff B_k > theta and z = A_k / (B_k - theta) lies in the interval.
    const int n = arrivals();
    int k = 0;
    while (k < n) {
        int end = k;
        while (end + 1 < n && times[end + 1] == times[k])
            ++end; // the whole tie group arrives at once
        const double b = prefixWeight[end], a = prefixWeightZ[end];
        const double next = end + 1 < n ? times[end + 1] : maxTime;
        if (b > threshold) {
            const double z = a / (b - threshold);
            const double t = z > 0 ? std::log(z) : -kSilent;
            if (t <= next && t <= maxTime)
                return std::max(t, times[k]);
        }
        k = end + 1;
    }
    return kSilent;
}

MembraneTrace membraneTrace(const SpikeNetwork &network, const ForwardPass &pass, int layer, int neuron)
{
    MembraneTrace trace;
    trace.layer = layer;
    trace.neuron = neuron;
    trace.threshold = network.config().threshold;
    const LayerActivity &activity = pass.layers.at(static_cast<std::size_t>(layer));
    const Matrix &w = network.weights(layer);
    trace.spikeTime = spikeTimeOf(activity.spikeZ[neuron]);
    trace.causalSetSize = activity.causalSetSize[static_cast<std::size_t>(neuron)];
    const std::size_t n = activity.inputOrder.size();
    trace.inputs = activity.inputOrder;
    trace.times.resize(n);
    trace.weights.resize(n);
    trace.prefixWeightZ.resize(n);
    trace.prefixWeight.resize(n);
    double a = 0, b = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const double z = activity.orderedZ[k];
        const double wk = w(activity.inputOrder[k], neuron);
        trace.times[k] = std::log(z);
        trace.weights[k] = wk;
        a += wk * z;
        b += wk;
        trace.prefixWeightZ[k] = a;
        trace.prefixWeight[k] = b;
    }
    return trace;
}

std::vector<int> causalSet(const SpikeNetwork &network, const ForwardPass &pass, int layer, int neuron, bool includeBias)
{
    const LayerActivity &activity = pass.layers.at(static_cast<std::size_t>(layer));
    const int size = activity.causalSetSize[static_cast<std::size_t>(neuron)];
    const int bias = network.config().bias ? network.fanIn(layer) : -1;
    std::vector<int> set;
    set.reserve(static_cast<std::size_t>(size));
    for (int k = 0; k < size; ++k) {
        const int i = activity.inputOrder[static_cast<std::size_t>(k)];
        if (i != bias || includeBias)
            set.push_back(i);
    }
    return set;
}

} // namespace firstspike
