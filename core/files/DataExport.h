#pragma once
// Text exports for researchers' own scripts (formats in docs/FORMATS.md). Numbers are written
// with 17 significant digits, so reading them back gives the same doubles.

#include "core/model/SpikeNetwork.h"
#include "core/training/TrainConfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace firstspike {

class JsonWriter;

// One row per epoch; the columns are those of EpochMetrics (empty for missing values).
std::string metricsToCsv(const std::vector<EpochMetrics> &history);
std::string metricsToJson(const std::vector<EpochMetrics> &history);
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
void appendSpikesCsv(std::string &out, const SampleSpikes &s); // the same rows, appended
std::string spikesToJson(const std::vector<SampleSpikes> &samples);
// One sample's object of spikesToJson's array, written into an open array: an export of many
// samples streams them one at a time instead of holding every forward pass.
void writeSampleSpikes(JsonWriter &json, const SampleSpikes &s);

// Upper bounds on the bytes of these texts, for a memory check before an export starts
// (MemoryBudget.h): `samples` samples numbered below sampleEnd through a network of layerSizes,
// every neuron counted as firing.
std::uint64_t spikesCsvBytes(const std::vector<int> &layerSizes, std::uint64_t samples, std::uint64_t sampleEnd);
std::uint64_t spikesJsonBytes(const std::vector<int> &layerSizes, std::uint64_t samples, std::uint64_t sampleEnd);
std::uint64_t weightsCsvBytes(const std::vector<Matrix> &weights);

// Weights as CSV rows `layer,pre,post,weight` (layer 1..L; pre = fanIn is the bias input).
std::string weightsToCsv(const std::vector<Matrix> &weights);

// Number formatting used by all exports: shortest round-trip form up to 17 digits; "" for NaN.
std::string formatNumber(double v);

} // namespace firstspike
