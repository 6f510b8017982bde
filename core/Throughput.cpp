#include "Throughput.h"

#include "DenseMlp.h"
#include "EarlyDecision.h"
#include "ThreadPool.h"
#include "Trainer.h"

#include <chrono>
#include <numeric>
#include <utility>
#include <sys/resource.h>

namespace firstspike {

namespace {

double now()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

TrainConfig benchConfig(int threads, int batchSize)
{
    TrainConfig tc;
    tc.threads = threads;
    tc.batchSize = batchSize;
    tc.epochs = 1000;
    tc.validationFraction = 0.0;
    return tc;
}

void trainBatches(Trainer &trainer, int batches)
{
    for (int b = 0; b < batches; ++b) {
        if (trainer.epochComplete())
            trainer.finishEpoch();
        trainer.trainBatch();
    }
}

} // namespace

Throughput measureSnnTraining(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                              int batchSize, int warmupBatches, int batches)
{
    Trainer trainer(net, benchConfig(threads, batchSize), std::move(data));
    trainBatches(trainer, warmupBatches);
    Throughput r;
    const double t0 = now();
    for (int b = 0; b < batches; ++b) {
        if (trainer.epochComplete()) { // epoch-end evaluation is not training: keep it out
            const double pause = now();
            trainer.finishEpoch();
            r.seconds -= now() - pause;
        }
        r.samples += trainer.trainBatch().samples;
    }
    r.seconds += now() - t0;
    return r;
}

Throughput measureSnnInference(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                               int warmupBatches, int samples)
{
    Trainer trainer(net, benchConfig(threads, 10), data);
    trainBatches(trainer, warmupBatches);
    Throughput r;
    const double t0 = now();
    while (r.samples < samples) {
        const int n = std::min(samples - r.samples, data->test.size());
        r.samples += trainer.evaluate(data->test, n).samples;
    }
    r.seconds = now() - t0;
    return r;
}

Throughput measureSnnClassification(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads,
                                    int warmupBatches, int samples)
{
    Trainer trainer(net, benchConfig(threads, 10), data);
    trainBatches(trainer, warmupBatches);
    trainer.network().prepare();
    const SpikeNetwork &snn = std::as_const(trainer).network();
    ThreadPool pool(threads);
    std::vector<EarlyDecisionWorkspace> workspaces(pool.size());
    std::vector<int> correct(pool.size(), 0);
    const int n = data->test.size();
    Throughput r;
    const double t0 = now();
    pool.run([&](int t) {
        for (int i = t; i < samples; i += pool.size()) {
            const int index = i % n;
            const EarlyDecision d = classifyEarly(snn, data->test.image(index), workspaces[t]);
            correct[t] += d.predictedClass == data->test.labels[index] ? 1 : 0;
        }
    });
    r.seconds = now() - t0;
    r.samples = samples;
    return r;
}

Throughput measureMlpTraining(const std::vector<int> &sizes, const DataSplit &data, int threads, int batchSize,
                              int warmupBatches, int batches)
{
    DenseMlp mlp(sizes, threads, 1);
    std::vector<int> order(data.train.size());
    std::iota(order.begin(), order.end(), 0);
    int cursor = 0;
    auto next = [&]() {
        if (cursor + batchSize > static_cast<int>(order.size()))
            cursor = 0;
        const int *p = order.data() + cursor;
        cursor += batchSize;
        return p;
    };
    for (int b = 0; b < warmupBatches; ++b)
        mlp.trainBatch(data.train, next(), batchSize);
    Throughput r;
    const double t0 = now();
    for (int b = 0; b < batches; ++b) {
        mlp.trainBatch(data.train, next(), batchSize);
        r.samples += batchSize;
    }
    r.seconds = now() - t0;
    return r;
}

long long peakResidentBytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<long long>(usage.ru_maxrss) * 1024;
}

} // namespace firstspike
