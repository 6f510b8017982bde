#include "core/baseline/MlpRun.h"

#include "core/baseline/DenseMlp.h"
#include "core/training/DataOrder.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

namespace firstspike {

namespace {

double seconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

MlpRunResult runDenseMlp(const DataSplit &data, const std::vector<int> &layerSizes, const TrainConfig &config,
                         const std::function<bool(const MlpEpochMetrics &)> &onEpoch)
{
    const ValidationCarve carve = carveValidation(data.train.size(), config.validationFraction, config.seed);
    const Dataset validation = data.train.subset(carve.validation, data.train.name + "/validation");
    const int batchSize = std::max(1, config.batchSize);
    const long long perEpoch = (static_cast<long long>(carve.train.size()) + batchSize - 1) / batchSize;
    OptimizerConfig optimizer = config.optimizer;
    optimizer.totalSteps = perEpoch * config.epochs;
    optimizer.warmupSteps = static_cast<long long>(std::llround(config.warmupEpochs * static_cast<double>(perEpoch)));
    const int threads = config.threads > 0 ? config.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    DenseMlp mlp(layerSizes, threads, config.seed, optimizer);

    // Each mini-batch's (shifted) images in a small data set of their own.
    Dataset batch;
    batch.rows = data.train.rows;
    batch.cols = data.train.cols;
    std::vector<int> batchIndices;
    MlpRunResult result;
    result.threads = threads;
    // Selection as the spiking Trainer's: validation accuracy (training accuracy without a
    // validation set), the lower loss on a tie.
    double bestAccuracy = -std::numeric_limits<double>::infinity();
    double bestLoss = std::numeric_limits<double>::infinity();
    for (int epoch = 0; epoch < config.epochs; ++epoch) {
        const double start = seconds();
        const std::vector<int> order = epochOrder(carve.train, config.seed, epoch);
        double lossSum = 0.0;
        long long samples = 0, correct = 0;
        for (std::size_t at = 0; at < order.size(); at += static_cast<std::size_t>(batchSize)) {
            const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(batchSize), order.size() - at));
            batch.pixels.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(batch.pixelCount()));
            batch.labels.resize(static_cast<std::size_t>(n));
            batchIndices.resize(static_cast<std::size_t>(n));
            for (int k = 0; k < n; ++k) {
                const int position = static_cast<int>(at) + k;
                const int sample = order[static_cast<std::size_t>(position)];
                std::uint8_t *dst = batch.pixels.data() + static_cast<std::size_t>(k) * static_cast<std::size_t>(batch.pixelCount());
                if (config.augmentShift > 0)
                    shiftImage(data.train.image(sample), batch.rows, batch.cols, config.augmentShift, config.seed, epoch, position, dst);
                else
                    std::copy_n(data.train.image(sample), batch.pixelCount(), dst);
                batch.labels[static_cast<std::size_t>(k)] = data.train.labels[static_cast<std::size_t>(sample)];
                batchIndices[static_cast<std::size_t>(k)] = k;
            }
            lossSum += mlp.trainBatch(batch, batchIndices.data(), n, &correct) * n;
            samples += n;
        }
        MlpEpochMetrics m;
        m.epoch = epoch + 1;
        m.trainSeconds = seconds() - start;
        m.samplesPerSecond = m.trainSeconds > 0 ? static_cast<double>(samples) / m.trainSeconds : 0.0;
        m.trainLoss = samples > 0 ? lossSum / static_cast<double>(samples) : kNoValue;
        m.trainAccuracy = samples > 0 ? static_cast<double>(correct) / static_cast<double>(samples) : kNoValue;
        m.learningRate = mlp.learningRate();
        if (validation.size() > 0) {
            const EvalResult v = mlp.evaluate(validation);
            m.validationAccuracy = v.accuracy();
            m.validationLoss = v.loss;
        }
        m.testAccuracy = mlp.evaluate(data.test).accuracy();
        m.seconds = seconds() - start;
        result.history.push_back(m);
        const double select = std::isnan(m.validationAccuracy) ? m.trainAccuracy : m.validationAccuracy;
        const double selectLoss = std::isnan(m.validationAccuracy) ? m.trainLoss : m.validationLoss;
        if (select > bestAccuracy || (select == bestAccuracy && selectLoss < bestLoss)) {
            bestAccuracy = select;
            bestLoss = selectLoss;
            result.bestEpoch = m.epoch;
            result.testAccuracy = m.testAccuracy;
        }
        const bool more = !onEpoch || onEpoch(m);
        if (config.patience > 0 && m.epoch - result.bestEpoch >= config.patience) {
            result.stoppedEarly = true;
            break;
        }
        if (!more)
            break;
    }
    if (!config.restoreBest && !result.history.empty()) // the last weights, as the Trainer keeps them
        result.testAccuracy = result.history.back().testAccuracy;
    return result;
}

} // namespace firstspike
