#pragma once
// Text exports for researchers' own scripts (formats in docs/FORMATS.md). Numbers are written
// with 17 significant digits, so reading them back gives the same doubles.

#include "core/model/SpikeNetwork.h"
#include "core/training/TrainConfig.h"

#include <string>
#include <vector>

namespace firstspike {

// One row per epoch; the columns are those of EpochMetrics (empty for missing values).
std::string metricsToCsv(const std::vector<EpochMetrics> &history);
std::string metricsToJson(const std::vector<EpochMetrics> &history);
class JsonWriter;
void writeEpochMetrics(JsonWriter &json, const EpochMetrics &m); // one epoch as a JSON object

// Spike times of samples: CSV rows `sample,layer,neuron,time` with layer 0 = input,
// 1..L = the weight layers' neurons (L = output), time t = ln z in units of tau; silent
// neurons have no row.
struct SampleSpikes {
    int sample = 0;
    int label = -1;
    ForwardPass pass;
};
std::string spikesCsvHeader();
std::string spikesToCsv(const SampleSpikes &s); // rows only, no header
std::string spikesToJson(const std::vector<SampleSpikes> &samples);

// Weights as CSV rows `layer,pre,post,weight` (layer 1..L; pre = fanIn is the bias input).
std::string weightsToCsv(const std::vector<Matrix> &weights);

// Number formatting used by all exports: shortest round-trip form up to 17 digits; "" for NaN.
std::string formatNumber(double v);

} // namespace firstspike
