// One mini-batch of a Trainer: where each thread works (column blocks of the wide layers, row
// blocks of the others), layer 0's weights in per-thread panels, the forward and backward passes
// into per-thread gradient records, and the update pass that sums them row by row.

#include "core/training/Trainer.h"

#include "core/model/Loss.h"
#include "core/training/GradientRow.h"
#include "core/parallel/Prefetch.h"
#include "core/training/TrainerThreadState.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace firstspike {

const SpikeNetwork &Trainer::network() const
{
    syncNetwork();
    return network_;
}

SpikeNetwork &Trainer::network()
{
    syncNetwork();
    home_ = WeightHome::Network; // the caller may write it
    return network_;
}

void Trainer::loadPanels()
{
    if (home_ != WeightHome::Network)
        return;
    // Each thread copies its own blocks, which then start in its cache.
    pool_->forEachBlock(scanHome_[0], [&](int k, int) {
        const ColumnRange c = scanBlocks_[0][static_cast<std::size_t>(k)];
        weightPanels_[static_cast<std::size_t>(k)] = std::as_const(network_).weights(0).middleCols(c.begin, c.end - c.begin);
    });
    home_ = WeightHome::Both;
}

void Trainer::syncNetwork() const
{
    if (home_ != WeightHome::Panels)
        return;
    // The network is a cache of the panels here, which a const accessor may fill (a trainer is
    // never itself const: it exists to be trained). Not `mutable`: every const member would
    // then get the network's mutable overloads, and weights() invalidates the cached column
    // sums (a data race with the scans, found by TSan). Written through the mutable weights,
    // which drops the cached column sums; they are those of the panels, so they stay valid.
    SpikeNetwork &network = const_cast<SpikeNetwork &>(network_);
    const bool prepared = network.prepared();
    Matrix &w = network.weights(0);
    for (std::size_t k = 0; k < weightPanels_.size(); ++k) {
        const ColumnRange c = scanBlocks_[0][k];
        w.middleCols(c.begin, c.end - c.begin) = weightPanels_[k];
    }
    if (prepared)
        network.setColumnSumsFilled();
    home_ = WeightHome::Both;
}

namespace {
// Cut [0, sizes.size()) into `threads` contiguous ranges of about equal total size: range t
// ends before the item that would take the running total past total * (t + 1) / threads by
// more than half of that item.
std::vector<int> homeRanges(const std::vector<long long> &sizes, int threads)
{
    long long total = 0;
    for (long long n : sizes)
        total += n;
    std::vector<int> home(static_cast<std::size_t>(threads) + 1, static_cast<int>(sizes.size()));
    home[0] = 0;
    long long running = 0;
    int t = 1;
    for (std::size_t b = 0; b < sizes.size(); ++b) {
        while (t < threads && 2 * running + sizes[b] > 2 * total * t / threads)
            home[static_cast<std::size_t>(t++)] = static_cast<int>(b);
        running += sizes[b];
    }
    return home;
}
} // namespace

void Trainer::buildBlocks()
{
    const int threadCount = pool_->size();
    const int layers = network_.layerCount();
    // Row blocks (the global-norm update): runs of rows, SpikeNetwork's column-sum runs.
    rowBlocks_.clear();
    std::vector<long long> blockWeights;
    for (int l = 0; l < layers; ++l) {
        const Matrix &w = std::as_const(network_).weights(l);
        const int rows = static_cast<int>(w.rows());
        const int step = SpikeNetwork::columnSumBlockRows(w.cols());
        for (int r = 0; r < rows; r += step) {
            rowBlocks_.push_back({l, r, std::min(rows, r + step)});
            blockWeights.push_back(static_cast<long long>(std::min(rows, r + step) - r) * w.cols());
        }
    }
    rowHome_ = homeRanges(blockWeights, threadCount);

    // Wide layers: the leading layers with at least 32 neurons per thread, scanned and updated
    // by column blocks (two per thread, boundaries at multiples of 16 columns: when the row
    // length is a multiple of 16 too, as for 800 neurons, no cache line of weights or moments is
    // shared by two blocks); thread t's home blocks are the same in the scans and in the update,
    // so its columns of the weights and moments stay in its cache. Single-threaded, every layer
    // is run per sample.
    wideLayers_ = 0;
    if (threadCount > 1)
        while (wideLayers_ < layers && network_.fanOut(wideLayers_) >= 32 * threadCount)
            ++wideLayers_;
    // Dense gradient rows for the trailing layers of at most 16 neurons: their records would
    // have one entry per hidden spike and sample, sorted by row and summed term by term.
    denseFrom_ = layers;
    while (denseFrom_ > wideLayers_ && network_.fanOut(denseFrom_ - 1) <= 16)
        --denseFrom_;
    for (auto &t : threads_) {
        t->denseGradients.assign(static_cast<std::size_t>(layers), Matrix());
        for (int l = denseFrom_; l < layers; ++l) {
            const Matrix &w = std::as_const(network_).weights(l);
            t->denseGradients[static_cast<std::size_t>(l)].resize(w.rows(), w.cols());
        }
    }
    scanBlocks_.assign(static_cast<std::size_t>(wideLayers_), {});
    scanHome_.assign(static_cast<std::size_t>(wideLayers_), {});
    std::vector<std::vector<UpdateBlock>> perThread(static_cast<std::size_t>(threadCount));
    std::vector<long long> load(static_cast<std::size_t>(threadCount), 0);
    for (int l = 0; l < wideLayers_; ++l) {
        const int cols = network_.fanOut(l);
        const int rows = static_cast<int>(std::as_const(network_).weights(l).rows());
        const int units = (cols + 15) / 16;
        const int count = std::min(units, 2 * threadCount);
        std::vector<long long> sizes;
        for (int k = 0; k < count; ++k) {
            const int c0 = 16 * static_cast<int>(static_cast<long long>(units) * k / count);
            const int c1 = k + 1 == count ? cols : 16 * static_cast<int>(static_cast<long long>(units) * (k + 1) / count);
            scanBlocks_[static_cast<std::size_t>(l)].push_back({c0, c1});
            sizes.push_back(c1 - c0);
        }
        scanHome_[static_cast<std::size_t>(l)] = homeRanges(sizes, threadCount);
        // Each block's moments in memory of their own (Optimizer::setColumnPanels): a thread's
        // update then streams through contiguous memory that only it writes.
        std::vector<Eigen::Index> panelBounds;
        for (const ColumnRange &c : scanBlocks_[static_cast<std::size_t>(l)])
            panelBounds.push_back(c.begin);
        panelBounds.push_back(cols);
        optimizer_.setColumnPanels(static_cast<std::size_t>(l), panelBounds);
        for (int t = 0; t < threadCount; ++t)
            for (int k = scanHome_[static_cast<std::size_t>(l)][static_cast<std::size_t>(t)];
                 k < scanHome_[static_cast<std::size_t>(l)][static_cast<std::size_t>(t) + 1]; ++k) {
                const ColumnRange &c = scanBlocks_[static_cast<std::size_t>(l)][static_cast<std::size_t>(k)];
                perThread[static_cast<std::size_t>(t)].push_back({l, 0, rows, c.begin, c.end, l == 0 ? k : -1});
                load[static_cast<std::size_t>(t)] += static_cast<long long>(rows) * (c.end - c.begin);
            }
    }
    for (int l = wideLayers_; l < layers; ++l)
        optimizer_.setColumnPanels(static_cast<std::size_t>(l), {});
    weightPanels_.clear();
    if (wideLayers_ > 0) // filled by loadPanels()
        weightPanels_.resize(scanBlocks_[0].size());
    // The other layers' row blocks go to the least loaded thread, in order.
    for (const RowBlock &rb : rowBlocks_) {
        if (rb.layer < wideLayers_)
            continue;
        const int cols = network_.fanOut(rb.layer);
        const std::size_t t = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        perThread[t].push_back({rb.layer, rb.begin, rb.end, 0, cols, -1});
        load[t] += static_cast<long long>(rb.end - rb.begin) * cols;
    }
    updateBlocks_.clear();
    updateHome_.assign(1, 0);
    for (const std::vector<UpdateBlock> &list : perThread) {
        updateBlocks_.insert(updateBlocks_.end(), list.begin(), list.end());
        updateHome_.push_back(static_cast<int>(updateBlocks_.size()));
    }
    blockSums_.assign(updateBlocks_.size(), Vector());
    // The update's row blocks in row order, in which their column sums are added.
    rowBlocksInOrder_.clear();
    for (std::size_t b = 0; b < updateBlocks_.size(); ++b)
        if (updateBlocks_[b].layer >= wideLayers_)
            rowBlocksInOrder_.push_back(static_cast<int>(b));
    std::sort(rowBlocksInOrder_.begin(), rowBlocksInOrder_.end(), [&](int a, int b) {
        const UpdateBlock &x = updateBlocks_[static_cast<std::size_t>(a)], &y = updateBlocks_[static_cast<std::size_t>(b)];
        return x.layer != y.layer ? x.layer < y.layer : x.rowBegin < y.rowBegin;
    });
}

void Trainer::sortRecordEntries(ThreadState &st) const
{
    const int layers = network_.layerCount();
    st.rowTermStart.resize(static_cast<std::size_t>(layers));
    st.rowTerms.resize(static_cast<std::size_t>(layers));
    for (int l = 0; l < std::min(layers, denseFrom_); ++l) { // the dense layers have no entries
        std::vector<int> &start = st.rowTermStart[static_cast<std::size_t>(l)];
        std::vector<RowTerm> &terms = st.rowTerms[static_cast<std::size_t>(l)];
        start.assign(static_cast<std::size_t>(network_.weights(l).rows()) + 1, 0);
        for (int r = 0; r < st.recordCount; ++r)
            for (const LayerGradientRecord::Entry &e : st.records[static_cast<std::size_t>(r)].layers[l].entries)
                ++start[static_cast<std::size_t>(e.row) + 1];
        for (std::size_t i = 1; i < start.size(); ++i)
            start[i] += start[i - 1];
        terms.resize(static_cast<std::size_t>(start.back()));
        st.rowTermFill.assign(start.begin(), start.end() - 1);
        for (int r = 0; r < st.recordCount; ++r)
            for (const LayerGradientRecord::Entry &e : st.records[static_cast<std::size_t>(r)].layers[l].entries)
                terms[static_cast<std::size_t>(st.rowTermFill[static_cast<std::size_t>(e.row)]++)] = {r, e.group, e.z};
    }
}

void Trainer::clearThreadGradients()
{
    // A mini-batch that is abandoned leaves nothing behind for the next one.
    for (auto &st : threads_) {
        for (Eigen::RowVectorXd &r : st->rowBroadcast)
            r.setZero();
        st->recordCount = 0;
        st->workspace.maxGradientScale = 0.0;
    }
}

void Trainer::forEachRowBlock(const std::function<void(int block, int layer, int begin, int end, int t)> &body)
{
    pool_->forEachBlock(rowHome_, [&](int block, int t) {
        const RowBlock &rb = rowBlocks_[static_cast<std::size_t>(block)];
        body(block, rb.layer, rb.begin, rb.end, t);
    });
}

BatchResult Trainer::trainBatch()
{
    if (epochComplete())
        return {0, 0.0, 0, true};
    const double t0 = trainerClockSeconds();
    // Layer 0's weights in panels for this mini-batch (not with the global-norm update, which
    // runs on the network's rows).
    const bool panels = !weightPanels_.empty() && !optimizer_.config().normalizeGradient;
    if (panels)
        loadPanels();
    else
        syncNetwork();
    if (!network_.prepared()) { // (e.g. after an update that threw) from the current weights
        syncNetwork();
        network_.prepare();
    }
    const int batch = std::min(config_.batchSize, static_cast<int>(order_.size()) - cursor_);
    const int threads = pool_->size();
    const Dataset &train = data_->train;
    const double horizon = network_.config().maxSpikeZ();
    const int batchStart = cursor_;
    const int layers = network_.layerCount();

    // Balance the threads: a sample costs about as much as it has non-black pixels (the rows the
    // scans visit). Longest first, each to the least loaded thread; the assignment depends only
    // on the data and the thread count, so results stay bit-identical for a thread count.
    assignment_.assign(threads, {});
    if (threads == 1) {
        for (int b = 0; b < batch; ++b)
            assignment_[0].push_back(b);
    } else {
        std::vector<std::pair<int, int>> cost(batch); // (-cost, position in batch)
        const int pixels = train.pixelCount();
        for (int b = 0; b < batch; ++b) {
            const std::uint8_t *p = train.image(order_[batchStart + b]);
            int lit = 0;
            for (int i = 0; i < pixels; ++i)
                lit += p[i] != 0;
            cost[b] = {-lit, b};
        }
        std::sort(cost.begin(), cost.end());
        std::vector<long long> load(threads, 0);
        for (const auto &[negCost, b] : cost) {
            const int t = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
            load[t] += 1 - negCost; // + 1: every sample has a fixed cost too
            assignment_[t].push_back(b);
        }
        for (auto &list : assignment_)
            std::sort(list.begin(), list.end());
    }

    // Phase 1: the forward and backward passes into per-thread gradient records. The per-sample
    // work (input order, the layers after the wide ones, loss, backward) is split by samples;
    // a wide layer is scanned by column blocks, a thread taking its own columns for every sample
    // of the batch: each weight column is then read and written by one core only (data written
    // by the other core arrives at about DRAM speed on the machines we measure on). The split
    // does not change any bit (SpikeNetwork::scanColumns).
    if (static_cast<int>(batchPasses_.size()) < batch)
        batchPasses_.resize(static_cast<std::size_t>(batch));
    try {
        pool_->run([&](int t) {
            ThreadState &st = *threads_[t];
            st.loss = 0.0;
            st.correct = 0;
            st.recordCount = 0;
            st.image.resize(train.pixelCount());
            // No dense gradient row is written yet in this batch (also on a thread without samples).
            st.workspace.touchedRows.resize(static_cast<std::size_t>(layers));
            for (int l = denseFrom_; l < layers; ++l)
                st.workspace.touchedRows[static_cast<std::size_t>(l)].assign(
                    static_cast<std::size_t>(std::as_const(network_).weights(l).rows()), 0);
            for (int b : assignment_[t]) {
                const int position = batchStart + b;
                const std::uint8_t *pixels = train.image(order_[position]);
                if (config_.augmentShift > 0) {
                    shiftedImage(pixels, position, st.image.data());
                    pixels = st.image.data();
                }
                network_.beginForward(pixels, batchPasses_[static_cast<std::size_t>(b)]);
            }
        });
        for (int l = 0; l < wideLayers_; ++l) {
            if (l > 0)
                pool_->run([&](int t) {
                    for (int b : assignment_[t])
                        network_.orderLayer(l, batchPasses_[static_cast<std::size_t>(b)]);
                });
            const std::vector<ColumnRange> &blocks = scanBlocks_[static_cast<std::size_t>(l)];
            pool_->forEachBlock(scanHome_[static_cast<std::size_t>(l)], [&](int k, int) {
                const ColumnRange c = blocks[static_cast<std::size_t>(k)];
                if (l == 0 && panels) {
                    const Matrix &panel = weightPanels_[static_cast<std::size_t>(k)];
                    for (int b = 0; b < batch; ++b)
                        network_.scanColumns(0, batchPasses_[static_cast<std::size_t>(b)].layers[0], c.begin, c.end,
                                             panel.data(), panel.outerStride());
                    return;
                }
                for (int b = 0; b < batch; ++b)
                    network_.scanColumns(l, batchPasses_[static_cast<std::size_t>(b)].layers[static_cast<std::size_t>(l)],
                                         c.begin, c.end);
            });
        }
        pool_->run([&](int t) {
            ThreadState &st = *threads_[t];
            // Every thread reads all of the narrow layers' weights below, in spike order, and
            // some were last written by another core (their update blocks go to any thread): one
            // sequential sweep first fetches them at streaming speed instead of one miss per
            // row (measured: this phase 0.67 -> 0.60 ms per batch on 2 threads).
            if (threads > 1)
                for (int l = wideLayers_; l < layers; ++l) {
                    const Matrix &w = std::as_const(network_).weights(l);
                    prefetchBytes(w.data(), static_cast<std::size_t>(w.size()) * sizeof(double), PrefetchFor::Read);
                }
            for (int b : assignment_[t]) {
                ForwardPass &pass = batchPasses_[static_cast<std::size_t>(b)];
                network_.finishForward(pass, wideLayers_);
                const int label = train.labels[order_[batchStart + b]];
                st.loss += softmaxCrossEntropy(pass.layers.back().spikeZ, label, horizon, st.dLossDz);
                if (config_.decisionTimeCost != 0.0)
                    st.loss += decisionTimeCost(pass.layers.back().spikeZ, label, config_.decisionTimeCost, &st.dLossDz);
                st.correct += pass.predictedClass() == label ? 1 : 0;
                if (st.recordCount == static_cast<int>(st.records.size()))
                    st.records.emplace_back();
                GradientRecord &record = st.records[static_cast<std::size_t>(st.recordCount++)];
                record.denseFrom = denseFrom_;
                network_.backward(pass, st.dLossDz, st.denseGradients, st.workspace, nullptr, &st.rowBroadcast,
                                  &record);
            }
            sortRecordEntries(st);
        });
    } catch (...) {
        clearThreadGradients();
        throw;
    }

    double loss = 0.0;
    int correct = 0;
    double maxScale = 0.0;
    for (int t = 0; t < threads; ++t) {
        loss += threads_[t]->loss;
        correct += threads_[t]->correct;
        const double s = threads_[t]->workspace.maxGradientScale;
        maxScale = std::isnan(s) ? s : std::max(maxScale, s);
        threads_[t]->workspace.maxGradientScale = 0.0;
    }
    bool weightsFinite = true;
    for (const Vector &sums : network_.cachedColumnSums())
        weightsFinite = weightsFinite && sums.allFinite();
    // Every gradient entry is a sum of terms bounded by maxScale * horizon, so this bound keeps
    // the gradient and its square finite in double (the optimiser clamps its float moments);
    // checked before any weight changes.
    if (!std::isfinite(loss) || !(maxScale < 1e150) || !weightsFinite) {
        clearThreadGradients();
        throw DivergenceError("training diverged at epoch " + std::to_string(epoch_ + 1) + ", step "
                              + std::to_string(optimizer_.stepCount() + 1) + ": "
                              + (!weightsFinite ? std::string("non-finite weights")
                                                : "non-finite loss or gradient")
                              + "; weights kept from before this mini-batch");
    }

    // Per layer: the broadcast rows summed in thread order, and the neurons whose total weight
    // is below threshold (weight-sum cost, docs/MODEL.md: d/dw of K * max(0, theta - sum w) = -K).
    std::vector<Eigen::RowVectorXd> broadcast(layers);
    std::vector<Eigen::RowVectorXd> hinge(layers);
    const double theta = network_.config().threshold;
    for (int l = 0; l < layers; ++l) {
        broadcast[l] = threads_[0]->rowBroadcast[l];
        threads_[0]->rowBroadcast[l].setZero();
        for (int t = 1; t < threads; ++t) {
            broadcast[l] += threads_[t]->rowBroadcast[l];
            threads_[t]->rowBroadcast[l].setZero();
        }
        const Vector &sums = network_.cachedColumnSums()[l];
        hinge[l] = Eigen::RowVectorXd::Zero(sums.size());
        for (Eigen::Index j = 0; j < sums.size(); ++j)
            if (config_.weightSumK != 0.0 && theta - sums[j] > 0.0)
                hinge[l][j] = -config_.weightSumK;
    }

    // The records by slot: per layer, thread order, then sample order.
    slotRecords_.resize(static_cast<std::size_t>(layers));
    firstSlot_.assign(static_cast<std::size_t>(threads) + 1, 0);
    for (int t = 0; t < threads; ++t)
        firstSlot_[static_cast<std::size_t>(t) + 1] = firstSlot_[static_cast<std::size_t>(t)] + threads_[t]->recordCount;
    termStarts_.resize(static_cast<std::size_t>(layers) * threads);
    termLists_.resize(static_cast<std::size_t>(layers) * threads);
    for (int l = 0; l < layers; ++l) {
        std::vector<const LayerGradientRecord *> &slots = slotRecords_[static_cast<std::size_t>(l)];
        slots.clear();
        for (int t = 0; t < threads; ++t) {
            for (int r = 0; r < threads_[t]->recordCount; ++r)
                slots.push_back(&threads_[t]->records[static_cast<std::size_t>(r)].layers[l]);
            termStarts_[static_cast<std::size_t>(l) * threads + t] = threads_[t]->rowTermStart[static_cast<std::size_t>(l)].data();
            termLists_[static_cast<std::size_t>(l) * threads + t] = threads_[t]->rowTerms[static_cast<std::size_t>(l)].data();
        }
    }

    // The gradient of row i of layer l: the broadcast row plus the per-thread sums of the row's
    // record terms, in thread order (the same sum for a given thread count), scaled, plus the
    // costs, written to `out` (a row that stays in L1 before the update reads it). The
    // multiply-adds are explicit, as in GradientRow.cpp, so both forms agree in every build.
    const double invBatch = 1.0 / batch;
    const double l2 = config_.l2;
    // A dense layer's row i from column c0 on: each thread's row that backward() wrote, in
    // thread order (GradientRecord::denseFrom).
    auto denseRows = [&](int l, Eigen::Index i, Eigen::Index c0, std::vector<const double *> &rows) {
        for (int u = 0; u < threads; ++u)
            if (threads_[u]->workspace.touchedRows[static_cast<std::size_t>(l)][static_cast<std::size_t>(i)])
                rows.push_back(threads_[u]->denseGradients[static_cast<std::size_t>(l)].row(i).data() + c0);
    };
    // Columns [c0, c1) of the row; out[0] is column c0's. `slices` are the records' slices from
    // column c0 on, by slot; `base` and `h` the broadcast and hinge rows from column c0 on.
    // `w` is the row's weights from column c0 on (for the L2 term).
    auto rowGradient = [&](int l, Eigen::Index i, Eigen::Index c0, Eigen::Index c1, double *out, int t,
                           const RecordSlice *slices, const double *base, const double *__restrict h,
                           const double *__restrict w) {
        const Eigen::Index n = c1 - c0;
        std::vector<double> &threadRows = threads_[t]->threadRows;
        thread_local std::vector<const double *> written;
        written.clear();
        if (l >= denseFrom_) // each thread's sum as it is
            denseRows(l, i, c0, written);
        else
            for (int u = 0; u < threads; ++u) { // each thread's sum of this row, in thread order
                const int *start = termStarts_[static_cast<std::size_t>(l) * threads + u];
                const int k0 = start[i], k1 = start[i + 1];
                if (k0 == k1)
                    continue;
                double *acc = threadRows.data() + written.size() * static_cast<std::size_t>(n); // sized in reset()
                written.push_back(acc);
                const RowTerm *term = termLists_[static_cast<std::size_t>(l) * threads + u];
                const RecordSlice *own = slices + firstSlot_[static_cast<std::size_t>(u)];
                for (int k = k0; k < k1; ++k) // the first assigned, as backward did
                    own[term[k].record].accumulate(term[k].z, term[k].group, n, acc, k == k0);
            }
        std::size_t count = written.size();
        if (count > 2) { // all but the last summed into out, in thread order
            const double *__restrict w0 = written[0];
            const double *__restrict w1 = written[1];
            for (Eigen::Index j = 0; j < n; ++j)
                out[j] = (base[j] + w0[j]) + w1[j];
            for (std::size_t k = 2; k + 1 < count; ++k) {
                const double *__restrict wk = written[k];
                for (Eigen::Index j = 0; j < n; ++j)
                    out[j] += wk[j];
            }
            base = out;
            written[0] = written[count - 1];
            count = 1;
        }
        if (count == 0) {
            for (Eigen::Index j = 0; j < n; ++j)
                out[j] = std::fma(l2, w[j], std::fma(base[j], invBatch, h[j]));
        } else if (count == 1) {
            const double *__restrict s0 = written[0];
            for (Eigen::Index j = 0; j < n; ++j)
                out[j] = std::fma(l2, w[j], std::fma(base[j] + s0[j], invBatch, h[j]));
        } else {
            const double *__restrict s0 = written[0];
            const double *__restrict s1 = written[1];
            for (Eigen::Index j = 0; j < n; ++j)
                out[j] = std::fma(l2, w[j], std::fma((base[j] + s0[j]) + s1[j], invBatch, h[j]));
        }
    };
    // The same gradient as rowGradient, as terms for GradientRow.h (the thread's own vectors).
    auto gradientRow = [&](int l, Eigen::Index i, Eigen::Index c0, int t, const RecordSlice *slices,
                           const double *base, const double *h) {
        ThreadState &st = *threads_[t];
        st.gradTerms.clear();
        st.gradRuns.clear();
        st.gradDense.clear();
        if (l >= denseFrom_) {
            denseRows(l, i, c0, st.gradDense);
            GradientRow row{st.gradTerms.data(), st.gradRuns.data(), 0, base, h, invBatch, l2};
            row.dense = st.gradDense.data();
            row.denseCount = static_cast<int>(st.gradDense.size());
            return row;
        }
        for (int u = 0; u < threads; ++u) { // each thread's terms of this row, in thread order
            const int *start = termStarts_[static_cast<std::size_t>(l) * threads + u];
            const int k0 = start[i], k1 = start[i + 1];
            if (k0 == k1)
                continue;
            const RowTerm *term = termLists_[static_cast<std::size_t>(l) * threads + u];
            const RecordSlice *own = slices + firstSlot_[static_cast<std::size_t>(u)];
            st.gradRuns.push_back(static_cast<int>(st.gradTerms.size()));
            for (int k = k0; k < k1; ++k) // in record order, as backward() wrote them
                st.gradTerms.push_back({own[term[k].record], term[k].z, term[k].group});
        }
        const int runCount = static_cast<int>(st.gradRuns.size());
        st.gradRuns.push_back(static_cast<int>(st.gradTerms.size()));
        return GradientRow{st.gradTerms.data(), st.gradRuns.data(), runCount, base, h, invBatch, l2};
    };
    // Points st.slices at the records' columns from c0 on, by slot. With `copy`, at copies in the
    // thread's own memory, with the broadcast and hinge rows after them (returned through base
    // and h): a column block rereads them for each of its rows, and records written by another
    // core, evicted from this core's cache by the stream of weights and moments, would come
    // back each time at cross-core speed.
    auto prepareSlices = [&](int l, Eigen::Index c0, Eigen::Index c1, int t, bool copy, const double *&base,
                             const double *&h) {
        ThreadState &st = *threads_[t];
        const std::vector<const LayerGradientRecord *> &slots = slotRecords_[static_cast<std::size_t>(l)];
        st.slices.resize(slots.size());
        base = broadcast[l].data() + c0;
        h = hinge[l].data() + c0;
        if (!copy) {
            for (std::size_t k = 0; k < slots.size(); ++k)
                st.slices[k] = slots[k]->slice(c0);
            return;
        }
        const std::size_t n = static_cast<std::size_t>(c1 - c0);
        st.sliceData.resize((3 * slots.size() + 2) * n);
        st.sliceCut.resize(slots.size() * n);
        double *d = st.sliceData.data();
        int *c = st.sliceCut.data();
        for (std::size_t k = 0; k < slots.size(); ++k) {
            const LayerGradientRecord &r = *slots[k];
            if (r.entries.empty()) { // never read
                st.slices[k] = r.slice(0);
                continue;
            }
            std::copy_n(r.G.data() + c0, n, d);
            std::copy_n(r.GZ.data() + c0, n, d + n);
            const bool folded = r.folded;
            if (folded)
                std::copy_n(r.U.data() + c0, n, d + 2 * n);
            std::copy_n(r.cut.data() + c0, n, c);
            st.slices[k] = {d, d + n, folded ? d + 2 * n : nullptr, c};
            d += 3 * n;
            c += n;
        }
        std::copy_n(base, n, d);
        std::copy_n(h, n, d + n);
        base = d;
        h = d + n;
    };
    std::vector<Matrix> &weights = network_.allWeights();
    // An update that throws leaves no broadcast rows or records behind for the next batch.
    try {
        if (!optimizer_.config().normalizeGradient) {
            // One pass: each row's gradient is formed just before its update, and the new
            // weights are summed per column as they are written, in SpikeNetwork::columnSums'
            // order: runs of rows from 0, then the runs in order (a column block takes all the
            // runs of its columns; a row block is one run, added in block order below).
            optimizer_.beginStep();
            const AdamConstants adam = optimizer_.adamConstants(1.0);
            const bool fusedRowStep = adamRowStepIsVectorised() && optimizer_.config().kind == OptimizerKind::Adam;
            if (panels) // from here on the panels hold the newest weights, even if a block throws
                home_ = WeightHome::Panels;
            std::vector<Vector> &sums = network_.columnSumsToFill();
            pool_->forEachBlock(updateHome_, [&](int block, int t) {
                const UpdateBlock ub = updateBlocks_[static_cast<std::size_t>(block)];
                const int l = ub.layer;
                Matrix &w = weights[static_cast<std::size_t>(l)];
                const Eigen::Index c0 = ub.colBegin, n = ub.colEnd - ub.colBegin;
                std::vector<double> &buffer = threads_[t]->rowBuffer;
                buffer.resize(static_cast<std::size_t>(2 * n));
                double *__restrict partial = buffer.data() + n;
                const bool columnBlock = ub.rowBegin == 0 && ub.rowEnd == w.rows() && l < wideLayers_;
                double *__restrict sum = columnBlock ? sums[static_cast<std::size_t>(l)].data() + c0
                                                     : blockSums_[static_cast<std::size_t>(block)].setZero(n).data();
                const int run = SpikeNetwork::columnSumBlockRows(w.cols());
                const double *base = nullptr, *h = nullptr;
                // The fused row step reads the records where they are (copying them cost more
                // than it saved: two threads 1.06-1.17 against 1.04-1.08 ms per mini-batch).
                prepareSlices(l, c0, ub.colEnd, t, columnBlock && !fusedRowStep, base, h);
                const RecordSlice *slices = threads_[t]->slices.data();
                // A column block's weight rows are pieces of ~200 columns a row apart, too short
                // and far apart for the hardware prefetchers (measured: the 2-thread update pass
                // 1.12 -> 0.87 ms per batch); its moments are contiguous (setColumnPanels) and
                // need no help (prefetching them too: 0.68-0.71 -> 0.72-0.75 ms).
                constexpr int kPrefetchRows = 3;
                const bool prefetch = n < w.cols();
                Matrix *panel = panels && ub.panel >= 0 ? &weightPanels_[static_cast<std::size_t>(ub.panel)] : nullptr;
                // Adam: the block's moments, row i's at m0 + i * momentStride (looked up once per
                // block: a lookup per row was 4-5 % of a two-thread mini-batch).
                float *m0 = nullptr, *v0 = nullptr;
                Eigen::Index momentStride = 0;
                const bool fusedRows = fusedRowStep
                                       && optimizer_.momentRows(static_cast<std::size_t>(l), c0, ub.colEnd, m0, v0,
                                                                momentStride);
                for (int i = ub.rowBegin; i < ub.rowEnd; ++i) {
                    if (prefetch && !panel && i + kPrefetchRows < ub.rowEnd)
                        prefetchBytes(w.row(i + kPrefetchRows).data() + c0, static_cast<std::size_t>(n) * sizeof(double),
                                      PrefetchFor::Write);
                    if ((i - ub.rowBegin) % run == 0)
                        std::fill(partial, partial + n, 0.0);
                    double *wRow = panel ? panel->row(i).data() : w.row(i).data() + c0;
                    if (fusedRows) {
                        // Adam: the gradient 16 columns at a time (the last step masked), each
                        // piece updated while it is in registers.
                        adamRowFromGradient(gradientRow(l, i, c0, t, slices, base, h), n, wRow, m0 + i * momentStride,
                                            v0 + i * momentStride, partial, adam);
                    } else {
                        rowGradient(l, i, c0, ub.colEnd, buffer.data(), t, slices, base, h, wRow);
                        optimizer_.updateRow(static_cast<std::size_t>(l), wRow, i, c0, ub.colEnd, buffer.data(), 1.0,
                                             partial);
                    }
                    if ((i - ub.rowBegin) % run == run - 1 || i + 1 == ub.rowEnd) {
                        if (columnBlock && i - ub.rowBegin >= run) {
                            for (Eigen::Index j = 0; j < n; ++j)
                                sum[j] += partial[j];
                        } else {
                            std::copy(partial, partial + n, sum);
                        }
                    }
                }
            });
            // The row blocks' sums in row order.
            for (int b : rowBlocksInOrder_) {
                const UpdateBlock &ub = updateBlocks_[static_cast<std::size_t>(b)];
                Vector &out = sums[static_cast<std::size_t>(ub.layer)];
                if (ub.rowBegin == 0)
                    out = blockSums_[static_cast<std::size_t>(b)];
                else
                    out += blockSums_[static_cast<std::size_t>(b)];
            }
            network_.setColumnSumsFilled();
        } else {
            // The global norm must be known before any row is updated: two passes.
            if (gradients_.size() != weights.size()) {
                gradients_.clear();
                for (const Matrix &w : weights)
                    gradients_.push_back(Matrix(w.rows(), w.cols()));
            }
            blockNorm2_.assign(rowBlocks_.size(), 0.0);
            forEachRowBlock([&](int block, int l, int r0, int r1, int t) {
                const double *base = nullptr, *h = nullptr;
                prepareSlices(l, 0, weights[l].cols(), t, false, base, h);
                for (int i = r0; i < r1; ++i)
                    rowGradient(l, i, 0, weights[l].cols(), gradients_[l].row(i).data(), t, threads_[t]->slices.data(), base, h,
                                weights[l].row(i).data());
                blockNorm2_[static_cast<std::size_t>(block)] = gradients_[l].middleRows(r0, r1 - r0).squaredNorm();
            });
            double norm2 = 0.0;
            for (double n2 : blockNorm2_) // block order: the same sum whatever ran where
                norm2 += n2;
            const double scale = norm2 > 0.0 ? 1.0 / std::sqrt(norm2) : 1.0;
            optimizer_.beginStep();
            home_ = WeightHome::Network; // the network's rows are written; any panels fall behind
            forEachRowBlock([&](int, int l, int r0, int r1, int) {
                optimizer_.updateRows(static_cast<std::size_t>(l), weights[l], gradients_[l], r0, r1, scale);
            });
            network_.prepare(*pool_);
        }
    } catch (...) {
        clearThreadGradients();
        throw;
    }

    cursor_ += batch;
    epochLoss_ += loss;
    epochCorrect_ += correct;
    epochSamples_ += batch;
    epochTrainSeconds_ += trainerClockSeconds() - t0;
    return {batch, loss / batch, correct, epochComplete()};
}

} // namespace firstspike
