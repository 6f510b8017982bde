// Per-kernel timings: one training mini-batch of the spiking network and of the dense MLP of
// the same shape (the reference limit), and forward passes, at 1 and 2 threads.
//   build/bench/firstspike-bench --benchmark_repetitions=3
// Items per second = samples per second.

#include "core/baseline/DenseMlp.h"
#include "core/model/EarlyDecision.h"
#include "core/data/IdxReader.h"
#include "core/training/Trainer.h"

#include <benchmark/benchmark.h>

#include <memory>
#include <numeric>

using namespace firstspike;

namespace {

std::shared_ptr<const DataSplit> data()
{
    static auto d = std::make_shared<const DataSplit>(loadEmbeddedMnist());
    return d;
}

NetworkConfig architecture(int index)
{
    NetworkConfig net;
    net.layerSizes = index == 0 ? std::vector<int>{784, 800, 10} : std::vector<int>{784, 400, 400, 10};
    return net;
}

void BM_SnnTrainBatch(benchmark::State &state)
{
    TrainConfig tc;
    tc.threads = static_cast<int>(state.range(1));
    tc.epochs = 1000;
    tc.validationFraction = 0.0;
    Trainer trainer(architecture(static_cast<int>(state.range(0))), tc, data());
    for (int b = 0; b < 100; ++b) // warm-up: spike patterns of a network that learnt a little
        trainer.trainBatch();
    for (auto _ : state) {
        if (trainer.epochComplete()) {
            state.PauseTiming();
            trainer.finishEpoch();
            state.ResumeTiming();
        }
        benchmark::DoNotOptimize(trainer.trainBatch());
    }
    state.SetItemsProcessed(state.iterations() * tc.batchSize);
}

// A one-thread trainer after 100 mini-batches: spike patterns of a network that learnt a little.
std::unique_ptr<Trainer> warmedUpTrainer(int architectureIndex)
{
    TrainConfig tc;
    tc.threads = 1;
    tc.validationFraction = 0.0;
    auto trainer = std::make_unique<Trainer>(architecture(architectureIndex), tc, data());
    for (int b = 0; b < 100; ++b)
        trainer->trainBatch();
    return trainer;
}

void BM_SnnForward(benchmark::State &state)
{
    const auto trainer = warmedUpTrainer(static_cast<int>(state.range(0)));
    const SpikeNetwork &net = trainer->network();
    ForwardPass pass;
    int i = 0;
    for (auto _ : state) {
        net.forward(data()->test.image(i), pass);
        benchmark::DoNotOptimize(pass.layers.back().spikeZ.data());
        i = (i + 1) % data()->test.size();
    }
    state.SetItemsProcessed(state.iterations());
}

// Early-exit classification (stops at the first output spike) of the test digits in turn by
// `net` (a SpikeNetwork or a FloatNetwork), one thread.
template <typename Network, typename Workspace>
void classifyDigits(benchmark::State &state, const Network &net, Workspace &ws)
{
    int i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(classifyEarly(net, data()->test.image(i), ws).predictedClass);
        i = (i + 1) % data()->test.size();
    }
    state.SetItemsProcessed(state.iterations());
}

// As `firstspike-cli bench`'s classify column.
void BM_SnnClassify(benchmark::State &state)
{
    const auto trainer = warmedUpTrainer(static_cast<int>(state.range(0)));
    EarlyDecisionWorkspace ws;
    classifyDigits(state, trainer->network(), ws);
}

// The same in single precision (FloatNetwork), as its float32 column.
void BM_SnnClassify32(benchmark::State &state)
{
    const auto trainer = warmedUpTrainer(static_cast<int>(state.range(0)));
    const FloatNetwork net(trainer->network());
    EarlyDecisionWorkspace32 ws;
    classifyDigits(state, net, ws);
}

void BM_MlpTrainBatch(benchmark::State &state)
{
    DenseMlp mlp(architecture(static_cast<int>(state.range(0))).layerSizes, static_cast<int>(state.range(1)), 1);
    std::vector<int> order(data()->train.size());
    std::iota(order.begin(), order.end(), 0);
    int cursor = 0;
    for (auto _ : state) {
        if (cursor + 10 > static_cast<int>(order.size()))
            cursor = 0;
        benchmark::DoNotOptimize(mlp.trainBatch(data()->train, order.data() + cursor, 10));
        cursor += 10;
    }
    state.SetItemsProcessed(state.iterations() * 10);
}

} // namespace

// Args: architecture (0: 784-800-10, 1: 784-400-400-10), threads.
BENCHMARK(BM_SnnTrainBatch)->ArgsProduct({{0, 1}, {1, 2}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MlpTrainBatch)->ArgsProduct({{0, 1}, {1, 2}})->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_SnnForward)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SnnClassify)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SnnClassify32)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
