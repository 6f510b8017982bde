#include "core/files/DataExport.h"

#include "core/common/MemoryBudget.h"
#include "core/files/JsonWriter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace firstspike {

std::string formatNumber(double v)
{
    if (std::isnan(v))
        return {};
    if (std::isinf(v))
        return v > 0 ? "inf" : "-inf";
    // std::to_chars: the shortest form that reads back exactly, and independent of the C
    // locale (a GUI runs under the user's LC_NUMERIC, where printf may write "0,5").
    char buf[32];
    const auto result = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, result.ptr);
}

namespace {

// Values joined by ';'. (Appended piece by piece: `";" + string` makes GCC 12 warn falsely,
// -Wrestrict, GCC bug 105329.)
std::string joinLayers(const std::vector<double> &values)
{
    std::string s;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0)
            s += ';';
        s += formatNumber(values[i]);
    }
    return s;
}

std::string joinLayers(const std::vector<int> &values)
{
    std::string s;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0)
            s += ';';
        s += std::to_string(values[i]);
    }
    return s;
}

} // namespace

std::string metricsToCsv(const std::vector<EpochMetrics> &history)
{
    std::string out = "epoch,step,seconds,train_seconds,train_samples_per_second,learning_rate,train_loss,"
                      "train_accuracy,regularization,validation_loss,validation_accuracy,test_loss,test_accuracy,"
                      "mean_decision_time,hidden_fired_before_decision,mean_silent_per_layer,never_fired_per_layer,"
                      "hidden_spikes_per_neuron\n";
    for (const EpochMetrics &m : history) {
        out += std::to_string(m.epoch) + ',' + std::to_string(m.step);
        for (double v : {m.seconds, m.trainSeconds, m.samplesPerSecond, m.learningRate, m.trainLoss, m.trainAccuracy,
                         m.regularization, m.validationLoss, m.validationAccuracy, m.testLoss, m.testAccuracy,
                         m.meanDecisionTime, m.hiddenFiredBeforeDecision})
            out += ',' + formatNumber(v);
        // Per-layer lists, ';'-separated inside one field.
        out += ',' + joinLayers(m.meanSilentPerLayer) + ',' + joinLayers(m.neverFiredPerLayer) + ','
               + formatNumber(m.hiddenSpikesPerNeuron) + '\n';
    }
    return out;
}

void writeEpochMetrics(JsonWriter &j, const EpochMetrics &m)
{
    j.beginObject();
    j.key("epoch").value(m.epoch);
    j.key("step").value(m.step);
    j.key("seconds").value(m.seconds);
    j.key("train_seconds").value(m.trainSeconds);
    j.key("train_samples_per_second").value(m.samplesPerSecond);
    j.key("learning_rate").value(m.learningRate);
    j.key("train_loss").value(m.trainLoss);
    j.key("train_accuracy").value(m.trainAccuracy);
    j.key("regularization").value(m.regularization);
    j.key("validation_loss").value(m.validationLoss);
    j.key("validation_accuracy").value(m.validationAccuracy);
    j.key("test_loss").value(m.testLoss);
    j.key("test_accuracy").value(m.testAccuracy);
    j.key("mean_decision_time").value(m.meanDecisionTime);
    j.key("hidden_fired_before_decision").value(m.hiddenFiredBeforeDecision);
    j.key("mean_silent_per_layer").array(m.meanSilentPerLayer);
    j.key("never_fired_per_layer").array(m.neverFiredPerLayer);
    j.key("hidden_spikes_per_neuron").value(m.hiddenSpikesPerNeuron);
    j.endObject();
}

std::string metricsToJson(const std::vector<EpochMetrics> &history)
{
    JsonWriter j;
    j.beginArray();
    for (const EpochMetrics &m : history)
        writeEpochMetrics(j, m);
    j.endArray();
    return j.str() + "\n";
}

std::string spikesCsvHeader()
{
    return "sample,layer,neuron,time\n";
}

std::string spikesToCsv(const SampleSpikes &s)
{
    std::string out;
    appendSpikesCsv(out, s);
    return out;
}

void appendSpikesCsv(std::string &out, const SampleSpikes &s)
{
    const std::string prefix = std::to_string(s.sample) + ',';
    for (Eigen::Index i = 0; i < s.pass.inputZ.size(); ++i)
        out += prefix + "0," + std::to_string(i) + ',' + formatNumber(std::log(s.pass.inputZ[i])) + '\n';
    for (std::size_t l = 0; l < s.pass.layers.size(); ++l) {
        const Vector &z = s.pass.layers[l].spikeZ;
        for (Eigen::Index j = 0; j < z.size(); ++j)
            if (!std::isinf(z[j]))
                out += prefix + std::to_string(l + 1) + ',' + std::to_string(j) + ',' + formatNumber(std::log(z[j])) + '\n';
    }
}

std::string spikesToJson(const std::vector<SampleSpikes> &samples)
{
    JsonWriter j;
    j.beginArray();
    for (const SampleSpikes &s : samples)
        writeSampleSpikes(j, s);
    j.endArray();
    return j.str() + "\n";
}

void writeSampleSpikes(JsonWriter &j, const SampleSpikes &s)
{
    j.beginObject();
    j.key("sample").value(s.sample);
    j.key("label").value(s.label);
    j.key("predicted").value(s.pass.predictedClass());
    j.key("decision_time").value(std::log(s.pass.decisionZ()));
    j.key("layers").beginArray();
    std::vector<double> t(s.pass.inputZ.size());
    for (Eigen::Index i = 0; i < s.pass.inputZ.size(); ++i)
        t[i] = std::log(s.pass.inputZ[i]);
    j.array(t);
    for (const LayerActivity &a : s.pass.layers) {
        t.assign(a.spikeZ.size(), 0.0);
        for (Eigen::Index k = 0; k < a.spikeZ.size(); ++k)
            t[k] = std::log(a.spikeZ[k]); // silent: +inf, written as null
        j.array(t);
    }
    j.endArray();
    j.endObject();
}

namespace {

std::uint64_t digits(std::uint64_t v)
{
    std::uint64_t n = 1;
    for (; v >= 10; v /= 10)
        ++n;
    return n;
}

// formatNumber's longest output: sign, 17 digits, point, exponent ("-1.2345678901234567e-308").
constexpr std::uint64_t kNumberChars = 24;

std::uint64_t neurons(const std::vector<int> &layerSizes)
{
    std::uint64_t n = 0;
    for (int size : layerSizes)
        n = saturatingAdd(n, static_cast<std::uint64_t>(std::max(size, 0)));
    return n;
}

std::uint64_t largestLayer(const std::vector<int> &layerSizes)
{
    int m = 0;
    for (int size : layerSizes)
        m = std::max(m, size);
    return static_cast<std::uint64_t>(m);
}

} // namespace

std::uint64_t spikesCsvBytes(const std::vector<int> &layerSizes, std::uint64_t samples, std::uint64_t sampleEnd)
{
    // "sample,layer,neuron,time\n" per spike.
    const std::uint64_t row = digits(sampleEnd) + digits(layerSizes.size()) + digits(largestLayer(layerSizes))
                              + kNumberChars + 4;
    return saturatingAdd(spikesCsvHeader().size(), saturatingMul(saturatingMul(samples, neurons(layerSizes)), row));
}

std::uint64_t spikesJsonBytes(const std::vector<int> &layerSizes, std::uint64_t samples, std::uint64_t sampleEnd)
{
    // Per sample its keys and numbers (about 100 characters), per layer brackets, per neuron a
    // number or null and a comma.
    const std::uint64_t perSample = saturatingAdd(
        saturatingAdd(100 + digits(sampleEnd) + 2 * kNumberChars, 3 * layerSizes.size()),
        saturatingMul(neurons(layerSizes), kNumberChars + 1));
    return saturatingAdd(3, saturatingMul(samples, perSample));
}

std::uint64_t weightsCsvBytes(const std::vector<Matrix> &weights)
{
    std::uint64_t bytes = 24; // the header
    for (std::size_t l = 0; l < weights.size(); ++l) {
        const Matrix &w = weights[l];
        const std::uint64_t row = digits(l + 1) + digits(static_cast<std::uint64_t>(w.rows()))
                                  + digits(static_cast<std::uint64_t>(w.cols())) + kNumberChars + 4;
        bytes = saturatingAdd(bytes, saturatingMul(saturatingMul(static_cast<std::uint64_t>(w.rows()),
                                                                 static_cast<std::uint64_t>(w.cols())),
                                                   row));
    }
    return bytes;
}

std::string weightsToCsv(const std::vector<Matrix> &weights)
{
    std::string out = "layer,pre,post,weight\n";
    for (std::size_t l = 0; l < weights.size(); ++l) {
        const Matrix &w = weights[l];
        const std::string layer = std::to_string(l + 1) + ',';
        for (Eigen::Index i = 0; i < w.rows(); ++i) {
            const std::string pre = layer + std::to_string(i) + ',';
            for (Eigen::Index j = 0; j < w.cols(); ++j)
                out += pre + std::to_string(j) + ',' + formatNumber(w(i, j)) + '\n';
        }
    }
    return out;
}

} // namespace firstspike
