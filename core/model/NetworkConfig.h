#pragma once
// Architecture and input encoding of a spike-time network (docs/MODEL.md, "The neuron" and "Encoding").

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace firstspike {

enum class InputEncoding {
    LinearLatency, // t = scale * (1 - x): brighter pixels spike earlier, grey levels kept
    Binarized,     // x >= 0.5 -> t = 0, else t = lateTime (ln 6 in re-implementations)
};

struct EncodingConfig {
    InputEncoding kind = InputEncoding::LinearLatency;
    double latencyScale = 3.0;             // LinearLatency: t of a black pixel (README: 3 beat 2)
    double binarizeThreshold = 0.5;        // Binarized: x >= threshold spikes at t = 0
    double binaryLateTime = std::log(6.0); // Binarized: t of dark pixels
};

struct NetworkConfig {
    std::vector<int> layerSizes{784, 800, 10}; // input, hidden..., output
    bool bias = true;            // every layer gets a bias input spiking at t = 0 (z = 1)
    double threshold = 1.0;      // theta
    // Simulation horizon: a neuron that would first reach theta after this time counts as
    // silent. Keeps z = exp(t) finite and bounds gradients when sum(w) - theta -> 0+.
    double maxSpikeTime = 8.0;
    EncodingConfig encoding;

    int layerCount() const { return static_cast<int>(layerSizes.size()) - 1; } // weight layers
    int inputSize() const { return layerSizes.empty() ? 0 : layerSizes.front(); }
    int outputSize() const { return layerSizes.empty() ? 0 : layerSizes.back(); }
    double maxSpikeZ() const { return std::exp(maxSpikeTime); }
};

// The largest networks anything accepts (command line, GUI, sessions, checkpoints): what `train`
// saves, `eval` loads. Whether one fits this machine is checked apart (MemoryBudget.h).
constexpr int kMaxLayerEntries = 64;    // entries of "784-800-10": input, hidden..., output
constexpr int kMaxLayerSize = 1000000;  // neurons (or inputs) in one layer
// Why `sizes` cannot make a network ("" when they can): fewer than 2 or more than
// kMaxLayerEntries entries, or a size outside 1..kMaxLayerSize.
std::string layerSizesProblem(const std::vector<int> &sizes);
// Weights of the network (bias rows included), saturating instead of overflowing.
std::uint64_t weightCount(const std::vector<int> &sizes, bool bias);
// Bytes a run of this network holds while training: the weights, a copy of the best epoch's,
// the optimiser's moments, gradient and per-thread working copies (an upper estimate).
std::uint64_t trainingMemoryBytes(const std::vector<int> &sizes, bool bias);

std::string encodingName(InputEncoding kind);        // "latency" / "binary"
bool parseEncoding(const std::string &name, InputEncoding &out);
std::string layerSizesToString(const std::vector<int> &sizes); // "784-800-10"
// Parses "784-800-10"; returns false (and leaves out untouched) on malformed input or sizes
// that layerSizesProblem() refuses.
bool parseLayerSizes(const std::string &text, std::vector<int> &out);

} // namespace firstspike
