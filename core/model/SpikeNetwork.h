#pragma once
// Mostafa's exact spike-time network (docs/MODEL.md): non-leaky integrate-and-fire neurons with
// exponentially decaying synaptic current, one spike per neuron, computed in z = exp(t).
//
// Layout: weights_[layer](pre, post) is input-major (row = presynaptic input, column =
// postsynaptic neuron), so the inner loop of the forward scan over all neurons of a layer is
// contiguous. When the network has a bias, row `fanIn` of each layer is the bias input, which
// spikes at t = 0 (z = 1).

#include "core/model/NetworkConfig.h"
#include "core/parallel/ThreadPool.h"

#include <Eigen/Core>

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace firstspike {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>; // FloatNetwork
using VectorF = Eigen::VectorXf;

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
    Vector foldRow;                // the closing tie group's per-row gradient (see backward)
    // Filled by backward() for the caller: which gradient rows it wrote (per layer; the caller
    // reads only these rows and clears the flags; a row whose flag is 0 holds stale values and is
    // overwritten, not added to, by the next write), and the largest |dL/dz / (sum w - theta)| seen since the caller reset it,
    // which bounds every gradient entry (a cheap divergence check).
    std::vector<std::vector<std::uint8_t>> touchedRows;
    double maxGradientScale = 0.0;
};

// Columns of one record's arrays (from some first column on), as accumulate() reads them; a
// caller may point them at copies (the trainer copies the slices a thread reads many times
// into memory of its own).
struct RecordSlice {
    const double *g, *gz, *u; // u null when the record has no fold row
    const int *cut;
    // acc[0, n) = term (assign) or acc + term for an entry with spike z in arrival group `group`.
    void accumulate(double z, int group, Eigen::Index n, double *acc, bool assign) const;
};
// One sample's weight gradient for one layer, kept compact instead of written into a gradient
// matrix: row i of the gradient is sum over the recorded entries for i of
//   term_j = cut_j >= group ? fma(z, G_j, -GZ_j) - U_j : 0,
// plus the fold row U (when present) broadcast to every row (see SpikeNetwork::backward). A
// sample touches ~200 rows of 785 x 800 doubles; a mini-batch's records are a few hundred KB and
// stay in cache, where written gradient rows were ~10 MB of memory traffic per mini-batch.
struct LayerGradientRecord {
    struct Entry {
        int row;     // weight row (input index; the bias row last)
        int group;   // the arrival tie group of the input
        double z;    // its spike z
    };
    Vector G, GZ;         // g_j and g_j z_j of the neurons the layer's scan reached; 0 elsewhere
    Vector U;             // the folded closing group's row (valid when `folded`)
    bool folded = false;
    std::vector<int> cut; // the last group whose rows reach neuron j; -1 when none does
    std::vector<Entry> entries; // the rows backward() would write, in arrival order
    // acc = term (assign) or acc + term (!assign) over the columns [begin, end) of one entry's
    // row (acc[0] is column begin): the same arithmetic, in the same order, as backward()'s
    // writes into a gradient matrix.
    void accumulate(const Entry &entry, Eigen::Index begin, Eigen::Index end, double *acc, bool assign) const;
    RecordSlice slice(Eigen::Index begin) const;
};
struct GradientRecord {
    std::vector<LayerGradientRecord> layers;
    // The layers from this one on are written into backward()'s gradient matrices instead (with
    // their touchedRows flags; their entries here are left empty): for a narrow layer (the
    // output layer) a dense row of a few columns is cheaper than records sorted by row.
    int denseFrom = std::numeric_limits<int>::max();
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
    const std::vector<Matrix> &allWeights() const { return weights_; }
    // Mutable access invalidates the cached column sums until prepare() runs again.
    Matrix &weights(int layer)
    {
        columnSumsValid_ = false;
        return weights_[layer];
    }
    std::vector<Matrix> &allWeights()
    {
        columnSumsValid_ = false;
        return weights_;
    }
    // Caches each neuron's total weight (column sums) after the weights changed. Optional:
    // without it forward() computes them per call (same numbers, slower). Not thread-safe
    // against concurrent forward() calls; the trainer calls it between mini-batches.
    void prepare();
    // The same, with the column ranges split over the pool's threads. Each column is summed in
    // columnSums()' order by one thread, so the numbers do not depend on the thread count.
    void prepare(ThreadPool &pool);
    bool prepared() const { return columnSumsValid_; }
    // Total weight of each neuron per layer (bias included); valid while prepared().
    const std::vector<Vector> &cachedColumnSums() const { return columnSums_; }
    // For an update that writes the weights and refills the column sums as it goes (in
    // columnSums()' order: runs of columnSumBlockRows() rows, then the runs): sized sums to
    // fill, the network unprepared until setColumnSumsFilled().
    std::vector<Vector> &columnSumsToFill();
    void setColumnSumsFilled() { columnSumsValid_ = true; }
    std::size_t parameterCount() const;

    // U(low/n, high/n) for n inputs (bias included), so every neuron starts able to fire.
    void initializeUniform(std::uint64_t seed, double low = 1.0, double high = 5.0);

    // Input encoding (docs/MODEL.md, "Encoding, bias, decoding"): pixel bytes -> z = exp(t) of each input spike.
    void encode(const std::uint8_t *pixels, Vector &inputZ) const;

    void forward(const std::uint8_t *pixels, ForwardPass &pass) const;
    void forwardEncoded(const Vector &inputZ, ForwardPass &pass) const;

    // forward() in stages, for a caller that splits a layer's neurons between threads (the
    // trainer, so that each thread reads and writes only its own columns of the weights):
    // beginForward() encodes the pixels and orders layer 0's inputs; scanColumns() computes the
    // spikes of neurons [c0, c1) of an ordered layer (any split of a layer into ranges gives
    // forward()'s bits: each neuron's arithmetic does not depend on the others);
    // orderLayer(l) orders layer l's inputs by layer l - 1's spikes; finishForward(pass, l)
    // orders (but layer 0) and scans the layers from l on, as forward() does. Each stage sizes
    // the outputs of the layers it orders.
    void beginForward(const std::uint8_t *pixels, ForwardPass &pass) const;
    void orderLayer(int layer, ForwardPass &pass) const;
    void scanColumns(int layer, LayerActivity &activity, int c0, int c1) const;
    // The same with the columns' weights held elsewhere (the trainer keeps a wide layer's column
    // blocks in panels of their own while it trains): the weight of input i to neuron c0 + j is
    // weights[i * stride + j]. The network's own weights of these columns are not read; its
    // column sums are, and must be those of the given weights.
    void scanColumns(int layer, LayerActivity &activity, int c0, int c1, const double *weights,
                     Eigen::Index stride) const;
    void finishForward(ForwardPass &pass, int fromLayer) const;

    // Exact gradients of `dLossDzOut` (dL/dz of the output layer; ignored for silent neurons)
    // through the network, accumulated into `gradients` (same shapes as the weights) over the
    // rows flagged in workspace.touchedRows; unflagged rows are assigned on first write.
    // With `rowBroadcast` (one row vector per layer), a large tie group that closes the scan
    // (e.g. all black pixels) is accumulated once into rowBroadcast[l] instead of into each of
    // its rows; the caller adds rowBroadcast[l] to every row of gradients[l] afterwards.
    // With `record`, the weight gradient of the layers before record->denseFrom goes into the
    // record instead (their gradients and touchedRows flags are then left alone; rowBroadcast
    // still gets the fold rows); only the later layers' gradient matrices need their shapes.
    void backward(const ForwardPass &pass, const Vector &dLossDzOut, std::vector<Matrix> &gradients,
                  BackwardWorkspace &workspace, Vector *dLossDzInput = nullptr,
                  std::vector<Eigen::RowVectorXd> *rowBroadcast = nullptr, GradientRecord *record = nullptr) const;

    // One layer: the causal-set scan of docs/MODEL.md for all neurons of the layer at once.
    // `columnSums` (total weight per neuron, bias included) lets the last tie group be added
    // in one step when every input arrives; pass nullptr to add it input by input.
    static void forwardLayer(const Matrix &weights, bool bias, double threshold, double maxZ,
                             const Vector &inputZ, LayerActivity &out, const Vector *columnSums = nullptr);
    // Column sums in a fixed order: rows in runs of columnSumBlockRows(cols), each run summed
    // from 0 in row order, then the runs' sums in order. Every path (prepare(), prepare(pool),
    // the trainer's update, which sums a run of rows as it writes them) gives the same bits.
    static void columnSums(const Matrix &weights, Vector &out);
    static int columnSumBlockRows(Eigen::Index cols);
    // The arrival order of a layer's inputs (inputOrder, orderedZ, groupEnd of `out`).
    static void orderInputs(const Vector &inputZ, bool bias, LayerActivity &out);
    // The same order for pixel inputs by counting sort; byteZ maps each byte value to its z.
    static void orderPixels(const std::uint8_t *pixels, int count, const double *byteZ, bool bias,
                            LayerActivity &out);
    // The causal-set scan over an ordered layer (out's order fields must be set).
    static void scanLayer(const Matrix &weights, double threshold, double maxZ, LayerActivity &out,
                          const Vector *columnSums);
    // The same for neurons [c0, c1) only; out's outputs must be sized (sizeOutputs).
    static void scanRange(const Matrix &weights, double threshold, double maxZ, LayerActivity &out,
                          const Vector *columnSums, int c0, int c1);
    // scanRange over weights in any row-major storage: W points at neuron c0's weight from input
    // 0, the rows (inputs) stride apart; rows x cols is the layer's shape.
    static void scanView(const double *W, Eigen::Index stride, Eigen::Index rows, Eigen::Index cols, double threshold,
                         double maxZ, LayerActivity &out, const Vector *columnSums, int c0, int c1);
    static void sizeOutputs(LayerActivity &out, int neurons);
    void encodingTable(double table[256]) const; // z of each byte value
    // The input layer's arrival order for pixel bytes (cached encoding tables).
    void orderInput(const std::uint8_t *pixels, LayerActivity &out) const;
    static void orderPixels(const std::uint8_t *pixels, int count, const double *byteZ, const int *byteRank,
                            bool bias, LayerActivity &out);
    static void rankBytes(const double *byteZ, int *rankOf); // equal z, equal rank

private:
    static void finishOrder(LayerActivity &out);
    const Vector &sumsForScan(int layer) const; // columnSums_ or, unprepared, a thread-local copy

    NetworkConfig config_;
    std::vector<Matrix> weights_;
    void computeEncodingTables();
    std::array<double, 256> byteZ_{};  // z of each pixel byte under config_.encoding
    std::array<int, 256> byteRank_{};  // rank of each byte by z (ties share a rank)
    std::vector<Vector> columnSums_;
    bool columnSumsValid_ = false;
};

} // namespace firstspike
