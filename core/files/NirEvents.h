#pragma once
// Recorded spikes as NIR event data (NIRGraphData, HDF5; docs/FORMATS.md, "NIR"): one
// NIRNodeData per spiking node of the network's NIR graph (NirFile.h names them `input`, `if1`
// … `ifL`), each with one EventData observable `spikes`:
//
//   /                          attribute __type__ = "NIRGraphData"
//   /nodes/<node>              attribute __type__ = "NIRNodeData"
//   /nodes/<node>/observables/spikes
//                              attributes __type__ = "EventData", n_neurons (int64), t_max (float64)
//       idx   int64   [samples, events]   neuron index, -1 where a sample has fewer events
//       time  float64 [samples, events]   spike time t = ln z in units of tau_syn, +inf where idx = -1
//
// Events of a sample are sorted by time (ties: lower index first); silent neurons have no event;
// t_max is the network's horizon. `/firstspike` (ignored by NIR readers) holds the samples'
// indices in the data set, labels and predicted classes.

#include "core/files/DataExport.h"
#include "core/model/NetworkConfig.h"

#include <cstdint>
#include <string>
#include <vector>

namespace firstspike {

// The HDF5 bytes, and an atomic save (NirError naming the file on failure). Every sample's pass
// must come from a network of `network`'s layer sizes.
std::vector<std::uint8_t> nirEventBytes(const NetworkConfig &network, const std::vector<SampleSpikes> &samples);
void saveNirEvents(const std::string &path, const NetworkConfig &network, const std::vector<SampleSpikes> &samples);

// Upper bound on the memory the export holds for `samples` samples (every neuron firing).
std::uint64_t nirEventMemoryBytes(const std::vector<int> &layerSizes, std::uint64_t samples);

} // namespace firstspike
