// A training run: set-up and reset, epochs (shuffling, augmentation, validation, best weights)
// and evaluation. One mini-batch is TrainerBatch.cpp.

#include "core/training/Trainer.h"

#include "core/common/Random.h"
#include "core/model/Loss.h"
#include "core/training/DataOrder.h"
#include "core/training/TrainerThreadState.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace firstspike {

namespace {

// Thread t of `threads` handles items [begin, end) of n: contiguous, fixed for a thread count.
void chunk(int n, int threads, int t, int &begin, int &end)
{
    begin = static_cast<int>(static_cast<long long>(n) * t / threads);
    end = static_cast<int>(static_cast<long long>(n) * (t + 1) / threads);
}

} // namespace

Trainer::Trainer(const NetworkConfig &network, const TrainConfig &config, std::shared_ptr<const DataSplit> data)
    : networkConfig_(network)
    , config_(config)
    , data_(std::move(data))
{
    if (!data_)
        throw std::invalid_argument("no data set");
    if (config_.batchSize <= 0)
        throw std::invalid_argument("batch size must be positive");
    if (config_.epochs < 0)
        throw std::invalid_argument("epochs must not be negative");
    if (data_->train.pixelCount() != network.inputSize())
        throw std::invalid_argument("the input layer has " + std::to_string(network.inputSize())
                                    + " neurons but the images have " + std::to_string(data_->train.pixelCount())
                                    + " pixels");
    if (data_->test.size() > 0 && (data_->test.rows != data_->train.rows || data_->test.cols != data_->train.cols))
        throw std::invalid_argument("the test images are " + std::to_string(data_->test.rows) + "x"
                                    + std::to_string(data_->test.cols) + " but the training images are "
                                    + std::to_string(data_->train.rows) + "x" + std::to_string(data_->train.cols));
    if (data_->train.classCount() > network.outputSize() || data_->test.classCount() > network.outputSize())
        throw std::invalid_argument("the data set has more classes than the output layer has neurons");
    if (!(config_.validationFraction >= 0.0 && config_.validationFraction < 1.0))
        throw std::invalid_argument("validation fraction must be in [0, 1)");
    if (data_->train.size() == 0)
        throw std::invalid_argument("the training set is empty");

    pool_ = std::make_unique<ThreadPool>(config_.threads);
    for (int t = 0; t < pool_->size(); ++t)
        threads_.push_back(std::make_unique<ThreadState>());

    // Validation carve: a seeded shuffle of the training indices, the last fraction held out.
    ValidationCarve carve = carveValidation(data_->train.size(), config_.validationFraction, config_.seed);
    trainIndices_ = std::move(carve.train);
    validationIndices_ = std::move(carve.validation);
    validationSet_ = data_->train.subset(validationIndices_, data_->train.name + "/validation");
    reset();
}

Trainer::~Trainer() = default;

void Trainer::reset()
{
    home_ = WeightHome::Network; // any panels are stale from here on
    network_ = SpikeNetwork(networkConfig_);
    network_.initializeUniform(mixSeed(config_.seed, 0x1417), config_.initLow, config_.initHigh);
    optimizer_ = Optimizer(scheduled(config_.optimizer), network_.allWeights());
    gradients_.clear(); // allocated by the first step that needs it (global-norm normalisation)
    std::size_t maxFanOut = 0;
    for (int l = 0; l < network_.layerCount(); ++l)
        maxFanOut = std::max(maxFanOut, static_cast<std::size_t>(network_.fanOut(l)));
    for (auto &t : threads_) {
        t->records.clear();
        t->recordCount = 0;
        t->slices.clear();
        t->threadRows.assign(static_cast<std::size_t>(pool_->size()) * maxFanOut, 0.0);
        t->rowBroadcast.clear();
        // Sized here, not only in backward(): a thread may get no sample of a small batch.
        for (const Matrix &w : std::as_const(network_).allWeights())
            t->rowBroadcast.push_back(Eigen::RowVectorXd::Zero(w.cols()));
        t->workspace.maxGradientScale = 0.0;
    }
    network_.prepare();
    buildBlocks();
    slotRecords_.clear(); // pointed into the records cleared above; rebuilt by trainBatch()
    history_.clear();
    bestEpoch_ = 0;
    bestValidationAccuracy_ = -1.0;
    bestValidationLoss_ = 0.0;
    bestWeights_.clear();
    stoppedEarly_ = false;
    epoch_ = 0;
    startEpoch();
}

void Trainer::restoreState(int epoch, std::vector<EpochMetrics> history, int bestEpoch, std::vector<Matrix> bestWeights)
{
    history_ = std::move(history);
    bestEpoch_ = bestEpoch;
    bestWeights_ = std::move(bestWeights);
    bestValidationAccuracy_ = -1.0;
    bestValidationLoss_ = 0.0;
    for (const EpochMetrics &m : history_)
        if (m.epoch == bestEpoch_) { // the same criterion as finishEpoch()
            bestValidationAccuracy_ = std::isnan(m.validationAccuracy) ? m.trainAccuracy : m.validationAccuracy;
            bestValidationLoss_ = std::isnan(m.validationLoss) ? m.trainLoss : m.validationLoss;
        }
    stoppedEarly_ = config_.patience > 0 && bestEpoch_ > 0 && epoch - bestEpoch_ >= config_.patience;
    for (EpochMetrics &m : history_)
        m.hiddenSpikesPerNeuron = hiddenSpikesPerNeuron(m.meanSilentPerLayer, networkConfig_.layerSizes);
    epoch_ = epoch;
    startEpoch();
}

void Trainer::setLiveConfig(int batchSize, const OptimizerConfig &optimizer)
{
    if (batchSize > 0)
        config_.batchSize = batchSize;
    OptimizerConfig merged = optimizer;
    merged.kind = optimizer_.config().kind; // the optimiser kind is fixed for a run
    config_.optimizer = merged;
    optimizer_.setConfig(scheduled(merged));
}

int Trainer::batchesPerEpoch() const
{
    const long long n = static_cast<long long>(trainIndices_.size());
    return static_cast<int>((n + config_.batchSize - 1) / std::max(1, config_.batchSize));
}

OptimizerConfig Trainer::scheduled(OptimizerConfig optimizer) const
{
    const long long perEpoch = batchesPerEpoch();
    optimizer.totalSteps = perEpoch * config_.epochs;
    optimizer.warmupSteps = static_cast<long long>(std::llround(config_.warmupEpochs * static_cast<double>(perEpoch)));
    return optimizer;
}

void Trainer::startEpoch()
{
    order_ = epochOrder(trainIndices_, config_.seed, epoch_);
    cursor_ = 0;
    epochLoss_ = 0.0;
    epochCorrect_ = 0;
    epochSamples_ = 0;
    epochTrainSeconds_ = 0.0;
    epochStartTime_ = trainerClockSeconds();
}

void Trainer::shiftedImage(const std::uint8_t *src, int position, std::uint8_t *dst) const
{
    shiftImage(src, data_->train.rows, data_->train.cols, config_.augmentShift, config_.seed, epoch_, position, dst);
}

EvalResult Trainer::evaluate(const Dataset &set, int limit)
{
    syncNetwork();
    if (!network_.prepared())
        network_.prepare();
    const int n = limit >= 0 ? std::min(limit, set.size()) : set.size();
    const int threads = pool_->size();
    const int layers = network_.layerCount();
    const int classes = network_.config().outputSize();
    const double horizon = network_.config().maxSpikeZ();

    pool_->run([&](int t) {
        ThreadState &st = *threads_[t];
        st.eval = EvalResult{};
        st.eval.classes = classes;
        st.eval.confusion.assign(static_cast<std::size_t>(classes) * classes, 0);
        st.eval.loss = 0.0;
        st.decisionTimeSum = 0.0;
        st.decisions = 0;
        st.beforeDecisionSum = 0.0;
        st.silentSum.assign(layers, 0.0);
        st.everFired.assign(layers, {});
        for (int l = 0; l < layers; ++l)
            st.everFired[l].assign(network_.fanOut(l), 0);
        int begin, end;
        chunk(n, threads, t, begin, end);
        for (int i = begin; i < end; ++i) {
            network_.forward(set.image(i), st.pass);
            const int label = set.labels[i];
            st.eval.loss += softmaxCrossEntropy(st.pass.layers.back().spikeZ, label, horizon, st.dLossDz);
            const int predicted = st.pass.predictedClass();
            ++st.eval.samples;
            if (predicted < 0) {
                ++st.eval.noDecision;
            } else {
                st.eval.correct += predicted == label ? 1 : 0;
                ++st.eval.confusion[static_cast<std::size_t>(label) * classes + predicted];
            }
            const double decision = st.pass.decisionZ();
            for (int l = 0; l < layers; ++l) {
                const LayerActivity &a = st.pass.layers[l];
                st.silentSum[l] += a.silentCount();
                for (Eigen::Index j = 0; j < a.spikeZ.size(); ++j)
                    if (!std::isinf(a.spikeZ[j]))
                        st.everFired[l][j] = 1;
            }
            if (std::isfinite(decision)) {
                st.decisionTimeSum += std::log(decision);
                ++st.decisions;
                long long hidden = 0, before = 0;
                for (int l = 0; l + 1 < layers; ++l) {
                    const Vector &z = st.pass.layers[l].spikeZ;
                    hidden += z.size();
                    for (Eigen::Index j = 0; j < z.size(); ++j)
                        before += z[j] < decision ? 1 : 0;
                }
                if (hidden > 0)
                    st.beforeDecisionSum += static_cast<double>(before) / hidden;
            }
        }
    });

    EvalResult r;
    r.classes = classes;
    r.confusion.assign(static_cast<std::size_t>(classes) * classes, 0);
    r.loss = 0.0;
    double decisionSum = 0.0, beforeSum = 0.0;
    int decisions = 0;
    std::vector<double> silent(layers, 0.0);
    std::vector<std::vector<char>> fired(layers);
    for (int l = 0; l < layers; ++l)
        fired[l].assign(network_.fanOut(l), 0);
    for (int t = 0; t < threads; ++t) {
        const ThreadState &st = *threads_[t];
        r.samples += st.eval.samples;
        r.correct += st.eval.correct;
        r.noDecision += st.eval.noDecision;
        r.loss += st.eval.loss;
        for (std::size_t k = 0; k < r.confusion.size(); ++k)
            r.confusion[k] += st.eval.confusion[k];
        decisionSum += st.decisionTimeSum;
        decisions += st.decisions;
        beforeSum += st.beforeDecisionSum;
        for (int l = 0; l < layers; ++l) {
            silent[l] += st.silentSum[l];
            for (std::size_t j = 0; j < fired[l].size(); ++j)
                fired[l][j] |= st.everFired[l][j];
        }
    }
    if (r.samples == 0) {
        r.loss = kNoValue;
        return r;
    }
    r.loss /= r.samples;
    if (decisions > 0) {
        r.meanDecisionTime = decisionSum / decisions;
        if (layers > 1)
            r.hiddenFiredBeforeDecision = beforeSum / decisions;
    }
    for (int l = 0; l < layers; ++l) {
        r.meanSilentPerLayer.push_back(silent[l] / r.samples);
        int never = 0;
        for (char f : fired[l])
            never += f ? 0 : 1;
        r.neverFiredPerLayer.push_back(never);
    }
    return r;
}

EpochMetrics Trainer::finishEpoch()
{
    syncNetwork();
    EpochMetrics m;
    m.epoch = epoch_ + 1;
    m.step = optimizer_.stepCount();
    m.trainSeconds = epochTrainSeconds_;
    m.samplesPerSecond = epochTrainSeconds_ > 0 ? epochSamples_ / epochTrainSeconds_ : 0.0;
    m.learningRate = optimizer_.currentLearningRate();
    if (epochSamples_ > 0) {
        m.trainLoss = epochLoss_ / epochSamples_;
        m.trainAccuracy = static_cast<double>(epochCorrect_) / epochSamples_;
    }
    m.regularization = weightRegularization(std::as_const(network_).allWeights(), network_.config().threshold, config_.weightSumK,
                                            config_.l2, nullptr);
    if (validationSet_.size() > 0) {
        const EvalResult v = evaluate(validationSet_);
        m.validationLoss = v.loss;
        m.validationAccuracy = v.accuracy();
    }
    const EvalResult test = evaluate(data_->test);
    m.testLoss = test.loss;
    m.testAccuracy = test.accuracy();
    m.meanDecisionTime = test.meanDecisionTime;
    m.hiddenFiredBeforeDecision = test.hiddenFiredBeforeDecision;
    m.meanSilentPerLayer = test.meanSilentPerLayer;
    m.neverFiredPerLayer = test.neverFiredPerLayer;
    m.hiddenSpikesPerNeuron = hiddenSpikesPerNeuron(m.meanSilentPerLayer, networkConfig_.layerSizes);
    m.seconds = trainerClockSeconds() - epochStartTime_;

    // Model selection uses the validation part only (never the test set).
    const double selectAcc = std::isnan(m.validationAccuracy) ? m.trainAccuracy : m.validationAccuracy;
    const double selectLoss = std::isnan(m.validationLoss) ? m.trainLoss : m.validationLoss;
    if (selectAcc > bestValidationAccuracy_ || (selectAcc == bestValidationAccuracy_ && selectLoss < bestValidationLoss_)) {
        bestValidationAccuracy_ = selectAcc;
        bestValidationLoss_ = selectLoss;
        bestEpoch_ = m.epoch;
        if (config_.restoreBest)
            bestWeights_ = std::as_const(network_).allWeights();
    }
    if (config_.patience > 0 && m.epoch - bestEpoch_ >= config_.patience)
        stoppedEarly_ = true;
    history_.push_back(m);
    ++epoch_;
    startEpoch();
    return m;
}

std::string Trainer::stopReason() const
{
    if (stoppedEarly_ && bestEpoch_ > 0) {
        char text[200];
        std::snprintf(text, sizeof text,
                      "stopped early after epoch %d: validation accuracy has not improved for %d epochs (best %.2f %% at epoch %d)",
                      epoch_, epoch_ - bestEpoch_, 100.0 * bestValidationAccuracy_, bestEpoch_);
        return text;
    }
    if (epoch_ >= config_.epochs)
        return "finished all " + std::to_string(config_.epochs) + " epochs";
    return {};
}

bool Trainer::finished() const
{
    return stoppedEarly_ || epoch_ >= config_.epochs;
}

void Trainer::finalize()
{
    if (config_.restoreBest && !bestWeights_.empty()) {
        network_.allWeights() = bestWeights_;
        home_ = WeightHome::Network;
    }
}

void Trainer::train(const std::function<bool(const EpochMetrics &)> &onEpoch, const std::atomic<bool> *stop)
{
    while (!finished()) {
        while (!epochComplete()) {
            if (stop && stop->load())
                return;
            trainBatch();
        }
        const EpochMetrics m = finishEpoch();
        if (onEpoch && !onEpoch(m))
            break;
    }
    finalize();
}

double hiddenSpikesPerNeuron(const std::vector<double> &meanSilentPerLayer, const std::vector<int> &layerSizes)
{
    // meanSilentPerLayer[l] belongs to layer l's neurons, layerSizes[l + 1]; the last is the output.
    double neurons = 0.0, silent = 0.0;
    for (std::size_t l = 0; l + 1 < meanSilentPerLayer.size() && l + 2 < layerSizes.size(); ++l) {
        neurons += layerSizes[l + 1];
        silent += meanSilentPerLayer[l];
    }
    return neurons > 0.0 ? 1.0 - silent / neurons : kNoValue;
}

} // namespace firstspike
