#pragma once
// Classification with a decision-time early exit. The layers are simulated interleaved in
// time: an input group is integrated only once every earlier event of every layer is known,
// and the run stops at the first output spike. Because the decision usually comes long before
// most inputs (all black pixels) and most hidden spikes have arrived, this costs a fraction of
// a full forward pass, and it gives the same class and decision time as forward() (same
// arrival order, same groups, same sums, same tests; bit-identical in tst_earlydecision). One
// caveat: a hidden spike computed in a later interval is assumed to come no earlier than that
// interval's start, which holds exactly in real arithmetic; a spike that rounding places a hair
// before it would be ordered differently from forward()'s sort.

#include "core/model/SpikeNetwork.h"
#include "core/model/SpikeOrder.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace firstspike {

struct EarlyDecision {
    int predictedClass = -1;   // -1 when no output neuron fires within the horizon
    double decisionZ = kSilent; // z of the first output spike
    int inputsIntegrated = 0;   // input-layer arrivals integrated before the decision (bias included)
    // Per layer, spikes emitted by the time the decision was known: all those earlier than the
    // decision, and possibly some later ones up to the frontier that was then reached.
    std::vector<int> spikesBeforeDecision;
};

// Scratch memory reused across calls (one per thread), for scan state of type T. Aligned to a
// cache line, so that threads' workspaces side by side in an array share none.
template <typename T>
struct alignas(64) EarlyDecisionWorkspaceOf {
    struct Layer {
        std::vector<int> order;    // inputs received, in arrival order (bias = fanIn)
        std::vector<T> z;
        int integrated = 0;        // inputs added to A and B so far
        bool checkPending = false; // the last group's interval is not fully checked yet
        std::vector<T> A, B, alive;
        std::vector<T> groupSum;   // scratch of the group sums (FiringScreen.h)
        int aliveCount = 0;
        std::vector<std::pair<double, int>> emitted; // spikes of this check, sorted
        std::vector<std::pair<double, int>> sortScratch;
        KeySort sortKeys;
        std::vector<std::uint8_t> flags;             // candidates of the firing screen
        int spikes = 0;
    };
    // One layer's weights (row-major, rows = inputs with the bias last) and column sums.
    struct Weights {
        const T *w = nullptr;
        long stride = 0;
        int rows = 0, cols = 0;
        const T *columnSums = nullptr;
    };
    std::vector<Layer> layers;
    std::vector<Weights> weights;
    LayerActivity inputOrder;
    std::vector<std::pair<double, int>> delivered; // one layer's spikes for the next
};
using EarlyDecisionWorkspace = EarlyDecisionWorkspaceOf<double>;
using EarlyDecisionWorkspace32 = EarlyDecisionWorkspaceOf<float>;

// Sorts (z, neuron) pairs as std::sort would (by z, then by index), in about O(n) for spike
// times: ranks counted with branch-free compares for up to 64, else a stable sort of z's bits
// (SpikeOrder.h) and equal times put in index order. `scratch` and `sort` are reused memory.
// (The early exit's order of the spikes of one check.)
void sortSpikes(std::vector<std::pair<double, int>> &spikes, std::vector<std::pair<double, int>> &scratch,
                KeySort &sort);

// The network must be prepared() (column sums cached), as the trainer leaves it.
EarlyDecision classifyEarly(const SpikeNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace &ws);

// A single-precision copy of a network for the early exit: weights rounded to float and their
// column sums, the scan's A and B and the spike times in float (twice the vector lanes, half the
// memory). Not bit-identical to forward(): decision times differ in their last float digits
// and a class can differ where two output neurons fire within that of each other (docs/
// PERFORMANCE.md, "Single-precision early exit", has the agreement on trained networks).
class FloatNetwork {
public:
    explicit FloatNetwork(const SpikeNetwork &net); // net must be prepared()
    const NetworkConfig &config() const { return config_; }
    int layerCount() const { return static_cast<int>(weights_.size()); }
    const std::vector<MatrixF> &weights() const { return weights_; }
    const std::vector<VectorF> &columnSums() const { return columnSums_; }
    void orderInput(const std::uint8_t *pixels, LayerActivity &out) const;

private:
    NetworkConfig config_;
    std::vector<MatrixF> weights_;
    std::vector<VectorF> columnSums_;
    double byteZ_[256];
    int byteRank_[256];
};

EarlyDecision classifyEarly(const FloatNetwork &net, const std::uint8_t *pixels, EarlyDecisionWorkspace32 &ws);

} // namespace firstspike
