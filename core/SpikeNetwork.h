#pragma once
// Mostafa's exact spike-time network (MODEL.md): non-leaky integrate-and-fire neurons with
// exponentially decaying synaptic current, one spike per neuron, computed in z = exp(t).
//
// Layout: weights_[layer](pre, post) is input-major (row = presynaptic input, column =
// postsynaptic neuron), so the inner loop of the forward scan over all neurons of a layer is
// contiguous. When the network has a bias, row `fanIn` of each layer is the bias input, which
// spikes at t = 0 (z = 1).

#include "NetworkConfig.h"

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <vector>

namespace firstspike {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

inline constexpr double kSilent = std::numeric_limits<double>::infinity();

// One layer's response to one sample.
struct LayerActivity {
    Vector spikeZ;                  // z = exp(t) of each neuron's spike, kSilent when silent
    std::vector<int> causalSetSize; // inputs (bias included) that caused the spike; 0 if silent
    Vector denominator;             // sum_C w - theta at the spike, for the gradients
    // The arrival order of this layer's inputs, shared by all its neurons: the causal set of
    // neuron j is inputOrder[0, causalSetSize[j]).
    std::vector<int> inputOrder;    // input indices (bias = fanIn), silent inputs left out
    std::vector<double> orderedZ;   // z of inputOrder[k]
    std::vector<int> groupEnd;      // exclusive ends of the groups of equal arrival time
    std::vector<int> firedInGroup;  // group index whose interval holds the spike; -1 if silent

    int silentCount() const;
};

struct ForwardPass {
    Vector inputZ;                     // encoded input spikes, z = exp(t)
    std::vector<LayerActivity> layers; // one per weight layer; the last is the output
    int predictedClass() const;        // first output spike (smallest z); -1 if all silent
    double decisionZ() const;          // z of the first output spike (kSilent if none)
};

// Scratch memory for the backward pass; one per thread, reused across samples.
struct BackwardWorkspace {
    std::vector<Vector> dLossDz;   // per layer output
    Vector active;                 // g_j = dL/dz_j / denominator_j, zeroed as causal sets end
    Vector activeZ;                // g_j * z_j
    std::vector<int> bucketStart;  // neurons grouped by the group whose end closes their causal set
    std::vector<int> bucketNeurons;
};

class SpikeNetwork {
public:
    SpikeNetwork() = default;
    explicit SpikeNetwork(const NetworkConfig &config);

    const NetworkConfig &config() const { return config_; }
    int layerCount() const { return static_cast<int>(weights_.size()); }
    int fanIn(int layer) const { return config_.layerSizes[layer]; }
    int fanOut(int layer) const { return config_.layerSizes[layer + 1]; }
    const Matrix &weights(int layer) const { return weights_[layer]; }
    Matrix &weights(int layer) { return weights_[layer]; }
    const std::vector<Matrix> &allWeights() const { return weights_; }
    std::vector<Matrix> &allWeights() { return weights_; }
    std::size_t parameterCount() const;

    // U(low/n, high/n) for n inputs (bias included), so every neuron starts able to fire.
    void initializeUniform(std::uint64_t seed, double low = 1.0, double high = 5.0);

    // Input encoding (MODEL.md "Input"): pixel bytes -> z = exp(t) of each input spike.
    void encode(const std::uint8_t *pixels, Vector &inputZ) const;

    void forward(const std::uint8_t *pixels, ForwardPass &pass) const;
    void forwardEncoded(const Vector &inputZ, ForwardPass &pass) const;

    // Exact gradients of `dLossDzOut` (dL/dz of the output layer; ignored for silent neurons)
    // through the network, accumulated into `gradients` (same shapes as the weights).
    void backward(const ForwardPass &pass, const Vector &dLossDzOut, std::vector<Matrix> &gradients,
                  BackwardWorkspace &workspace, Vector *dLossDzInput = nullptr) const;

    // One layer: the causal-set scan of MODEL.md for all neurons of the layer at once.
    static void forwardLayer(const Matrix &weights, bool bias, double threshold, double maxZ,
                             const Vector &inputZ, LayerActivity &out);

private:
    NetworkConfig config_;
    std::vector<Matrix> weights_;
};

} // namespace firstspike
