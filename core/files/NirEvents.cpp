#include "core/files/NirEvents.h"

#include "core/common/MemoryBudget.h"
#include "core/files/NirFile.h"
#include "core/files/NirHdf5.h"
#include "core/files/SafeFile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace firstspike {

using namespace nirhdf5;

namespace {

// Layer k's spike z of one pass: k = 0 the inputs, k >= 1 weight layer k.
const Vector &layerZ(const ForwardPass &pass, int k)
{
    return k == 0 ? pass.inputZ : pass.layers[static_cast<std::size_t>(k - 1)].spikeZ;
}

void writeLayer(hid_t nodes, const std::string &nodeName, int k, int neurons, double horizon,
                const std::vector<SampleSpikes> &samples)
{
    // Each sample's events in time order; the widest sample sets the column count.
    std::vector<std::vector<int>> order(samples.size());
    std::size_t events = 0;
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const Vector &z = layerZ(samples[s].pass, k);
        std::vector<int> &o = order[s];
        for (int i = 0; i < neurons; ++i)
            if (std::isfinite(z[i]))
                o.push_back(i);
        std::stable_sort(o.begin(), o.end(), [&z](int a, int b) { return z[a] < z[b]; });
        events = std::max(events, o.size());
    }
    std::vector<std::int64_t> idx(samples.size() * events, -1);
    std::vector<double> time(samples.size() * events, std::numeric_limits<double>::infinity());
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const Vector &z = layerZ(samples[s].pass, k);
        for (std::size_t e = 0; e < order[s].size(); ++e) {
            idx[s * events + e] = order[s][e];
            time[s * events + e] = std::log(z[order[s][e]]);
        }
    }
    Handle node = createGroup(nodes, nodeName);
    writeStringAttribute(node.id(), "__type__", "NIRNodeData");
    Handle observables = createGroup(node.id(), "observables");
    Handle spikes = createGroup(observables.id(), "spikes");
    writeStringAttribute(spikes.id(), "__type__", "EventData");
    writeInt64Attribute(spikes.id(), "n_neurons", neurons);
    writeDoubleAttribute(spikes.id(), "t_max", horizon);
    const std::vector<hsize_t> dims{samples.size(), events};
    writeInt64s(spikes.id(), "idx", dims, idx.data());
    writeDoubles(spikes.id(), "time", dims, time.data());
}

} // namespace

std::uint64_t nirEventMemoryBytes(const std::vector<int> &layerSizes, std::uint64_t samples)
{
    std::uint64_t neurons = 0;
    for (int n : layerSizes)
        neurons = saturatingAdd(neurons, static_cast<std::uint64_t>(n));
    // idx + time per event, their copies in the HDF5 image, and the order lists.
    return saturatingMul(saturatingMul(neurons, samples), 8 * 5);
}

std::vector<std::uint8_t> nirEventBytes(const NetworkConfig &net, const std::vector<SampleSpikes> &samples)
{
    for (const SampleSpikes &s : samples)
        if (s.pass.inputZ.size() != net.inputSize() || static_cast<int>(s.pass.layers.size()) != net.layerCount())
            throw NirError("NIR spike export: sample " + std::to_string(s.sample) + " does not come from a " +
                           layerSizesToString(net.layerSizes) + " network");
    std::lock_guard lock(libraryMutex());
    silence();
    try {
        Handle file = createMemoryFile();
        writeStringAttribute(file.id(), "__type__", "NIRGraphData");
        writeStringAttribute(file.id(), "time_unit", "tau_syn");
        Handle nodes = createGroup(file.id(), "nodes");
        for (int k = 0; k <= net.layerCount(); ++k)
            writeLayer(nodes.id(), k == 0 ? std::string("input") : "if" + std::to_string(k), k, net.layerSizes[k],
                       net.maxSpikeTime, samples);
        nodes.reset();
        {
            Handle extra = createGroup(file.id(), "firstspike");
            std::vector<std::int64_t> index, label, predicted;
            for (const SampleSpikes &s : samples) {
                index.push_back(s.sample);
                label.push_back(s.label);
                predicted.push_back(s.pass.predictedClass());
            }
            const std::vector<hsize_t> dims{samples.size()};
            writeInt64s(extra.id(), "sample", dims, index.data());
            writeInt64s(extra.id(), "label", dims, label.data());
            writeInt64s(extra.id(), "predicted", dims, predicted.data());
            writeString(extra.id(), "layers", layerSizesToString(net.layerSizes));
        }
        return fileImage(file.id());
    } catch (const ReadError &e) {
        throw NirError(std::string("NIR spike export: ") + e.what());
    }
}

void saveNirEvents(const std::string &path, const NetworkConfig &network, const std::vector<SampleSpikes> &samples)
{
    const std::vector<std::uint8_t> bytes = nirEventBytes(network, samples);
    try {
        writeFileAtomically(path, bytes);
    } catch (const FileError &e) {
        throw NirError(e.what());
    }
}

} // namespace firstspike
