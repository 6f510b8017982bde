#pragma once
// Mini-batch training of a SpikeNetwork: shuffled batches on a thread pool, split by samples and,
// for the wide layers, by neurons (per-thread gradient sums reduced in thread order:
// bit-identical for a given seed, config and thread count), validation carved from the training
// set, early stopping.
// Step-level API so a GUI worker can run, pause and single-step it.

#include "core/data/Dataset.h"
#include "core/training/Optimizer.h"
#include "core/model/SpikeNetwork.h"
#include "core/parallel/ThreadPool.h"
#include "core/training/TrainConfig.h"

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>

namespace firstspike {

// Thrown when a mini-batch produces a non-finite loss or gradient; the weights are those
// from before that mini-batch.
class DivergenceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct BatchResult {
    int samples = 0;
    double loss = 0.0;    // mean cross-entropy of the batch
    int correct = 0;
    bool epochComplete = false;
};

class Trainer {
public:
    Trainer(const NetworkConfig &network, const TrainConfig &config, std::shared_ptr<const DataSplit> data);
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    // New weights from the seed; optimiser, history and epoch cleared.
    void reset();

    BatchResult trainBatch();
    bool epochComplete() const { return cursor_ >= static_cast<int>(order_.size()); }
    // Evaluates validation and test sets, records the epoch and starts the next one.
    EpochMetrics finishEpoch();
    // True once config().epochs epochs ran or early stopping fired.
    bool finished() const;
    // Why the run ended, in one line ("stopped early after epoch 15: validation accuracy has not
    // improved for 5 epochs (best 98.48 % at epoch 10)"); empty while it goes on.
    std::string stopReason() const;
    bool stoppedEarly() const { return stoppedEarly_; }
    // Restores the best-validation weights if configured; call when a run ends.
    void finalize();
    // The whole run, ending with finalize(); onEpoch returning false also ends it early (after
    // finalize()), while *stop becoming true returns at once, mid-epoch, without finalize().
    void train(const std::function<bool(const EpochMetrics &)> &onEpoch = {},
               const std::atomic<bool> *stop = nullptr);

    EvalResult evaluate(const Dataset &set, int limit = -1);

    // The network as trained so far. While training on several threads, layer 0's weights live
    // in the trainer's column panels (see weightPanels_) and are copied into the network here,
    // when it is looked at (so even the const form writes). A reference held across
    // trainBatch() is inconsistent (layer 0 old, the rest and the cached column sums new) and
    // writes through it may be lost: call network() again. The mutable form lets the caller
    // write the weights (the next mini-batch reloads its panels from them). Not thread-safe
    // (like the rest of the class): one thread drives a trainer.
    const SpikeNetwork &network() const;
    SpikeNetwork &network();
    const TrainConfig &config() const { return config_; }
    // Settings that are safe to change between mini-batches (learning rate, batch size, ...).
    void setLiveConfig(int batchSize, const OptimizerConfig &optimizer);
    const Optimizer &optimizer() const { return optimizer_; }
    Optimizer &optimizer() { return optimizer_; }
    const std::vector<EpochMetrics> &history() const { return history_; }
    const DataSplit &data() const { return *data_; }
    const std::vector<int> &trainIndices() const { return trainIndices_; }
    const std::vector<int> &validationIndices() const { return validationIndices_; }
    int epoch() const { return epoch_; }           // 0-based index of the running epoch
    int cursor() const { return cursor_; }          // samples of the running epoch done
    int epochSize() const { return static_cast<int>(order_.size()); }
    int threadCount() const { return pool_->size(); }
    int bestEpoch() const { return bestEpoch_; }    // 1-based; 0 when none yet
    const std::vector<Matrix> &bestWeights() const { return bestWeights_; }

    // Restoring a checkpoint: weights, optimiser state and history are set by the caller.
    void restoreState(int epoch, std::vector<EpochMetrics> history, int bestEpoch,
                      std::vector<Matrix> bestWeights);

    // Mini-batches in one epoch at the current batch size.
    int batchesPerEpoch() const;

private:
    // The optimiser's configuration with the schedule's run-dependent steps filled in (cosine:
    // the run's total steps at the current batch size and the warm-up steps).
    OptimizerConfig scheduled(OptimizerConfig optimizer) const;
    struct ThreadState;
    void startEpoch();
    void clearThreadGradients();
    void sortRecordEntries(ThreadState &st) const; // fills st.rowTermStart and st.rowTerms
    void shiftedImage(const std::uint8_t *src, int position, std::uint8_t *dst) const;

    NetworkConfig networkConfig_;
    TrainConfig config_;
    std::shared_ptr<const DataSplit> data_;
    SpikeNetwork network_; // layer 0 brought up to date by syncNetwork(), also from const members
    Optimizer optimizer_;
    std::unique_ptr<ThreadPool> pool_;
    std::vector<std::unique_ptr<ThreadState>> threads_;
    std::vector<Matrix> gradients_;
    std::vector<std::vector<int>> assignment_; // batch positions per thread (trainBatch)
    // The update passes' work: blocks of weight rows (layer, first row, end row); rows are
    // independent, so the result does not depend on which thread updates which block.
    struct RowBlock {
        int layer, begin, end;
    };
    std::vector<RowBlock> rowBlocks_;
    // body(block, layer, first row, end row, thread) for every row block: home ranges first.
    void forEachRowBlock(const std::function<void(int block, int layer, int begin, int end, int t)> &body);
    std::vector<double> blockNorm2_; // per block, summed in block order (global-norm option)
    std::vector<int> rowHome_;        // each thread's range of row blocks (ThreadPool::forEachBlock)
    // The wide layers (see buildBlocks) are scanned by column blocks, every sample of a batch,
    // each thread its home blocks first; the one-pass update runs on the same column blocks
    // (all rows), then on row blocks of the other layers.
    struct ColumnRange {
        int begin, end;
    };
    struct UpdateBlock {
        int layer, rowBegin, rowEnd, colBegin, colEnd;
        int panel; // its weights' panel in weightPanels_, or -1: in the network
    };
    int wideLayers_ = 0;
    // The narrow layers after the wide ones (at most 16 neurons each, e.g. the output layer)
    // keep their gradient as dense per-thread rows, not records (GradientRecord::denseFrom).
    int denseFrom_ = 0;
    std::vector<std::vector<ColumnRange>> scanBlocks_; // per wide layer
    std::vector<std::vector<int>> scanHome_;
    std::vector<UpdateBlock> updateBlocks_;
    std::vector<int> updateHome_;
    std::vector<Vector> blockSums_;   // per update row block: its rows' column sums
    std::vector<int> rowBlocksInOrder_; // the update's row blocks by layer and first row
    std::vector<ForwardPass> batchPasses_; // per sample of the running batch
    // On several threads, layer 0's weights (when it is a wide layer) are held while training in
    // one row-major matrix per column block (its scan block), not in the network's matrix: each
    // thread's scans and update then stream through memory that only it touches, where two
    // cores working on column halves of the same rows share every page (docs/PERFORMANCE.md).
    // home_ says where the current weights are; the network's copy of those columns is brought
    // up to date when it is looked at (network(), evaluate(), an epoch's end), the panels
    // reloaded before a mini-batch when the network may have been written. (Only layer 0: the
    // backward pass reads the weights of the layers after it.)
    enum class WeightHome { Network, Panels, Both };
    mutable WeightHome home_ = WeightHome::Network;
    std::vector<Matrix> weightPanels_;
    void loadPanels();        // network -> panels, unless they are current
    void syncNetwork() const; // panels -> network, unless it is current
    void buildBlocks();
    // A record entry of a gradient row (trainBatch). Each thread sorts its own records' entries
    // by row at the end of its per-sample work (ThreadState::rowTerms): the update reads row i's
    // terms thread by thread, each thread's in sample order.
    struct RowTerm {
        int record; // the thread's record (its slot: the thread's first slot + record)
        int group;  // the entry's arrival group and spike z
        double z;
    };
    std::vector<std::vector<const LayerGradientRecord *>> slotRecords_; // per layer, thread then sample order
    std::vector<int> firstSlot_; // per thread its first record's slot, then the slot count
    // Per layer and thread (index layer * threads + thread): that thread's rowTermStart[layer]
    // and rowTerms[layer] data, gathered once per mini-batch for the update's row loop.
    std::vector<const int *> termStarts_;
    std::vector<const RowTerm *> termLists_;

    std::vector<int> trainIndices_;
    std::vector<int> validationIndices_;
    Dataset validationSet_;
    std::vector<int> order_;
    int epoch_ = 0;
    int cursor_ = 0;
    double epochLoss_ = 0.0;
    int epochCorrect_ = 0;
    int epochSamples_ = 0;
    double epochTrainSeconds_ = 0.0;
    double epochStartTime_ = 0.0;
    std::vector<EpochMetrics> history_;
    int bestEpoch_ = 0;
    double bestValidationAccuracy_ = -1.0;
    double bestValidationLoss_ = 0.0;
    std::vector<Matrix> bestWeights_;
    bool stoppedEarly_ = false;
};

} // namespace firstspike
