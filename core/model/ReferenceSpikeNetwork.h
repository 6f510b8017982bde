#pragma once
// A plain, per-neuron implementation of docs/MODEL.md's equations, written for clarity rather than
// speed: each neuron sorts its own inputs and walks them; the backward pass loops over each
// neuron's causal set. The optimised SpikeNetwork is tested against it (same equations, same
// horizon), and benchmarks report the speed-up over it.

#include "core/model/SpikeNetwork.h"

namespace firstspike::reference {

struct NeuronSpike {
    double z = kSilent;    // exp(t), kSilent when silent
    int causalSetSize = 0; // inputs (bias included) that arrived before the spike
    double denominator = 0.0;
};

// One neuron: inputs (z_i, w_i), z_i = kSilent for inputs that never arrive.
NeuronSpike neuronSpike(const std::vector<double> &inputZ, const std::vector<double> &weights, double threshold,
                        double maxZ);

// Every layer of a network, neuron by neuron. Returns spike z per layer.
std::vector<std::vector<NeuronSpike>> forward(const SpikeNetwork &net, const Vector &inputZ);

// dL/dw for all layers, given dL/dz of the output layer, by the chain rule over causal sets.
std::vector<Matrix> backward(const SpikeNetwork &net, const Vector &inputZ,
                             const std::vector<std::vector<NeuronSpike>> &spikes, const Vector &dLossDzOut);

} // namespace firstspike::reference
