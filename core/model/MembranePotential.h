#pragma once
// The membrane potential of one neuron for one sample in closed form (docs/MODEL.md, "The neuron"):
//   V(t) = sum_{i: t_i < t} w_i (1 - exp(-(t - t_i))),
// and the causal set the forward pass found for it. With the inputs in arrival order and the
// prefix sums A_k = sum_{m<=k} w_m z_m, B_k = sum_{m<=k} w_m, V(t) = B_k - A_k / z on the k-th
// interval, so V is evaluated in O(log n) and its first crossing of theta is found exactly.
// Plain C++ (no Qt): the inspection views and their tests use it.

#include "core/model/SpikeNetwork.h"

#include <cmath>
#include <vector>

namespace firstspike {

struct MembraneTrace {
    int layer = 0;                // weight layer of the neuron (0: first hidden layer)
    int neuron = 0;
    double threshold = 1.0;
    double spikeTime = kSilent;   // t of the neuron's spike in the forward pass; +inf when silent
    int causalSetSize = 0;        // the first causalSetSize arrivals caused the spike (bias included)
    // Every input that spiked, in arrival order (the layer's shared order): index (the bias is
    // index fanIn), spike time and the weight onto this neuron.
    std::vector<int> inputs;
    std::vector<double> times;
    std::vector<double> weights;
    std::vector<double> prefixWeightZ; // A_k over the first k + 1 arrivals
    std::vector<double> prefixWeight;  // B_k

    int arrivals() const { return static_cast<int>(inputs.size()); }
    // V(t) from the closed form: only inputs with t_i < t contribute.
    double potential(double t) const;
    // The first t at which V reaches theta, from the interval-wise solution z = A_k/(B_k - theta)
    // (V is monotone between arrivals); +inf when V never reaches it before `maxTime`.
    double firstCrossing(double maxTime) const;
};

// The trace of neuron `neuron` of weight layer `layer` for the sample behind `pass`.
MembraneTrace membraneTrace(const SpikeNetwork &network, const ForwardPass &pass, int layer, int neuron);

// The causal set of a neuron as the forward pass recorded it: inputOrder[0, causalSetSize).
// The bias (index fanIn(layer)) is left out unless includeBias. Empty when the neuron is silent.
std::vector<int> causalSet(const SpikeNetwork &network, const ForwardPass &pass, int layer, int neuron,
                           bool includeBias = false);

// Spike time t = ln z of a spike, +inf for kSilent.
inline double spikeTimeOf(double z) { return z == kSilent ? kSilent : std::log(z); }

} // namespace firstspike
