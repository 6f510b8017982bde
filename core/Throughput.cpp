#include "Throughput.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <stdexcept>
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
    tc.epochs = 1000000;
    tc.validationFraction = 0.0;
    return tc;
}

} // namespace

SnnBench::SnnBench(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
                   int warmupBatches)
    : data_(data)
    , trainer_(net, benchConfig(threads, batchSize), data)
    , pool_(threads)
    , workspaces_(static_cast<std::size_t>(pool_.size()))
{
    for (int b = 0; b < warmupBatches; ++b) {
        if (trainer_.epochComplete())
            trainer_.finishEpoch();
        trainer_.trainBatch();
    }
}

Throughput SnnBench::train(int batches)
{
    Throughput r;
    const double t0 = now();
    for (int b = 0; b < batches; ++b) {
        if (trainer_.epochComplete()) { // epoch-end evaluation is not training: keep it out
            const double pause = now();
            trainer_.finishEpoch();
            r.seconds -= now() - pause;
        }
        r.samples += trainer_.trainBatch().samples;
    }
    r.seconds += now() - t0;
    return r;
}

Throughput SnnBench::infer(int samples)
{
    Throughput r;
    const double t0 = now();
    while (r.samples < samples) {
        const int n = std::min(samples - r.samples, data_->test.size());
        r.samples += trainer_.evaluate(data_->test, n).samples;
    }
    r.seconds = now() - t0;
    return r;
}

Throughput SnnBench::classify(int samples)
{
    if (!trainer_.network().prepared())
        trainer_.network().prepare();
    const SpikeNetwork &snn = std::as_const(trainer_).network();
    std::vector<int> correct(static_cast<std::size_t>(pool_.size()), 0);
    const int n = data_->test.size();
    Throughput r;
    const double t0 = now();
    pool_.run([&](int t) {
        for (int i = t; i < samples; i += pool_.size()) {
            const int index = i % n;
            const EarlyDecision d = classifyEarly(snn, data_->test.image(index), workspaces_[static_cast<std::size_t>(t)]);
            correct[static_cast<std::size_t>(t)] += d.predictedClass == data_->test.labels[index] ? 1 : 0;
        }
    });
    r.seconds = now() - t0;
    r.samples = samples;
    return r;
}

MlpBench::MlpBench(const std::vector<int> &sizes, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
                   int warmupBatches)
    : data_(std::move(data))
    , mlp_(sizes, threads, 1)
    , batchSize_(batchSize)
    , order_(static_cast<std::size_t>(data_->train.size()))
{
    if (batchSize_ < 1 || batchSize_ > data_->train.size())
        throw std::invalid_argument("the mini-batch size must be between 1 and the training set's size");
    std::iota(order_.begin(), order_.end(), 0);
    for (int b = 0; b < warmupBatches; ++b)
        mlp_.trainBatch(data_->train, nextBatch(), batchSize_);
}

const int *MlpBench::nextBatch()
{
    if (cursor_ + batchSize_ > static_cast<int>(order_.size()))
        cursor_ = 0;
    const int *p = order_.data() + cursor_;
    cursor_ += batchSize_;
    return p;
}

Throughput MlpBench::train(int batches)
{
    Throughput r;
    const double t0 = now();
    for (int b = 0; b < batches; ++b) {
        mlp_.trainBatch(data_->train, nextBatch(), batchSize_);
        r.samples += batchSize_;
    }
    r.seconds = now() - t0;
    return r;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0.0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

long long peakResidentBytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<long long>(usage.ru_maxrss) * 1024;
}

} // namespace firstspike
