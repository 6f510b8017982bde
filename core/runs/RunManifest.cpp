#include "core/runs/RunManifest.h"

#include "core/files/JsonWriter.h"
#include "core/runs/JsonValue.h"
#include "core/training/SettingsLimits.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace firstspike {

std::string runStateName(RunState state)
{
    switch (state) {
    case RunState::Running: return "running";
    case RunState::Complete: return "complete";
    case RunState::Stopped: return "stopped";
    case RunState::Failed: return "failed";
    }
    return "running";
}

bool parseRunState(const std::string &name, RunState &out)
{
    for (RunState s : {RunState::Running, RunState::Complete, RunState::Stopped, RunState::Failed})
        if (runStateName(s) == name) {
            out = s;
            return true;
        }
    return false;
}

std::string currentUtcTime()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string manifestToJson(const RunManifest &m)
{
    JsonWriter j;
    j.beginObject();
    j.key("format").value("firstspike-run");
    j.key("version").value(m.version);
    j.key("id").value(m.id);
    j.key("name").value(m.name);
    j.key("state").value(runStateName(m.state));
    j.key("origin").value(m.origin);
    j.key("sweep").value(m.sweep);
    j.key("sweep_values").beginObject();
    for (const auto &[k, v] : m.sweepValues)
        j.key(k).value(v);
    j.endObject();
    const NetworkConfig &n = m.network;
    const TrainConfig &t = m.training;
    j.key("settings").beginObject();
    j.key("layers").value(layerSizesToString(n.layerSizes));
    j.key("bias").value(n.bias);
    j.key("threshold").value(n.threshold);
    j.key("max_spike_time").value(n.maxSpikeTime);
    j.key("encoding").value(encodingName(n.encoding.kind));
    j.key("latency_scale").value(n.encoding.latencyScale);
    j.key("binarize_threshold").value(n.encoding.binarizeThreshold);
    j.key("binary_late_time").value(n.encoding.binaryLateTime);
    j.key("epochs").value(t.epochs);
    j.key("batch").value(t.batchSize);
    j.key("optimizer").value(optimizerName(t.optimizer.kind));
    j.key("lr").value(t.optimizer.learningRate);
    j.key("schedule").value(scheduleName(t.optimizer.schedule));
    j.key("lr_decay").value(t.optimizer.lrDecay);
    j.key("lr_floor").value(t.optimizer.lrFloor);
    j.key("normalize_gradient").value(t.optimizer.normalizeGradient);
    j.key("beta1").value(t.optimizer.beta1);
    j.key("beta2").value(t.optimizer.beta2);
    j.key("epsilon").value(t.optimizer.epsilon);
    j.key("weight_sum_k").value(t.weightSumK);
    j.key("l2").value(t.l2);
    j.key("init_low").value(t.initLow);
    j.key("init_high").value(t.initHigh);
    j.key("seed").value(std::to_string(t.seed));
    j.key("threads").value(t.threads);
    j.key("validation").value(t.validationFraction);
    j.key("patience").value(t.patience);
    j.key("restore_best").value(t.restoreBest);
    j.key("augment_shift").value(t.augmentShift);
    j.key("warmup_epochs").value(t.warmupEpochs);
    j.key("decision_cost").value(t.decisionTimeCost);
    j.endObject();
    j.key("data").value(m.data);
    j.key("train_limit").value(m.trainLimit);
    j.key("test_limit").value(m.testLimit);
    j.key("command").value(m.command);
    j.key("host").value(m.host);
    j.key("pid").value(m.pid);
    j.key("started").value(m.started);
    j.key("updated").value(m.updated);
    j.key("seconds").value(m.seconds);
    j.key("epochs_completed").value(m.epochs);
    j.key("best_epoch").value(m.bestEpoch);
    j.key("stop_reason").value(m.stopReason);
    j.key("results").beginObject();
    j.key("test_accuracy").value(m.testAccuracy);
    j.key("test_loss").value(m.testLoss);
    j.key("mean_decision_time").value(m.meanDecisionTime);
    j.key("hidden_spikes_per_neuron").value(m.hiddenSpikesPerNeuron);
    j.key("hidden_fired_before_decision").value(m.hiddenFiredBeforeDecision);
    j.endObject();
    j.key("checkpoint").value(m.checkpoint);
    j.key("checkpoint_epoch").value(m.checkpointEpoch);
    j.key("setting_changes").beginArray();
    for (const SettingChange &c : m.settingChanges) {
        j.beginObject();
        j.key("epoch_position").value(c.epochPosition);
        j.key("setting").value(c.setting);
        j.key("from").value(c.from);
        j.key("to").value(c.to);
        j.endObject();
    }
    j.endArray();
    j.endObject();
    return j.str() + "\n";
}

namespace {

// Reads the members of one JSON object, each checked for its type and range; a failure names
// the member's path ("settings.lr").
class Fields {
public:
    Fields(const JsonValue &object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

    const JsonValue &get(const std::string &key) const
    {
        const JsonValue *v = object_.find(key);
        if (!v)
            throw RunFormatError(path(key) + " is missing");
        return *v;
    }
    std::string text(const std::string &key) const
    {
        const JsonValue &v = get(key);
        if (!v.isString())
            throw RunFormatError(path(key) + " is not a string");
        if (v.string().size() > 65536)
            throw RunFormatError(path(key) + " is longer than 65536 bytes");
        return v.string();
    }
    bool flag(const std::string &key) const
    {
        const JsonValue &v = get(key);
        if (!v.isBool())
            throw RunFormatError(path(key) + " is not true or false");
        return v.boolean();
    }
    // A number, or NaN for null when nullable.
    double real(const std::string &key, bool nullable = false) const
    {
        const JsonValue &v = get(key);
        if (nullable && v.isNull())
            return std::numeric_limits<double>::quiet_NaN();
        if (!v.isNumber())
            throw RunFormatError(path(key) + " is not a number");
        return v.number();
    }
    double real(const std::string &key, const SettingRange &range) const
    {
        const double v = real(key);
        if (const std::string p = rangeProblem(range, v); !p.empty())
            throw RunFormatError(path(key) + " = " + formatted(v) + " is outside [" + formatted(range.min) + ", "
                                 + formatted(range.max) + "]");
        return v;
    }
    long long integer(const std::string &key, long long lo, long long hi) const
    {
        const double v = real(key);
        if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
            throw RunFormatError(path(key) + " = " + formatted(v) + " is not an integer in [" + std::to_string(lo) + ", "
                                 + std::to_string(hi) + "]");
        return static_cast<long long>(v);
    }
    std::string path(const std::string &key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

private:
    static std::string formatted(double v)
    {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%g", v);
        return buf;
    }
    const JsonValue &object_;
    std::string prefix_;
};

} // namespace

RunManifest parseManifest(const std::string &text)
{
    JsonValue root;
    try {
        root = JsonValue::parse(text);
    } catch (const JsonError &e) {
        throw RunFormatError(std::string("not valid JSON (") + e.what() + ")");
    }
    if (!root.isObject())
        throw RunFormatError("not a JSON object");
    Fields f(root, "");
    if (f.text("format") != "firstspike-run")
        throw RunFormatError("format is not \"firstspike-run\"");
    RunManifest m;
    m.version = static_cast<int>(f.integer("version", 1, 1000000));
    if (m.version > RunManifest::kFormatVersion)
        throw RunVersionError("format version " + std::to_string(m.version) + " is newer than this program reads ("
                              + std::to_string(RunManifest::kFormatVersion) + "); open it with a newer Firstspike");
    m.id = f.text("id");
    m.name = f.text("name");
    if (!parseRunState(f.text("state"), m.state))
        throw RunFormatError("state '" + f.text("state") + "' is not running, complete, stopped or failed");
    m.origin = f.text("origin");
    m.sweep = f.text("sweep");
    const JsonValue &values = f.get("sweep_values");
    if (!values.isObject())
        throw RunFormatError("sweep_values is not an object");
    for (const auto &[k, v] : values.object()) {
        if (!v.isString())
            throw RunFormatError("sweep_values." + k + " is not a string");
        m.sweepValues.emplace_back(k, v.string());
    }
    const JsonValue &settings = f.get("settings");
    if (!settings.isObject())
        throw RunFormatError("settings is not an object");
    Fields s(settings, "settings");
    NetworkConfig &n = m.network;
    TrainConfig &t = m.training;
    if (!parseLayerSizes(s.text("layers"), n.layerSizes))
        throw RunFormatError("settings.layers '" + s.text("layers") + "' is not like 784-800-10");
    n.bias = s.flag("bias");
    n.threshold = s.real("threshold", limits::kThreshold);
    n.maxSpikeTime = s.real("max_spike_time", limits::kHorizon);
    if (!parseEncoding(s.text("encoding"), n.encoding.kind))
        throw RunFormatError("settings.encoding '" + s.text("encoding") + "' is not latency or binary");
    n.encoding.latencyScale = s.real("latency_scale", limits::kLatencyScale);
    n.encoding.binarizeThreshold = s.real("binarize_threshold", limits::kBinarizeThreshold);
    n.encoding.binaryLateTime = s.real("binary_late_time", limits::kBinaryLateTime);
    t.epochs = static_cast<int>(s.integer("epochs", 0, limits::kMaxEpochs));
    t.batchSize = static_cast<int>(s.integer("batch", 1, limits::kMaxBatchSize));
    if (!parseOptimizer(s.text("optimizer"), t.optimizer.kind))
        throw RunFormatError("settings.optimizer '" + s.text("optimizer") + "' is not adam or sgd");
    t.optimizer.learningRate = s.real("lr", limits::kLearningRate);
    if (!parseSchedule(s.text("schedule"), t.optimizer.schedule))
        throw RunFormatError("settings.schedule '" + s.text("schedule") + "' is not exp-run, exp or cosine");
    t.optimizer.lrDecay = s.real("lr_decay", limits::kLrDecay);
    t.optimizer.lrFloor = s.real("lr_floor", limits::kLrFloor);
    t.optimizer.normalizeGradient = s.flag("normalize_gradient");
    t.optimizer.beta1 = s.real("beta1", limits::kBeta);
    t.optimizer.beta2 = s.real("beta2", limits::kBeta);
    t.optimizer.epsilon = s.real("epsilon", limits::kEpsilon);
    t.weightSumK = s.real("weight_sum_k", limits::kWeightSumK);
    t.l2 = s.real("l2", limits::kL2);
    t.initLow = s.real("init_low", limits::kInitBound);
    t.initHigh = s.real("init_high", limits::kInitBound);
    {
        const JsonValue &seed = s.get("seed");
        std::uint64_t value = 0;
        const std::string &digits = seed.isString() ? seed.string() : std::string();
        const auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || digits[0] == '-' || parsed.ec != std::errc() || parsed.ptr != digits.data() + digits.size())
            throw RunFormatError("settings.seed is not a string holding an integer in [0, 18446744073709551615]");
        t.seed = value;
    }
    t.threads = static_cast<int>(s.integer("threads", 0, limits::kMaxThreads));
    t.validationFraction = s.real("validation", limits::kValidationFraction);
    t.patience = static_cast<int>(s.integer("patience", 0, limits::kMaxPatience));
    t.restoreBest = s.flag("restore_best");
    t.augmentShift = static_cast<int>(s.integer("augment_shift", 0, limits::kMaxAugmentShift));
    t.warmupEpochs = s.real("warmup_epochs", limits::kWarmupEpochs);
    t.decisionTimeCost = s.real("decision_cost", limits::kDecisionTimeCost);
    if (const std::string p = networkConfigProblem(n); !p.empty())
        throw RunFormatError("settings: " + p);
    m.data = f.text("data");
    m.trainLimit = static_cast<int>(f.integer("train_limit", 0, 2000000000));
    m.testLimit = static_cast<int>(f.integer("test_limit", 0, 2000000000));
    m.command = f.text("command");
    m.host = f.text("host");
    m.pid = f.integer("pid", 0, 4194304LL * 1024);
    m.started = f.text("started");
    m.updated = f.text("updated");
    m.seconds = f.real("seconds");
    if (m.seconds < 0)
        throw RunFormatError("seconds is negative");
    m.epochs = static_cast<int>(f.integer("epochs_completed", 0, limits::kMaxEpochs));
    m.bestEpoch = static_cast<int>(f.integer("best_epoch", 0, limits::kMaxEpochs));
    m.stopReason = f.text("stop_reason");
    const JsonValue &results = f.get("results");
    if (!results.isObject())
        throw RunFormatError("results is not an object");
    Fields r(results, "results");
    m.testAccuracy = r.real("test_accuracy", true);
    m.testLoss = r.real("test_loss", true);
    m.meanDecisionTime = r.real("mean_decision_time", true);
    m.hiddenSpikesPerNeuron = r.real("hidden_spikes_per_neuron", true);
    m.hiddenFiredBeforeDecision = r.real("hidden_fired_before_decision", true);
    m.checkpoint = f.text("checkpoint");
    if (!m.checkpoint.empty() && (m.checkpoint.find('/') != std::string::npos || m.checkpoint[0] == '.'))
        throw RunFormatError("checkpoint '" + m.checkpoint + "' is not a plain file name in the run folder");
    m.checkpointEpoch = static_cast<int>(f.integer("checkpoint_epoch", 0, limits::kMaxEpochs));
    // Optional: absent in the manifests of runs whose settings never changed.
    if (const JsonValue *changes = root.find("setting_changes")) {
        if (!changes->isArray())
            throw RunFormatError("setting_changes is not an array");
        if (changes->array().size() > RunManifest::kMaxSettingChanges)
            throw RunFormatError("setting_changes has more than " + std::to_string(RunManifest::kMaxSettingChanges)
                                 + " entries");
        for (std::size_t i = 0; i < changes->array().size(); ++i) {
            const JsonValue &item = changes->array()[i];
            const std::string where = "setting_changes[" + std::to_string(i) + "]";
            if (!item.isObject())
                throw RunFormatError(where + " is not an object");
            Fields c(item, where);
            SettingChange change;
            change.epochPosition = c.real("epoch_position", SettingRange{"epoch_position", 0, double(limits::kMaxEpochs)});
            change.setting = c.text("setting");
            if (change.setting == "lr") {
                change.from = c.real("from", limits::kLearningRate);
                change.to = c.real("to", limits::kLearningRate);
            } else if (change.setting == "batch") {
                change.from = static_cast<double>(c.integer("from", 1, limits::kMaxBatchSize));
                change.to = static_cast<double>(c.integer("to", 1, limits::kMaxBatchSize));
            } else {
                throw RunFormatError(where + ".setting '" + change.setting + "' is not lr or batch");
            }
            m.settingChanges.push_back(change);
        }
    }
    return m;
}

} // namespace firstspike
