// firstspike-cli: headless training, evaluation and inference of temporal-coding SNNs.

#include "core/baseline/MlpRun.h"
#include "core/common/MemoryBudget.h"
#include "core/common/OptionParsing.h"
#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/files/DataExport.h"
#include "core/data/IdxReader.h"
#include "core/files/JsonWriter.h"
#include "core/files/NirEvents.h"
#include "core/files/NirFile.h"
#include "core/benchmark/Throughput.h"
#include "core/parallel/ThreadPool.h"
#include "core/training/SettingsLimits.h"
#include "core/training/Trainer.h"
#include "app/cli/CliRunRecording.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace firstspike;

#ifdef FIRSTSPIKE_CLI_FIGURES
int runFiguresCommand(int argc, char **argv); // cli_figures.cpp (needs Qt Widgets)
#endif
int runDataCommand(int argc, char **argv);    // cli_data.cpp (Qt Core and Network)
int runSweepCommand(int argc, char **argv);   // cli_sweep.cpp

namespace {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;      // without leading dashes
    std::string argument;  // empty for a switch
    std::string help;
};

class Options {
public:
    Options(std::string verb, std::vector<OptionSpec> specs)
        : verb_(std::move(verb)), specs_(std::move(specs))
    {
    }
    void parse(int argc, char **argv, int first)
    {
        for (int i = first; i < argc; ++i) {
            std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                help_ = true;
                continue;
            }
            if (arg.rfind("--", 0) != 0)
                throw UsageError("unexpected argument '" + arg + "' (see firstspike-cli " + verb_ + " --help)");
            std::string name = arg.substr(2), value;
            const auto eq = name.find('=');
            bool hasValue = false;
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
                hasValue = true;
            }
            const OptionSpec *spec = find(name);
            if (!spec)
                throw UsageError("unknown option --" + name + " for '" + verb_ + "' (see firstspike-cli " + verb_ + " --help)");
            if (spec->argument.empty()) {
                if (hasValue)
                    throw UsageError("option --" + name + " takes no value");
                values_[name] = "1";
            } else {
                if (!hasValue) {
                    if (i + 1 >= argc)
                        throw UsageError("option --" + name + " needs a value " + spec->argument);
                    value = argv[++i];
                }
                values_[name] = value;
            }
        }
    }
    bool help() const { return help_; }
    bool has(const std::string &name) const { return values_.count(name) > 0; }
    std::string text(const std::string &name, const std::string &fallback = {}) const
    {
        auto it = values_.find(name);
        return it == values_.end() ? fallback : it->second;
    }
    // Strict, as the GUI parses its options (core/common/OptionParsing.h): the whole text, in
    // range, else OptionError "--name: ..." (exit status 2).
    long long integer(const std::string &name, long long fallback, long long lo, long long hi) const
    {
        return has(name) ? parseIntOption("--" + name, text(name), lo, hi) : fallback;
    }
    double real(const std::string &name, double fallback, double lo, double hi) const
    {
        return has(name) ? parseDoubleOption("--" + name, text(name), lo, hi) : fallback;
    }
    double real(const std::string &name, double fallback, const SettingRange &range) const
    {
        return real(name, fallback, range.min, range.max);
    }
    std::uint64_t seed(const std::string &name, std::uint64_t fallback) const
    {
        return has(name) ? parseUInt64Option("--" + name, text(name)) : fallback;
    }
    void printHelp(const std::string &summary) const
    {
        std::printf("usage: firstspike-cli %s [options]\n%s\n\noptions:\n", verb_.c_str(), summary.c_str());
        for (const OptionSpec &s : specs_) {
            std::string left = "--" + s.name + (s.argument.empty() ? "" : " " + s.argument);
            std::printf("  %-28s %s\n", left.c_str(), s.help.c_str());
        }
        std::printf("  %-28s %s\n", "--help", "show this help");
    }

private:
    const OptionSpec *find(const std::string &name) const
    {
        for (const OptionSpec &s : specs_)
            if (s.name == name)
                return &s;
        return nullptr;
    }
    std::string verb_;
    std::vector<OptionSpec> specs_;
    std::map<std::string, std::string> values_;
    bool help_ = false;
};

std::shared_ptr<const DataSplit> loadData(const Options &o)
{
    if (o.has("data"))
        return std::make_shared<const DataSplit>(loadIdxFolder(o.text("data")));
    return std::make_shared<const DataSplit>(loadEmbeddedMnist());
}

// Every file the CLI writes goes through writeFileAtomically: a link, a folder, a device or a
// FIFO at the path is refused (FileError naming the path), never written through.
void writeTextFile(const std::string &path, const std::string &text)
{
    writeFileAtomically(path, text);
}

// Refused up front: a file the run would write at the end is not a regular file (a link, a
// folder, a device), so that hours of training are not lost to a typo in --save.
void checkOutput(const Options &o, const std::string &name)
{
    if (o.has(name))
        checkWritableTarget(o.text(name));
}

int threadsFor(int requested)
{
    return requested > 0 ? requested : std::max(1, ThreadPool::hardwareThreads());
}

std::uint64_t dataBytes(const DataSplit &data)
{
    auto bytes = [](const Dataset &d) { return saturatingAdd(d.pixels.size(), d.labels.size()); };
    // The trainer carves the validation set out of a copy of the training set.
    return saturatingAdd(saturatingMul(bytes(data.train), 2), bytes(data.test));
}

} // namespace

// Bytes one forward pass of the network holds (ForwardPass and the per-thread scratch of
// SpikeNetwork): per neuron its spike, causal set size, denominator and group (and scratch
// sums), per layer input its order, time and group ends. An upper estimate.
std::uint64_t forwardPassBytes(const std::vector<int> &sizes)
{
    std::uint64_t bytes = 0;
    for (std::size_t l = 1; l < sizes.size(); ++l) {
        bytes = saturatingAdd(bytes, saturatingMul(static_cast<std::uint64_t>(sizes[l]), 64));
        bytes = saturatingAdd(bytes, saturatingMul(static_cast<std::uint64_t>(sizes[l - 1]) + 1, 32));
    }
    return bytes;
}

// Bytes a Trainer of this network holds, for training or evaluation (eval, figures): the
// weights and optimiser state (trainingMemoryBytes), a forward pass per thread, and the
// confusion matrix (outputs x outputs counts) per thread and for the result.
std::uint64_t trainerMemoryBytes(const NetworkConfig &net, int threads)
{
    const std::uint64_t outputs = static_cast<std::uint64_t>(std::max(net.outputSize(), 0));
    const std::uint64_t confusion = saturatingMul(saturatingMul(outputs, outputs), sizeof(int));
    std::uint64_t bytes = trainingMemoryBytes(net.layerSizes, net.bias);
    bytes = saturatingAdd(bytes, saturatingMul(forwardPassBytes(net.layerSizes), 2 * static_cast<std::uint64_t>(threads)));
    return saturatingAdd(bytes, saturatingMul(confusion, static_cast<std::uint64_t>(threads) + 1));
}

namespace {


std::string fmt(const char *format, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}


const std::vector<OptionSpec> kTrainOptions = {
    {"layers", "L", "layer sizes, input first (default 784-800-10)"},
    {"epochs", "N", "maximum number of epochs (default 30)"},
    {"batch", "N", "mini-batch size (default 10)"},
    {"optimizer", "NAME", "adam or sgd (default adam)"},
    {"lr", "X", "learning rate (default 1e-3)"},
    {"schedule", "NAME", "learning-rate schedule: exp-run (lr0*exp(-5*step/steps of the run) + floor), exp (lr0*exp(-decay*step) + floor) or cosine (from lr0 to the floor over the run) (default exp-run)"},
    {"warmup-epochs", "E", "cosine: linear warm-up over E epochs (default 0)"},
    {"lr-decay", "X", "exp schedule: lr = lr0*exp(-X*step) + floor (default 1e-4)"},
    {"lr-floor", "X", "learning-rate floor (default 0)"},
    {"normalize-gradient", "", "divide the gradient by its global L2 norm"},
    {"encoding", "NAME", "latency (t = s*(1-x)) or binary ({0, ln 6}) (default latency)"},
    {"latency-scale", "S", "latency encoding: t of a black pixel (default 3)"},
    {"max-spike-time", "T", "simulation horizon; later spikes count as silent (default 8)"},
    {"no-bias", "", "no bias input"},
    {"weight-sum-k", "K", "weight-sum cost K (default 1)"},
    {"l2", "K2", "L2 cost K2 (default 1e-3)"},
    {"init-low", "A", "initial weights U(A/n, B/n) (default 1)"},
    {"init-high", "B", "(default 5)"},
    {"validation", "F", "fraction of the training set held out for validation (default 0.1)"},
    {"patience", "N", "early stopping after N epochs without validation gain (default 10; 0: off)"},
    {"decision-cost", "G", "decision-time cost G * t of the correct output's spike: earlier decisions, fewer hidden spikes before them (default 0)"},
    {"model", "NAME", "snn (the spiking network) or mlp (the dense ReLU MLP of the same shape, the reference: same data, schedule and selection) (default snn)"},
    {"no-restore-best", "", "keep the last weights instead of the best validation epoch's"},
    {"augment-shift", "N", "random translation of training images by up to N pixels (default 1)"},
    {"seed", "N", "random seed (default 1)"},
    {"threads", "N", "worker threads (default: all cores)"},
    {"data", "DIR", "folder with the four MNIST IDX files (default: embedded 10k digits)"},
    {"save", "CK", "write a checkpoint at the end (atomically)"},
    {"metrics-json", "FILE", "write the metrics history and final results as JSON"},
    {"train-limit", "N", "use only the first N training samples"},
    {"quiet", "", "no progress lines"},
    {"runs-dir", "DIR", "record the run in a folder of DIR (default: $FIRSTSPIKE_RUNS_DIR, else the user's data folder/runs)"},
    {"run-name", "NAME", "the run's name in the run library (default: its settings)"},
    {"run-id", "ID", "the run folder's name (default: date, time and process id); a run of that id already there is replaced (see --skip-if-complete)"},
    {"skip-if-complete", "", "with --run-id: exit at once when that run is already complete (sweeps on a cluster)"},
    {"sweep", "NAME", "the sweep the run belongs to (set by firstspike-cli sweep)"},
    {"sweep-values", "LIST", "the swept settings, name=value;... (set by firstspike-cli sweep)"},
    {"no-record", "", "do not record the run in the runs folder"},
};

// `train --model mlp`: the dense ReLU MLP of the same shape on the same digits, schedule and
// selection (core/baseline/MlpRun.h), for the side-by-side reference.
int trainMlp(const Options &o, const NetworkConfig &net, const TrainConfig &tc, const DataSplit &data, bool quiet)
{
    if (o.has("save"))
        throw UsageError("--save: checkpoints hold spiking networks; the MLP reference is not saved");
    if (!quiet)
        std::printf("firstspike: dense ReLU MLP %s, %s lr %g, batch %d; data %s: %d train, %d test\n",
                    layerSizesToString(net.layerSizes).c_str(), optimizerName(tc.optimizer.kind).c_str(),
                    tc.optimizer.learningRate, tc.batchSize, data.source.c_str(), data.train.size(), data.test.size());
    double totalSeconds = 0;
    const MlpRunResult r = runDenseMlp(data, net.layerSizes, tc, [&](const MlpEpochMetrics &m) {
        totalSeconds += m.seconds;
        if (!quiet) {
            std::printf("epoch %3d  loss %.4f  val %s  test %.2f%%  %.0f samples/s  %.1fs  lr %.2g\n", m.epoch, m.trainLoss,
                        std::isnan(m.validationAccuracy) ? "  n/a " : fmt("%.2f%%", 100 * m.validationAccuracy).c_str(),
                        100 * m.testAccuracy, m.samplesPerSecond, m.seconds, m.learningRate);
            std::fflush(stdout);
        }
        return true;
    });
    if (!quiet)
        std::printf("final (%s epoch %d): test accuracy %.2f%%, %.1f s%s\n",
                    !tc.restoreBest ? "last" : tc.validationFraction > 0.0 ? "best validation" : "best training",
                    tc.restoreBest ? r.bestEpoch : static_cast<int>(r.history.size()), 100 * r.testAccuracy, totalSeconds,
                    r.stoppedEarly ? " (stopped early: no validation gain)" : "");
    if (o.has("metrics-json")) {
        JsonWriter j;
        j.beginObject();
        j.key("model").value("mlp");
        j.key("layers").value(layerSizesToString(net.layerSizes));
        j.key("seed").value(static_cast<unsigned long long>(tc.seed));
        j.key("threads").value(r.threads);
        j.key("data").value(data.source);
        j.key("epochs").value(static_cast<int>(r.history.size()));
        j.key("best_epoch").value(r.bestEpoch);
        j.key("test_accuracy").value(r.testAccuracy);
        j.key("seconds").value(totalSeconds);
        j.key("history").beginArray();
        for (const MlpEpochMetrics &m : r.history) {
            j.beginObject();
            j.key("epoch").value(m.epoch);
            j.key("train_loss").value(m.trainLoss);
            j.key("learning_rate").value(m.learningRate);
            j.key("validation_accuracy").value(m.validationAccuracy);
            j.key("test_accuracy").value(m.testAccuracy);
            j.key("seconds").value(m.seconds);
            j.key("train_seconds").value(m.trainSeconds);
            j.key("train_samples_per_second").value(m.samplesPerSecond);
            j.endObject();
        }
        j.endArray();
        j.endObject();
        writeTextFile(o.text("metrics-json"), j.str() + "\n");
    }
    return 0;
}

// The network and training settings of `train`'s options, in the ranges of SettingsLimits.h
// (what the GUI, sessions and checkpoints accept too); UsageError or OptionError when refused.
void parseTrainSettings(const Options &o, NetworkConfig &net, TrainConfig &tc)
{
    if (o.has("layers"))
        net.layerSizes = parseLayersOption("--layers", o.text("layers"));
    tc.epochs = static_cast<int>(o.integer("epochs", tc.epochs, 1, limits::kMaxEpochs));
    tc.batchSize = static_cast<int>(o.integer("batch", tc.batchSize, 1, limits::kMaxBatchSize));
    if (o.has("optimizer") && !parseOptimizer(o.text("optimizer"), tc.optimizer.kind))
        throw UsageError("--optimizer: '" + o.text("optimizer") + "' is not adam or sgd");
    tc.optimizer.learningRate = o.real("lr", tc.optimizer.learningRate, limits::kLearningRate);
    if (o.has("schedule") && !parseSchedule(o.text("schedule"), tc.optimizer.schedule))
        throw UsageError("--schedule: '" + o.text("schedule") + "' is not exp-run, exp or cosine");
    tc.warmupEpochs = o.real("warmup-epochs", tc.warmupEpochs, limits::kWarmupEpochs);
    tc.decisionTimeCost = o.real("decision-cost", tc.decisionTimeCost, limits::kDecisionTimeCost);
    tc.optimizer.lrDecay = o.real("lr-decay", tc.optimizer.lrDecay, limits::kLrDecay);
    tc.optimizer.lrFloor = o.real("lr-floor", tc.optimizer.lrFloor, limits::kLrFloor);
    tc.optimizer.normalizeGradient = o.has("normalize-gradient");
    if (o.has("encoding") && !parseEncoding(o.text("encoding"), net.encoding.kind))
        throw UsageError("--encoding: '" + o.text("encoding") + "' is not latency or binary");
    net.encoding.latencyScale = o.real("latency-scale", net.encoding.latencyScale, limits::kLatencyScale);
    net.maxSpikeTime = o.real("max-spike-time", net.maxSpikeTime, limits::kHorizon);
    net.bias = !o.has("no-bias");
    tc.weightSumK = o.real("weight-sum-k", tc.weightSumK, limits::kWeightSumK);
    tc.l2 = o.real("l2", tc.l2, limits::kL2);
    tc.initLow = o.real("init-low", tc.initLow, limits::kInitBound);
    tc.initHigh = o.real("init-high", tc.initHigh, limits::kInitBound);
    tc.validationFraction = o.real("validation", tc.validationFraction, limits::kValidationFraction);
    tc.patience = static_cast<int>(o.integer("patience", tc.patience, 0, limits::kMaxPatience));
    tc.restoreBest = !o.has("no-restore-best");
    tc.augmentShift = static_cast<int>(o.integer("augment-shift", tc.augmentShift, 0, limits::kMaxAugmentShift));
    tc.seed = o.seed("seed", 1);
    tc.threads = static_cast<int>(o.integer("threads", 0, 0, limits::kMaxThreads));
    if (const std::string p = networkConfigProblem(net); !p.empty())
        throw UsageError(p);
    if (const std::string p = trainConfigProblem(tc); !p.empty())
        throw UsageError(p);
}

int cmdTrain(int argc, char **argv)
{
    Options o("train", kTrainOptions);
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Train a spike-time network (Mostafa 2018) and report accuracy per epoch.");
        return 0;
    }
    NetworkConfig net;
    TrainConfig tc;
    parseTrainSettings(o, net, tc);
    checkOutput(o, "save");
    checkOutput(o, "metrics-json");
    // The network alone first, so that an absurd --layers is refused before the data loads.
    const std::string trainingWhat = layerSizesToString(net.layerSizes) + ": training";
    requireMemory(trainerMemoryBytes(net, threadsFor(tc.threads)), trainingWhat);
    const bool quiet = o.has("quiet");

    auto data = loadData(o);
    if (o.has("train-limit")) {
        const int limit = static_cast<int>(o.integer("train-limit", 0, 1, data->train.size()));
        auto limited = std::make_shared<DataSplit>(*data);
        std::vector<int> idx(limit);
        for (int i = 0; i < limit; ++i)
            idx[i] = i;
        limited->train = data->train.subset(idx, data->train.name);
        data = limited;
    }
    if (data->train.pixelCount() != net.inputSize())
        throw UsageError("--layers: the input layer has " + std::to_string(net.inputSize()) + " neurons but the images of "
                         + data->source + " have " + std::to_string(data->train.pixelCount()) + " pixels");
    if (data->train.classCount() > net.outputSize())
        throw UsageError("--layers: the output layer has " + std::to_string(net.outputSize()) + " neurons but "
                         + data->source + " has " + std::to_string(data->train.classCount()) + " classes");
    // Before the network is built: a network beyond this machine's memory is refused with the
    // figure, not met by std::bad_alloc halfway through the allocations.
    requireMemory(saturatingAdd(trainerMemoryBytes(net, threadsFor(tc.threads)), dataBytes(*data)),
                  trainingWhat);

    if (o.has("model")) {
        if (o.text("model") == "mlp")
            return trainMlp(o, net, tc, *data, quiet);
        if (o.text("model") != "snn")
            throw UsageError("--model: '" + o.text("model") + "' is not snn or mlp");
    }
    CliRunRecording::Options recordOptions;
    recordOptions.record = !o.has("no-record");
    recordOptions.runsDir = o.text("runs-dir");
    recordOptions.runId = o.text("run-id");
    recordOptions.runName = o.text("run-name");
    recordOptions.sweep = o.text("sweep");
    recordOptions.sweepValues = o.text("sweep-values");
    CliRunRecording::parseSweepValues(recordOptions.sweepValues); // refused before the data is read
    recordOptions.command = CliRunRecording::commandLine(argc, argv);
    if (o.has("skip-if-complete") && CliRunRecording::alreadyComplete(recordOptions)) {
        if (!quiet)
            std::printf("firstspike: run %s is already complete\n", recordOptions.runId.c_str());
        return 0;
    }
    Trainer trainer(net, tc, data);
    std::unique_ptr<RunRecorder> recorder = CliRunRecording::start(recordOptions, net, tc, data->source,
                                                                   o.has("train-limit") ? data->train.size() : 0);
    if (recorder)
        recorder->setBatchesPerEpoch(trainer.batchesPerEpoch());
    if (!quiet)
        std::printf("firstspike: %s, encoding %s, %s lr %g, batch %d, %d threads; data %s: %d train (%d held out for "
                    "validation), %d test\n",
                    layerSizesToString(net.layerSizes).c_str(), encodingName(net.encoding.kind).c_str(),
                    optimizerName(tc.optimizer.kind).c_str(), tc.optimizer.learningRate, tc.batchSize,
                    trainer.threadCount(), data->source.c_str(), data->train.size(),
                    static_cast<int>(trainer.validationIndices().size()), data->test.size());
    double totalSeconds = 0, totalTrainSeconds = 0;
    long long totalSamples = 0;
    auto onEpoch = [&](const EpochMetrics &m) {
        totalSeconds += m.seconds;
        totalTrainSeconds += m.trainSeconds;
        totalSamples += static_cast<long long>(trainer.trainIndices().size());
        if (!quiet) {
            std::printf("epoch %3d  loss %.4f  train %.2f%%  val %s  test %.2f%%  %.0f samples/s  %.1fs  "
                        "decision t %.3f  hidden before %.1f%%  lr %.2g\n",
                        m.epoch, m.trainLoss, 100 * m.trainAccuracy,
                        std::isnan(m.validationAccuracy) ? "  n/a " : fmt("%.2f%%", 100 * m.validationAccuracy).c_str(),
                        100 * m.testAccuracy, m.samplesPerSecond, m.seconds, m.meanDecisionTime,
                        100 * m.hiddenFiredBeforeDecision, m.learningRate);
            std::fflush(stdout);
        }
    };
    // Trainer::train's loop, with the run recorded at every mini-batch and epoch.
    try {
        while (!trainer.finished()) {
            while (!trainer.epochComplete()) {
                const BatchResult b = trainer.trainBatch();
                if (recorder && b.samples > 0)
                    recorder->addBatch(trainer.optimizer().stepCount(),
                                       trainer.epoch() + static_cast<double>(trainer.cursor()) / std::max(1, trainer.epochSize()),
                                       b.loss, static_cast<double>(b.correct) / b.samples);
            }
            const EpochMetrics m = trainer.finishEpoch();
            if (recorder)
                recorder->epochEnded(trainer);
            onEpoch(m);
        }
        trainer.finalize();
        if (recorder)
            recorder->finish(&trainer, RunState::Complete, trainer.stopReason());
    } catch (const std::bad_alloc &) {
        // main() catches it too, so ~RunRecorder would run and record "stopped": record the
        // failure first (the manifest's write needs little memory; if it fails, it stays as it was).
        if (recorder) {
            try {
                recorder->finish(nullptr, RunState::Failed, "out of memory");
            } catch (...) {
            }
        }
        throw;
    } catch (const std::exception &e) {
        if (recorder) {
            try {
                recorder->finish(nullptr, RunState::Failed, e.what());
            } catch (const std::exception &) {
                // The training's error is the one to report; the record stays as it was.
            }
        }
        throw;
    }
    const auto &history = trainer.history();
    const EpochMetrics *best = nullptr;
    for (const EpochMetrics &m : history)
        if (m.epoch == trainer.bestEpoch())
            best = &m;
    // After finalize() the weights are the best validation epoch's (unless --no-restore-best).
    const EvalResult finalTest = trainer.evaluate(trainer.data().test);
    const EvalResult finalTrain = trainer.evaluate(trainer.data().train);
    if (!quiet)
        std::printf("final (%s epoch %d): test accuracy %.2f%%, train accuracy %.2f%%, %.1f s, %.0f training samples/s\n",
                    tc.restoreBest ? "best validation" : "last", tc.restoreBest && best ? best->epoch : trainer.epoch(),
                    100 * finalTest.accuracy(), 100 * finalTrain.accuracy(), totalSeconds,
                    totalTrainSeconds > 0 ? totalSamples / totalTrainSeconds : 0.0);
    if (!quiet && !trainer.stopReason().empty())
        std::printf("%s\n", trainer.stopReason().c_str());
    if (!quiet && recorder)
        std::printf("recorded in %s\n", recorder->folder().c_str());
    if (o.has("save"))
        saveCheckpoint(makeCheckpoint(trainer), o.text("save"));
    if (o.has("metrics-json")) {
        JsonWriter j;
        j.beginObject();
        j.key("model").value("snn");
        j.key("layers").value(layerSizesToString(net.layerSizes));
        j.key("encoding").value(encodingName(net.encoding.kind));
        j.key("optimizer").value(optimizerName(tc.optimizer.kind));
        j.key("seed").value(static_cast<unsigned long long>(tc.seed));
        j.key("threads").value(trainer.threadCount());
        j.key("data").value(data->source);
        j.key("epochs").value(static_cast<int>(history.size()));
        j.key("best_epoch").value(trainer.bestEpoch());
        j.key("stop_reason").value(trainer.stopReason());
        j.key("schedule").value(scheduleName(tc.optimizer.schedule));
        j.key("test_accuracy").value(finalTest.accuracy());
        j.key("mean_decision_time").value(finalTest.meanDecisionTime);
        j.key("hidden_spikes_per_neuron").value(hiddenSpikesPerNeuron(finalTest.meanSilentPerLayer, net.layerSizes));
        j.key("hidden_fired_before_decision").value(finalTest.hiddenFiredBeforeDecision);
        j.key("train_accuracy").value(finalTrain.accuracy());
        j.key("test_loss").value(finalTest.loss);
        j.key("seconds").value(totalSeconds);
        j.key("train_samples_per_second").value(totalTrainSeconds > 0 ? totalSamples / totalTrainSeconds : 0.0);
        j.key("history").beginArray();
        for (const EpochMetrics &m : history)
            writeEpochMetrics(j, m);
        j.endArray();
        j.endObject();
        writeTextFile(o.text("metrics-json"), j.str() + "\n");
    }
    return 0;
}

struct LoadedModel {
    Checkpoint checkpoint;
    std::shared_ptr<const DataSplit> data;
};

// The file the network comes from: --checkpoint CK or --nir FILE (a NIR graph, docs/FORMATS.md).
std::string modelSource(const Options &o)
{
    return o.has("nir") ? o.text("nir") : o.text("checkpoint");
}

// A network read from a NIR file as a checkpoint: its weights and settings, default training
// options, no history.
Checkpoint checkpointFromNir(const std::string &path)
{
    NirNetwork nir = loadNirNetwork(path);
    Checkpoint c;
    c.network = nir.network;
    c.weights = std::move(nir.weights);
    c.dataSource = "embedded";
    return c;
}

Checkpoint loadNetworkFile(const Options &o, const char *verb)
{
    if (o.has("checkpoint") && o.has("nir"))
        throw UsageError(std::string("--checkpoint and --nir exclude each other (see firstspike-cli ") + verb + " --help)");
    if (o.has("nir"))
        return checkpointFromNir(o.text("nir"));
    if (!o.has("checkpoint"))
        throw UsageError(std::string("--checkpoint CK (or --nir FILE) is required (see firstspike-cli ") + verb + " --help)");
    return loadCheckpoint(o.text("checkpoint"));
}

// A network from --checkpoint or --nir must take the data's images as its inputs.
void requireInputsMatch(const Options &o, const NetworkConfig &net, const DataSplit &data)
{
    if (data.test.pixelCount() != net.inputSize())
        throw UsageError(modelSource(o) + ": the network expects " + std::to_string(net.inputSize())
                         + " inputs but the images of " + data.source + " have "
                         + std::to_string(data.test.pixelCount()) + " pixels");
}

LoadedModel loadModel(const Options &o, const char *verb)
{
    LoadedModel m;
    m.checkpoint = loadNetworkFile(o, verb);
    m.data = loadData(o);
    requireInputsMatch(o, m.checkpoint.network, *m.data);
    return m;
}

const Dataset &chooseSet(const Options &o, const DataSplit &data)
{
    const std::string set = o.text("set", "test");
    const Dataset *chosen = nullptr;
    if (set == "test")
        chosen = &data.test;
    else if (set == "train")
        chosen = &data.train;
    else
        throw UsageError("--set: '" + set + "' is not test or train");
    if (chosen->size() == 0)
        throw UsageError("--set: the " + set + " set of " + data.source + " has no samples");
    return *chosen;
}

// Bytes a SpikeNetwork built from a checkpoint holds (infer, export): its weights, their
// prepared copy and the checkpoint's, and a forward pass.
std::uint64_t networkMemoryBytes(const NetworkConfig &net)
{
    return saturatingAdd(saturatingMul(weightCount(net.layerSizes, net.bias), 3 * sizeof(double)),
                         saturatingMul(forwardPassBytes(net.layerSizes), 2));
}

std::string modelWhat(const Options &o, const NetworkConfig &net, const char *doing)
{
    return modelSource(o) + " (" + layerSizesToString(net.layerSizes) + "): " + doing;
}

int cmdEval(int argc, char **argv)
{
    Options o("eval", {{"checkpoint", "CK", "checkpoint file (this or --nir is required)"},
                       {"nir", "FILE", "a network in a NIR file (docs/FORMATS.md, \"NIR\") instead of a checkpoint"},
                       {"data", "DIR", "IDX folder (default: embedded 10k digits)"},
                       {"set", "NAME", "test or train (default test)"},
                       {"threads", "N", "worker threads (default: all cores)"},
                       {"float32", "", "also classify in single precision (float32 early exit): accuracy, differing classes"},
                       {"json", "FILE", "also write accuracy and confusion matrix as JSON"}});
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Evaluate a checkpoint: accuracy and confusion matrix (rows: true class, columns: predicted).");
        return 0;
    }
    const int threads = static_cast<int>(o.integer("threads", 0, 0, limits::kMaxThreads));
    checkOutput(o, "json");
    LoadedModel m = loadModel(o, "eval");
    TrainConfig tc = m.checkpoint.training;
    tc.threads = threads;
    tc.validationFraction = 0.0;
    requireMemory(saturatingAdd(trainerMemoryBytes(m.checkpoint.network, threadsFor(threads)), dataBytes(*m.data)),
                  modelWhat(o, m.checkpoint.network, "evaluation"));
    Trainer trainer(m.checkpoint.network, tc, m.data);
    trainer.network().allWeights() = m.checkpoint.weights;
    const Dataset &set = chooseSet(o, *m.data);
    const EvalResult r = trainer.evaluate(set);
    std::printf("%s on %s: accuracy %.2f%% (%d / %d), loss %.4f, no decision %d, mean decision t %.3f\n",
                modelSource(o).c_str(), set.name.c_str(), 100 * r.accuracy(), r.correct, r.samples, r.loss,
                r.noDecision, r.meanDecisionTime);
    std::printf("confusion matrix (rows: true, columns: predicted)\n     ");
    for (int c = 0; c < r.classes; ++c)
        std::printf("%6d", c);
    std::printf("\n");
    for (int t = 0; t < r.classes; ++t) {
        std::printf("%4d ", t);
        for (int c = 0; c < r.classes; ++c)
            std::printf("%6d", r.confusion[static_cast<std::size_t>(t) * r.classes + c]);
        std::printf("\n");
    }
    // Single precision against the exact early exit (the same class and decision time as the
    // evaluation's forward passes), sample by sample.
    struct SingleCheck {
        int correct = 0, differing = 0, firstDiffering = -1;
        double maxRelativeZ = 0.0;
    } single;
    if (o.has("float32")) {
        trainer.network().prepare();
        const SpikeNetwork &net = std::as_const(trainer).network();
        const FloatNetwork net32(net);
        EarlyDecisionWorkspace ws;
        EarlyDecisionWorkspace32 ws32;
        for (int i = 0; i < set.size(); ++i) {
            const EarlyDecision exact = classifyEarly(net, set.image(i), ws);
            const EarlyDecision approx = classifyEarly(net32, set.image(i), ws32);
            single.correct += approx.predictedClass == set.labels[static_cast<std::size_t>(i)] ? 1 : 0;
            if (approx.predictedClass != exact.predictedClass) {
                if (single.differing++ == 0)
                    single.firstDiffering = i;
            } else if (exact.predictedClass >= 0) {
                single.maxRelativeZ =
                    std::max(single.maxRelativeZ, std::abs(approx.decisionZ - exact.decisionZ) / exact.decisionZ);
            }
        }
        std::printf("single precision (float32 early exit): accuracy %.2f%% (%d / %d); class differs from the exact "
                    "one on %d sample(s)%s; decision z within %.1e (relative) where the class agrees\n",
                    100.0 * single.correct / std::max(1, set.size()), single.correct, set.size(), single.differing,
                    single.differing > 0 ? (", the first " + std::to_string(single.firstDiffering)).c_str() : "",
                    single.maxRelativeZ);
    }
    if (o.has("json")) {
        JsonWriter j;
        j.beginObject();
        j.key(o.has("nir") ? "nir" : "checkpoint").value(modelSource(o));
        j.key("set").value(set.name);
        if (o.has("float32")) {
            j.key("float32_accuracy").value(static_cast<double>(single.correct) / std::max(1, set.size()));
            j.key("float32_differing_classes").value(single.differing);
            j.key("float32_max_relative_decision_z_difference").value(single.maxRelativeZ);
        }
        j.key("samples").value(r.samples);
        j.key("accuracy").value(r.accuracy());
        j.key("loss").value(r.loss);
        j.key("no_decision").value(r.noDecision);
        j.key("confusion").beginArray();
        for (int t = 0; t < r.classes; ++t) {
            std::vector<int> row(r.confusion.begin() + t * r.classes, r.confusion.begin() + (t + 1) * r.classes);
            j.array(row);
        }
        j.endArray();
        j.endObject();
        writeTextFile(o.text("json"), j.str() + "\n");
    }
    return 0;
}

int cmdInfer(int argc, char **argv)
{
    Options o("infer", {{"checkpoint", "CK", "checkpoint file (this or --nir is required)"},
                        {"nir", "FILE", "a network in a NIR file instead of a checkpoint"},
                        {"sample", "N", "sample index (default 0)"},
                        {"data", "DIR", "IDX folder (default: embedded 10k digits)"},
                        {"set", "NAME", "test or train (default test)"},
                        {"out", "FILE", "write the JSON here instead of standard output"}});
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Run one sample and print every layer's spike times (t = ln z; null = silent) as JSON.");
        return 0;
    }
    checkOutput(o, "out");
    LoadedModel m = loadModel(o, "infer");
    const Dataset &set = chooseSet(o, *m.data);
    const long long index = o.integer("sample", 0, 0, std::max(0, set.size() - 1));
    requireMemory(networkMemoryBytes(m.checkpoint.network), modelWhat(o, m.checkpoint.network, "inference"));
    SpikeNetwork net(m.checkpoint.network);
    net.allWeights() = m.checkpoint.weights;
    ForwardPass pass;
    net.forward(set.image(static_cast<int>(index)), pass);
    JsonWriter j;
    j.beginObject();
    j.key(o.has("nir") ? "nir" : "checkpoint").value(modelSource(o));
    j.key("set").value(set.name);
    j.key("sample").value(static_cast<int>(index));
    j.key("label").value(static_cast<int>(set.labels[index]));
    j.key("predicted").value(pass.predictedClass());
    j.key("decision_time").value(std::log(pass.decisionZ()));
    j.key("layers").beginArray();
    {
        std::vector<double> t(pass.inputZ.size());
        for (Eigen::Index i = 0; i < pass.inputZ.size(); ++i)
            t[i] = std::log(pass.inputZ[i]);
        j.beginObject().key("name").value("input").key("spike_times").array(t).endObject();
    }
    for (int l = 0; l < net.layerCount(); ++l) {
        const LayerActivity &a = pass.layers[l];
        std::vector<double> t(a.spikeZ.size());
        for (Eigen::Index k = 0; k < a.spikeZ.size(); ++k)
            t[k] = std::log(a.spikeZ[k]); // log(inf) = inf -> null
        j.beginObject();
        j.key("name").value(l + 1 == net.layerCount() ? std::string("output") : "hidden" + std::to_string(l + 1));
        j.key("spike_times").array(t);
        j.key("causal_set_size").array(a.causalSetSize);
        j.key("silent").value(a.silentCount());
        j.endObject();
    }
    j.endArray();
    j.endObject();
    if (o.has("out"))
        writeTextFile(o.text("out"), j.str() + "\n");
    else
        std::printf("%s\n", j.str().c_str());
    return 0;
}

int cmdExport(int argc, char **argv)
{
    Options o("export", {{"checkpoint", "CK", "checkpoint file (this or --nir is required)"},
                         {"nir", "FILE", "a network in a NIR file instead of a checkpoint (not for metrics)"},
                         {"what", "KIND", "metrics, spikes, weights, nir (the network as a NIR graph) or spikes-nir "
                                          "(spike times as NIR event data) (required)"},
                         {"format", "FMT", "csv or json (default csv; weights: csv only; nir, spikes-nir: HDF5)"},
                         {"out", "FILE", "output file (required; written atomically)"},
                         {"sample", "N", "spikes, spikes-nir: the first sample (default 0)"},
                         {"count", "N", "spikes, spikes-nir: this many samples from --sample on (default 1)"},
                         {"all", "", "spikes, spikes-nir: every sample of the set"},
                         {"set", "NAME", "spikes: test or train (default test)"},
                         {"data", "DIR", "IDX folder (default: embedded 10k digits)"}});
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Export a checkpoint's metrics history, spike times or weights for your own scripts\n"
                    "(formats and Python examples in docs/FORMATS.md).");
        return 0;
    }
    if (!(o.has("checkpoint") || o.has("nir")) || !o.has("what") || !o.has("out"))
        throw UsageError("--checkpoint (or --nir), --what and --out are required (see firstspike-cli export --help)");
    const std::string what = o.text("what");
    const bool nirOut = what == "nir" || what == "spikes-nir";
    const std::string format = o.text("format", nirOut ? "hdf5" : "csv");
    if (nirOut ? format != "hdf5" : format != "csv" && format != "json")
        throw UsageError("--format: '" + format + "' is not " + (nirOut ? "hdf5 (NIR files are HDF5)" : "csv or json"));
    if (o.has("all") && o.has("count"))
        throw UsageError("--all and --count exclude each other");
    const std::string out = o.text("out");
    checkWritableTarget(out); // before any work: a link, folder or device there is refused
    if (what == "nir") {
        const Checkpoint c = loadNetworkFile(o, "export");
        saveNirNetwork(out, c.network, c.weights);
        std::printf("%s: %s network as a NIR graph\n", out.c_str(), layerSizesToString(c.network.layerSizes).c_str());
        return 0;
    }
    if (what == "metrics") {
        if (o.has("nir"))
            throw UsageError("--what metrics: a NIR file holds no metrics history; give --checkpoint");
        const Checkpoint c = loadCheckpoint(o.text("checkpoint"));
        writeTextFile(out, format == "csv" ? metricsToCsv(c.history) : metricsToJson(c.history));
        std::printf("%s: %zu epochs\n", out.c_str(), c.history.size());
        return 0;
    }
    if (what == "weights") {
        if (format != "csv")
            throw UsageError("--format: weights are exported as csv");
        const Checkpoint c = loadNetworkFile(o, "export");
        requireMemory(weightsCsvBytes(c.weights), modelSource(o) + " (" + layerSizesToString(c.network.layerSizes)
                                                      + "): the weights as CSV");
        writeTextFile(out, weightsToCsv(c.weights));
        std::printf("%s: %s weights\n", out.c_str(), layerSizesToString(c.network.layerSizes).c_str());
        return 0;
    }
    if (what != "spikes" && what != "spikes-nir")
        throw UsageError("--what: '" + what + "' is not metrics, spikes or weights (CSV/JSON), nor nir or spikes-nir (NIR)");
    LoadedModel m = loadModel(o, "export");
    const Dataset &set = chooseSet(o, *m.data);
    int first = 0, last = 0;
    if (o.has("all")) {
        last = set.size();
    } else {
        first = static_cast<int>(o.integer("sample", 0, 0, std::max(0, set.size() - 1)));
        last = first + static_cast<int>(o.integer("count", 1, 1, set.size() - first));
    }
    if (what == "spikes-nir") {
        const std::uint64_t samples = static_cast<std::uint64_t>(last - first);
        // The forward passes are kept until the file is built.
        requireMemory(saturatingAdd(networkMemoryBytes(m.checkpoint.network),
                                    saturatingAdd(saturatingMul(forwardPassBytes(m.checkpoint.network.layerSizes), samples),
                                                  nirEventMemoryBytes(m.checkpoint.network.layerSizes, samples))),
                      modelWhat(o, m.checkpoint.network, "") + "the spike times of " + std::to_string(samples) +
                          " sample(s) of " + set.name + " as NIR event data");
        SpikeNetwork net(m.checkpoint.network);
        net.allWeights() = m.checkpoint.weights;
        net.prepare();
        std::vector<SampleSpikes> spikes(samples);
        for (int i = first; i < last; ++i) {
            SampleSpikes &s = spikes[static_cast<std::size_t>(i - first)];
            s.sample = i;
            s.label = set.labels[i];
            net.forward(set.image(i), s.pass);
        }
        saveNirEvents(out, m.checkpoint.network, spikes);
        std::printf("%s: spike times of %d sample(s) of %s as NIR event data\n", out.c_str(), last - first, set.name.c_str());
        return 0;
    }
    // The text is held whole until it is written (atomically): counted before anything is
    // allocated, every neuron as firing; the samples stream through one forward pass.
    const std::vector<int> &sizes = m.checkpoint.network.layerSizes;
    const std::uint64_t samples = static_cast<std::uint64_t>(last - first);
    const std::uint64_t textBytes = format == "csv" ? spikesCsvBytes(sizes, samples, static_cast<std::uint64_t>(last))
                                                    : spikesJsonBytes(sizes, samples, static_cast<std::uint64_t>(last));
    requireMemory(saturatingAdd(networkMemoryBytes(m.checkpoint.network), textBytes),
                  modelWhat(o, m.checkpoint.network, "")
                      + "the spike times of " + std::to_string(samples) + " sample(s) of " + set.name + " as "
                      + format);
    SpikeNetwork net(m.checkpoint.network);
    net.allWeights() = m.checkpoint.weights;
    net.prepare();
    std::string text;
    JsonWriter json;
    if (format == "csv") {
        text = spikesCsvHeader();
        text.reserve(textBytes);
    } else {
        json.reserve(textBytes);
        json.beginArray();
    }
    SampleSpikes s;
    for (int i = first; i < last; ++i) {
        s.sample = i;
        s.label = set.labels[i];
        net.forward(set.image(i), s.pass);
        if (format == "csv")
            appendSpikesCsv(text, s);
        else
            writeSampleSpikes(json, s);
    }
    if (format == "json") {
        json.endArray();
        text = json.take();
        text += '\n';
    }
    writeTextFile(out, text);
    std::printf("%s: spike times of %d sample(s) of %s\n", out.c_str(), last - first, set.name.c_str());
    return 0;
}

// firstspike-cli import: a NIR graph into a checkpoint that every verb (and the desktop app) opens.
int cmdImport(int argc, char **argv)
{
    Options o("import", {{"nir", "FILE", "the NIR file (HDF5) to read (required)"},
                         {"out", "CK", "the checkpoint to write (required; written atomically)"}});
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Read a network from a NIR graph (Input -> Affine -> LI -> IF ... -> Output, as `export --what nir`\n"
                    "writes it; docs/FORMATS.md, \"NIR\") and save it as a checkpoint with default training options.");
        return 0;
    }
    if (!o.has("nir") || !o.has("out"))
        throw UsageError("--nir and --out are required (see firstspike-cli import --help)");
    checkWritableTarget(o.text("out"));
    const Checkpoint c = checkpointFromNir(o.text("nir"));
    saveCheckpoint(c, o.text("out"));
    std::printf("%s: %s network from %s\n", o.text("out").c_str(), layerSizesToString(c.network.layerSizes).c_str(),
                o.text("nir").c_str());
    return 0;
}

namespace {

struct Spread {
    double median = 0, low = 0, high = 0;
};

std::string rangeText(const Spread &s)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.2f-%.2f", s.low, s.high);
    return text;
}

Spread spread(const std::vector<double> &v)
{
    Spread s;
    s.median = median(v);
    s.low = v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
    s.high = v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
    return s;
}

} // namespace

int cmdBench(int argc, char **argv)
{
    Options o("bench", {{"layers", "L[,L...]", "architectures (default 784-800-10,784-400-400-10)"},
                        {"checkpoint", "CK", "a trained network instead of --layers (weights, optimiser and its state)"},
                        {"nir", "FILE", "a network in a NIR file instead of --layers (docs/FORMATS.md, \"NIR\")"},
                        {"rounds", "N", "measurement rounds; every configuration once per round (default 5)"},
                        {"batches", "N", "timed mini-batches per configuration and round (default 100)"},
                        {"warmup", "N", "mini-batches trained before timing (default 200)"},
                        {"batch", "N", "mini-batch size (default 10)"},
                        {"threads", "N", "the multi-threaded measurement's thread count (default: all cores)"},
                        {"data", "DIR", "IDX folder (default: embedded 10k digits)"},
                        {"json", "FILE", "write the results as JSON"}});
    o.parse(argc, argv, 2);
    if (o.help()) {
        o.printHelp("Training and inference throughput of the spiking network against a dense Eigen MLP of the same\n"
                    "shape, batch size, optimiser and threading, measured in the same run; 1 and all threads.\n"
                    "The configurations are measured in interleaved rounds; the table shows medians over the\n"
                    "rounds, and each ratio is the median of the per-round ratios (with its range), so that a\n"
                    "shared machine's drift does not land on one side of a comparison. With several threads,\n"
                    "each round also measures the machine: a cache line's round trip between two threads, and\n"
                    "the speed-up of vector arithmetic and of an Adam-like 4 MB stream per thread, which share\n"
                    "no data (what the extra threads give loops like the trainer's at that moment).");
        return 0;
    }
    const int rounds = static_cast<int>(o.integer("rounds", 5, 1, 1000));
    const int batches = static_cast<int>(o.integer("batches", 100, 1, 1000000));
    const int warmup = static_cast<int>(o.integer("warmup", 200, 0, 1000000));
    const int batch = static_cast<int>(o.integer("batch", 10, 1, 100000));
    const int maxThreads = static_cast<int>(o.integer("threads", ThreadPool::hardwareThreads(), 1, limits::kMaxThreads));
    checkOutput(o, "json");
    std::vector<std::vector<int>> archs;
    std::optional<Checkpoint> start; // the trained network measured instead of fresh ones
    if (o.has("checkpoint") || o.has("nir")) {
        if (o.has("layers"))
            throw UsageError(std::string(o.has("nir") ? "--nir" : "--checkpoint")
                             + " and --layers exclude each other (the file's network is measured)");
        start = loadNetworkFile(o, "bench");
        archs.push_back(start->network.layerSizes);
    } else {
        std::string list = o.text("layers", "784-800-10,784-400-400-10");
        std::stringstream ss(list);
        std::string item;
        while (std::getline(ss, item, ',')) {
            archs.push_back(parseLayersOption("--layers", item));
        }
    }
    // Every trainer and MLP below stays alive until the end: all of them must fit at once (the
    // MLP's weights, gradient and moments are counted like the spiking network's).
    std::uint64_t benchBytes = 0;
    for (const auto &sizes : archs) {
        NetworkConfig net;
        net.layerSizes = sizes;
        for (int threads : {1, maxThreads})
            benchBytes = saturatingAdd(benchBytes, saturatingMul(trainerMemoryBytes(net, threads), 2));
    }
    if (start) // held until the trainers are built
        benchBytes = saturatingAdd(benchBytes, saturatingMul(weightCount(start->network.layerSizes, start->network.bias),
                                                             4 * sizeof(double)));
    requireMemory(benchBytes, "bench of " + (start ? modelSource(o) : o.text("layers", "784-800-10,784-400-400-10")));
    auto data = loadData(o);
    if (start)
        requireInputsMatch(o, start->network, *data);
    if (batch > data->train.size())
        throw UsageError("--batch: " + std::to_string(batch) + " is larger than the training set ("
                         + std::to_string(data->train.size()) + " samples)");
    std::vector<int> threadCounts{1};
    if (maxThreads > 1)
        threadCounts.push_back(maxThreads);
    const long long samplesPerRound = std::min<long long>(static_cast<long long>(batches) * batch, 50'000'000);

    JsonWriter j;
    j.beginObject();
    j.key("batch_size").value(batch);
    j.key("rounds").value(rounds);
    j.key("timed_batches_per_round").value(batches);
    j.key("warmup_batches").value(warmup);
    j.key("data").value(data->source);
    if (start)
        j.key(o.has("nir") ? "nir" : "checkpoint").value(modelSource(o));
    j.key("results").beginArray();
    std::printf("medians of %d interleaved rounds (batch %d, %d timed mini-batches per round)\n", rounds, batch, batches);
    // With a trained network, the spiking trainer's optimiser, which the MLP gets too.
    const OptimizerConfig optimizer = start ? SnnBench::continuedOptimizer(*start) : OptimizerConfig{};
    if (start)
        std::printf("the spiking trainer starts from %s (%d epochs trained) at a constant learning rate of %g\n",
                    modelSource(o).c_str(), start->epochsCompleted, optimizer.learningRate);
    std::printf("%-16s %7s %12s %12s %12s %12s %12s %8s %10s %15s %14s\n", "layers", "threads", "snn train/s",
                "forward/s", "classify/s", "float32 cl/s", "mlp train/s", "snn/mlp", "fwd/train", "classify/train",
                "float32/train");
    for (const auto &sizes : archs) {
        NetworkConfig net;
        net.layerSizes = sizes;
        if (data->train.pixelCount() != net.inputSize())
            throw UsageError("--layers: " + layerSizesToString(sizes) + " does not take " + std::to_string(data->train.pixelCount()) + " pixels");
        const std::size_t T = threadCounts.size();
        std::vector<std::unique_ptr<SnnBench>> snn;
        std::vector<std::unique_ptr<MlpBench>> mlp;
        for (int threads : threadCounts) {
            snn.push_back(std::make_unique<SnnBench>(net, data, threads, batch, warmup, start ? &*start : nullptr));
            // The MLP with the spiking trainer's optimiser settings (fresh weights: its speed does
            // not depend on them).
            mlp.push_back(std::make_unique<MlpBench>(sizes, data, threads, batch, warmup, optimizer));
        }
        start.reset(); // the trainers hold their copies
        // Per thread count: per-round speeds and ratios.
        std::vector<std::vector<double>> train(T), infer(T), classify(T), classify32(T), mlpTrain(T), snnOverMlp(T),
            fwdOverTrain(T), classifyOverTrain(T), classify32OverTrain(T), scaling(T);
        std::vector<double> roundTrip, computeScaling, streamScaling; // the machine, once per round
        for (int r = 0; r < rounds; ++r) {
            for (std::size_t t = 0; t < T; ++t) {
                const double tr = snn[t]->train(batches).samplesPerSecond();
                const double ml = mlp[t]->train(batches).samplesPerSecond();
                const double in = snn[t]->infer(static_cast<int>(samplesPerRound * 2)).samplesPerSecond();
                const double cl = snn[t]->classify(static_cast<int>(samplesPerRound * 4)).samplesPerSecond();
                const double c32 = snn[t]->classifySingle(static_cast<int>(samplesPerRound * 4)).samplesPerSecond();
                train[t].push_back(tr);
                mlpTrain[t].push_back(ml);
                infer[t].push_back(in);
                classify[t].push_back(cl);
                classify32[t].push_back(c32);
                snnOverMlp[t].push_back(ml / tr); // SNN time per sample / MLP time per sample
                fwdOverTrain[t].push_back(in / tr);
                classifyOverTrain[t].push_back(cl / tr);
                classify32OverTrain[t].push_back(c32 / tr);
                if (t > 0)
                    scaling[t].push_back(tr / train[0].back());
            }
            if (T > 1) {
                const MachineProbe probe = probeMachine(threadCounts.back());
                roundTrip.push_back(probe.roundTripNs);
                computeScaling.push_back(probe.computeScaling);
                streamScaling.push_back(probe.streamScaling);
            }
        }
        for (std::size_t t = 0; t < T; ++t) {
            const Spread sm = spread(snnOverMlp[t]), sf = spread(fwdOverTrain[t]), sc = spread(classifyOverTrain[t]),
                         s32 = spread(classify32OverTrain[t]);
            std::printf("%-16s %7d %12.0f %12.0f %12.0f %12.0f %12.0f %7.2fx %9.1fx %14.1fx %13.1fx\n",
                        layerSizesToString(sizes).c_str(), threadCounts[t], median(train[t]), median(infer[t]),
                        median(classify[t]), median(classify32[t]), median(mlpTrain[t]), sm.median, sf.median,
                        sc.median, s32.median);
            std::printf("%-16s %7s %12s %12s %12s %12s %12s %8s %10s %15s %14s\n", "", "range", "", "", "", "", "",
                        rangeText(sm).c_str(), rangeText(sf).c_str(), rangeText(sc).c_str(), rangeText(s32).c_str());
            j.beginObject();
            j.key("layers").value(layerSizesToString(sizes));
            j.key("threads").value(threadCounts[t]);
            j.key("snn_train_samples_per_second").value(median(train[t]));
            j.key("snn_inference_samples_per_second").value(median(infer[t]));
            j.key("snn_classify_samples_per_second").value(median(classify[t]));
            j.key("mlp_train_samples_per_second").value(median(mlpTrain[t]));
            j.key("snn_over_mlp_training_time").value(sm.median);
            j.key("inference_over_training_speed").value(sf.median);
            j.key("classify_over_training_speed").value(sc.median);
            j.key("snn_classify_float32_samples_per_second").value(median(classify32[t]));
            j.key("classify_float32_over_training_speed").value(s32.median);
            if (t > 0)
                j.key("snn_training_speedup_over_1_thread").value(median(scaling[t]));
            auto array = [&](const char *name, const std::vector<double> &v) {
                j.key(name).beginArray();
                for (double x : v)
                    j.value(x);
                j.endArray();
            };
            array("rounds_snn_train_samples_per_second", train[t]);
            array("rounds_snn_inference_samples_per_second", infer[t]);
            array("rounds_snn_classify_samples_per_second", classify[t]);
            array("rounds_snn_classify_float32_samples_per_second", classify32[t]);
            array("rounds_mlp_train_samples_per_second", mlpTrain[t]);
            if (t > 0) {
                array("rounds_snn_training_speedup_over_1_thread", scaling[t]);
                j.key("machine_round_trip_ns").value(median(roundTrip));
                j.key("machine_compute_scaling").value(median(computeScaling));
                j.key("machine_stream_scaling").value(median(streamScaling));
                array("rounds_machine_round_trip_ns", roundTrip);
                array("rounds_machine_compute_scaling", computeScaling);
                array("rounds_machine_stream_scaling", streamScaling);
            }
            j.endObject();
            if (t > 0) {
                const Spread ss = spread(scaling[t]);
                std::printf("%-16s scaling 1 -> %d threads: %.2fx (rounds %.2f-%.2f)\n", "", threadCounts[t], ss.median,
                            ss.low, ss.high);
                const Spread rt = spread(roundTrip), cs = spread(computeScaling), st = spread(streamScaling);
                std::printf("%-16s machine in these rounds: core-to-core round trip %.0f ns (%.0f-%.0f); %d threads\n"
                            "%-16s on independent arithmetic %.2fx (%.2f-%.2f), on an Adam-like stream %.2fx (%.2f-%.2f)\n",
                            "", rt.median, rt.low, rt.high, threadCounts[t], "", cs.median, cs.low, cs.high, st.median,
                            st.low, st.high);
            }
        }
        std::fflush(stdout);
    }
    j.endArray();
    const long long peak = peakResidentBytes();
    j.key("peak_resident_bytes").value(peak);
    j.endObject();
    std::printf("peak resident memory of this process (all trainers and MLPs above alive at once): %.1f MB\n", peak / 1e6);
    if (o.has("json"))
        writeTextFile(o.text("json"), j.str() + "\n");
    return 0;
}

// "out of memory while <activity>".
const char *activity(const std::string &verb)
{
    if (verb == "train")
        return "training";
    if (verb == "eval")
        return "evaluating";
    if (verb == "infer")
        return "running the sample";
    if (verb == "export")
        return "exporting";
    if (verb == "import")
        return "importing";
    if (verb == "bench")
        return "benchmarking";
    if (verb == "figures")
        return "rendering the figures";
    if (verb == "data")
        return "handling the data set";
    return "starting";
}

// An exception's message as a user may read it: a library's bare "std::exception" or an empty
// or cut-off text ("...: ") says nothing, so the activity is named instead.
std::string describe(const std::exception &e, const std::string &verb)
{
    const std::string what = e.what() ? e.what() : "";
    const bool empty = what.empty() || what.find("std::") != std::string::npos || what == "(no error occurred)"
                       || (what.size() >= 2 && what.compare(what.size() - 2, 2, ": ") == 0);
    if (!empty)
        return what;
    return std::string("an unexpected error stopped ") + activity(verb);
}

} // namespace

// For cli_sweep.cpp: whether `name` is a train option and whether it takes a value.
bool trainOptionTakesValue(const std::string &name, bool &known)
{
    for (const OptionSpec &s : kTrainOptions)
        if (s.name == name) {
            known = true;
            return !s.argument.empty();
        }
    known = false;
    return false;
}

// For cli_sweep.cpp: why `train` would refuse these arguments (its options and settings), "" when
// it would accept them.
std::string trainArgumentsProblem(const std::vector<std::string> &args)
{
    std::vector<std::string> storage = {"firstspike-cli", "train"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (std::string &a : storage)
        argv.push_back(a.data());
    try {
        Options o("train", kTrainOptions);
        o.parse(static_cast<int>(argv.size()), argv.data(), 2);
        NetworkConfig net;
        TrainConfig tc;
        parseTrainSettings(o, net, tc);
    } catch (const std::exception &e) {
        return e.what();
    }
    return {};
}

namespace {

void printUsage()
{
    std::printf("usage: firstspike-cli <verb> [options]\n\n"
                "verbs:\n"
                "  train   train a network (embedded 10k MNIST digits unless --data DIR)\n"
                "  eval    accuracy and confusion matrix of a checkpoint\n"
                "  infer   spike times of every layer for one sample, as JSON\n"
                "  export  metrics, spike times or weights of a checkpoint as CSV or JSON; the network or\n"
                "          spike times as NIR (HDF5)\n"
                "  import  a network from a NIR file (HDF5) into a checkpoint\n"
                "  bench   training/inference throughput against a dense MLP of the same shape\n"
#ifdef FIRSTSPIKE_CLI_FIGURES
                "  figures every view of the desktop app for a checkpoint as PNG, SVG and PDF (no display needed)\n"
#endif
                "  data    list, verify or download data sets (full MNIST, checksums verified)\n"
                "  sweep   a grid or random search of trainings in parallel processes, recorded as runs\n"
                "\n"
                "firstspike-cli <verb> --help shows the options of a verb.\n");
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        printUsage();
        return 2;
    }
    const std::string verb = argv[1];
    try {
        if (verb == "train")
            return cmdTrain(argc, argv);
        if (verb == "eval")
            return cmdEval(argc, argv);
        if (verb == "infer")
            return cmdInfer(argc, argv);
        if (verb == "bench")
            return cmdBench(argc, argv);
        if (verb == "export")
            return cmdExport(argc, argv);
        if (verb == "import")
            return cmdImport(argc, argv);
#ifdef FIRSTSPIKE_CLI_FIGURES
        if (verb == "figures")
            return runFiguresCommand(argc, argv);
#endif
        if (verb == "data")
            return runDataCommand(argc, argv);
        if (verb == "sweep")
            return runSweepCommand(argc, argv);
        if (verb == "--help" || verb == "-h" || verb == "help") {
            printUsage();
            return 0;
        }
#ifdef FIRSTSPIKE_CLI_FIGURES
        std::fprintf(stderr, "firstspike-cli: unknown verb '%s' (train, eval, infer, export, import, bench, figures, data, sweep)\n",
                     verb.c_str());
#else
        std::fprintf(stderr, "firstspike-cli: unknown verb '%s' (train, eval, infer, export, import, bench, data, sweep)\n", verb.c_str());
#endif
        return 2;
    } catch (const UsageError &e) {
        std::fprintf(stderr, "firstspike-cli %s: %s\n", verb.c_str(), e.what());
        return 2;
    } catch (const OptionError &e) {
        std::fprintf(stderr, "firstspike-cli %s: %s\n", verb.c_str(), e.what());
        return 2;
    } catch (const std::bad_alloc &) {
        // The memory checks above refuse what they can foresee; an allocation that fails anyway
        // may leave a container half-resized (Eigen's resize frees before it allocates, and a
        // thread_local vector is destroyed again at exit: a double free). So: one line, and out
        // without running destructors. Every file is written atomically, so none is half-written.
        std::fprintf(stderr, "firstspike-cli %s: out of memory while %s; try a smaller network, fewer samples or "
                             "fewer threads\n",
                     verb.c_str(), activity(verb));
        std::fflush(stdout);
        std::fflush(stderr);
        std::_Exit(1);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "firstspike-cli %s: %s\n", verb.c_str(), describe(e, verb).c_str());
        return 1;
    } catch (...) {
        std::fprintf(stderr, "firstspike-cli %s: an unknown error stopped %s\n", verb.c_str(), activity(verb));
        return 1;
    }
}
