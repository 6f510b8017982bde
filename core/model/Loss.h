#pragma once
// Output loss of docs/MODEL.md: cross-entropy on a softmax over -z (re-implementations cite the
// paper's eq. 11), L = z_label + log sum_k exp(-z_k), computed in shifted (log-sum-exp) form.
// Silent output neurons count as spiking at the horizon z_max for the loss value; they have no
// gradient (no causal set), so dL/dz is reported as 0 for them.

#include "core/model/SpikeNetwork.h"

namespace firstspike {

// Returns the loss and writes dL/dz_k into dLossDz (size of z).
double softmaxCrossEntropy(const Vector &outputZ, int label, double horizonZ, Vector &dLossDz);

// Decision-time cost gamma * t_label = gamma * ln z_label: pushes the correct output neuron to
// spike earlier, so decisions come sooner and fewer hidden spikes precede them. Adds
// gamma / z_label to dLossDz[label]; a silent label neuron costs nothing here (the
// cross-entropy already charges it at the horizon). Returns the cost.
double decisionTimeCost(const Vector &outputZ, int label, double gamma, Vector *dLossDz);

// Weight-sum cost K * sum_j max(0, theta - sum_i w_ij) over every neuron of every layer
// (bias row included) plus L2 (K2 / 2) * sum w^2. Adds its gradient into `gradients` scaled by
// `scale` when gradients is non-null; returns the unscaled cost.
double weightRegularization(const std::vector<Matrix> &weights, double threshold, double weightSumK,
                            double l2K, std::vector<Matrix> *gradients, double scale = 1.0);

} // namespace firstspike
