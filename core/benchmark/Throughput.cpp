#include "core/benchmark/Throughput.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <chrono>
#include <memory>
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

TrainConfig benchConfig(int threads, int batchSize, const Checkpoint *start)
{
    TrainConfig tc = start != nullptr ? start->training : TrainConfig{};
    if (start != nullptr)
        tc.optimizer = SnnBench::continuedOptimizer(*start);
    tc.threads = threads;
    tc.batchSize = batchSize;
    tc.epochs = 1000000;
    tc.validationFraction = 0.0;
    return tc;
}

} // namespace

SnnBench::SnnBench(const NetworkConfig &net, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
                   int warmupBatches, const Checkpoint *start)
    : data_(data)
    , trainer_(start != nullptr ? start->network : net, benchConfig(threads, batchSize, start), data)
    , pool_(threads)
    , workspaces_(static_cast<std::size_t>(pool_.size()))
    , workspaces32_(static_cast<std::size_t>(pool_.size()))
{
    if (start != nullptr)
        restoreTrainer(trainer_, *start);
    for (int b = 0; b < warmupBatches; ++b) {
        if (trainer_.epochComplete())
            trainer_.finishEpoch();
        trainer_.trainBatch();
    }
}

OptimizerConfig SnnBench::continuedOptimizer(const Checkpoint &start)
{
    OptimizerConfig c = start.training.optimizer;
    if (!start.history.empty())
        c.learningRate = start.history.back().learningRate;
    c.schedule = LrSchedule::Exponential;
    c.lrDecay = 0.0;
    c.lrFloor = 0.0;
    return c;
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

namespace {

// Early-exit classification of `samples` test digits (in turn, repeated) by `net`, the pool's
// threads taking runs of 32 digits as they come free (a thread that another process keeps off
// its core holds up only its own run), each with its own workspace.
template <typename Network, typename Workspace>
Throughput classifyDigits(ThreadPool &pool, const Dataset &test, const Network &net,
                          std::vector<Workspace> &workspaces, int samples)
{
    constexpr int kRun = 32;
    std::vector<int> correct(static_cast<std::size_t>(pool.size()), 0); // keeps the results live
    const int n = test.size();
    std::atomic<int> next{0};
    Throughput r;
    const double t0 = now();
    pool.run([&](int t) {
        Workspace &ws = workspaces[static_cast<std::size_t>(t)];
        for (int begin = next.fetch_add(kRun, std::memory_order_relaxed); begin < samples;
             begin = next.fetch_add(kRun, std::memory_order_relaxed)) {
            const int end = std::min(samples, begin + kRun);
            for (int i = begin; i < end; ++i) {
                const int index = i % n;
                const EarlyDecision d = classifyEarly(net, test.image(index), ws);
                correct[static_cast<std::size_t>(t)] += d.predictedClass == test.labels[index] ? 1 : 0;
            }
        }
    });
    r.seconds = now() - t0;
    r.samples = samples;
    return r;
}

} // namespace

const SpikeNetwork &SnnBench::preparedNetwork()
{
    // Read-only access where possible: a write through network() makes the trainer reload its
    // weight panels before its next mini-batch.
    if (!std::as_const(trainer_).network().prepared())
        trainer_.network().prepare();
    return std::as_const(trainer_).network();
}

Throughput SnnBench::classify(int samples)
{
    return classifyDigits(pool_, data_->test, preparedNetwork(), workspaces_, samples);
}

Throughput SnnBench::classifySingle(int samples)
{
    const FloatNetwork single(preparedNetwork());
    return classifyDigits(pool_, data_->test, single, workspaces32_, samples);
}

MlpBench::MlpBench(const std::vector<int> &sizes, std::shared_ptr<const DataSplit> data, int threads, int batchSize,
                   int warmupBatches, const OptimizerConfig &optimizer)
    : data_(std::move(data))
    , mlp_(sizes, threads, 1, optimizer)
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

namespace {

// Work items of the compute probe: 32 independent chains of multiply-adds, nothing read from
// memory. GCC vectorises them into several independent vector chains, so the floating-point
// units stay busy, as in the trainer's kernels (one scalar chain would wait on its own latency
// and leave them idle: on this project's 2-vCPU machine that kind of loop scaled 1.95x while
// this one scaled 1.4-1.8x).
double computeItem(double seed)
{
    double acc[32];
    for (int k = 0; k < 32; ++k)
        acc[k] = seed + k;
    for (int i = 0; i < 1024; ++i)
        for (double &a : acc)
            a = a * 0.9999999 + 1e-7;
    double sum = 0.0;
    for (double a : acc)
        sum += a;
    return sum;
}

// One region of the streaming probe: the arithmetic and memory traffic of an Adam step over
// n weights (double weights and gradients, float moments), 4 MB in all.
struct StreamRegion {
    static constexpr std::size_t n = 1 << 18;
    std::vector<double> w = std::vector<double>(n, 0.5);
    std::vector<float> m = std::vector<float>(n, 0.0f), v = std::vector<float>(n, 0.0f);
    void step()
    {
        double *__restrict wp = w.data();
        float *__restrict mp = m.data();
        float *__restrict vp = v.data();
        for (std::size_t j = 0; j < n; ++j) {
            const double g = 1e-3 * wp[j] + 1e-4;
            const double mj = 0.9 * mp[j] + 0.1 * g;
            const double vj = 0.999 * vp[j] + 0.001 * g * g;
            mp[j] = static_cast<float>(mj);
            vp[j] = static_cast<float>(vj);
            wp[j] -= 1e-6 * static_cast<double>(static_cast<float>(mj) / (std::sqrt(static_cast<float>(vj)) + 1e-8f));
        }
    }
};

} // namespace

MachineProbe probeMachine(int threads)
{
    MachineProbe p;
    if (threads < 2)
        return p;
    ThreadPool pool(threads);
    threads = pool.size();
    std::vector<double> sink(static_cast<std::size_t>(threads), 0.0);

    // Round trip: thread 0 and thread 1 take turns on one cache line (the others idle), for
    // 20000 trips or about 50 ms, whichever ends first (threads that share a core hand over
    // only when the scheduler switches them, a few ms a trip). The line holds nothing else.
    {
        constexpr int kStart = -1, kStop = -2;
        struct alignas(64) Line {
            std::atomic<int> turn{0};
        };
        Line line;
        std::atomic<int> &turn = line.turn;
        int trips = 0;
        double seconds = 0.0;
        pool.runOnEachThread([&](int t) {
            if (t == 0) {
                while (turn.load(std::memory_order_acquire) != kStart) {} // thread 1 is running
                const double t0 = now();
                int done = 0;
                while (done < 20000) {
                    turn.store(2 * done + 1, std::memory_order_release);
                    while (turn.load(std::memory_order_acquire) != 2 * done + 2) {}
                    ++done;
                    if (done % 16 == 0 && now() - t0 > 0.05)
                        break;
                }
                seconds = now() - t0;
                trips = done;
                turn.store(kStop, std::memory_order_release);
            } else if (t == 1) {
                turn.store(kStart, std::memory_order_release);
                for (int seen = kStart;;) {
                    int x;
                    while ((x = turn.load(std::memory_order_acquire)) == seen || x == kStart) {}
                    if (x == kStop)
                        break;
                    turn.store(x + 1, std::memory_order_release);
                    seen = x + 1;
                }
            }
        });
        p.roundTripNs = trips > 0 ? seconds / trips * 1e9 : 0.0;
    }

    // Compute: the same items on one thread, then shared out one at a time over all.
    {
        const int items = 1500 * threads;
        double t0 = now();
        for (int i = 0; i < items; ++i)
            sink[0] += computeItem(i);
        const double one = now() - t0;
        std::atomic<int> next{0};
        t0 = now();
        pool.runOnEachThread([&](int t) {
            for (int i; (i = next.fetch_add(1)) < items;)
                sink[static_cast<std::size_t>(t)] += computeItem(i);
        });
        p.computeScaling = one / (now() - t0);
    }

    // Streaming: one region per thread, updated by its thread, against one thread updating them
    // all in turn; each region is updated once before timing, by its own thread.
    {
        std::vector<std::unique_ptr<StreamRegion>> regions(static_cast<std::size_t>(threads));
        const int steps = 8;
        pool.runOnEachThread([&](int t) { // allocated and first written by its thread
            regions[static_cast<std::size_t>(t)] = std::make_unique<StreamRegion>();
            regions[static_cast<std::size_t>(t)]->step();
        });
        double t0 = now();
        for (int s = 0; s < steps; ++s)
            for (const std::unique_ptr<StreamRegion> &r : regions)
                r->step();
        const double one = now() - t0;
        t0 = now();
        pool.runOnEachThread([&](int t) {
            for (int s = 0; s < steps; ++s)
                regions[static_cast<std::size_t>(t)]->step();
        });
        p.streamScaling = one / (now() - t0);
        for (const std::unique_ptr<StreamRegion> &r : regions)
            sink[0] += r->w[0];
    }
    volatile double keep = std::accumulate(sink.begin(), sink.end(), 0.0);
    (void)keep;
    return p;
}

long long peakResidentBytes()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<long long>(usage.ru_maxrss) * 1024;
}

} // namespace firstspike
