#pragma once
// A trained network as a NIR graph (Neuromorphic Intermediate Representation, HDF5; the mapping
// and what NIR cannot express are in docs/FORMATS.md, "NIR"):
//
//   input (Input, shape [n0]) -> affine1 (Affine: weight n1 x n0, bias n1) -> li1 (LI: tau 1,
//   r 1, v_leak 0) -> if1 (IF: r 1, v_threshold theta) -> affine2 -> ... -> ifL -> output
//
// Time is in units of the synaptic time constant. A network without bias inputs writes Linear
// nodes instead of Affine. The graph's `metadata` group holds what NIR has no node for: one
// spike per neuron, the input encoding, the horizon, the bias input's timing, the decoding.
//
// Reading treats the file as hostile: it is read whole through SafeFile's InputFile (regular
// files only, at most kMaxNirFileBytes, memory checked) and HDF5 opens that image in memory;
// HDF5's error printing is off; every shape is checked before memory is spent on it; weights
// must be finite. A graph Firstspike cannot run (other node types, a leak, a missing or extra
// edge, shapes that do not chain, thresholds that differ) is refused with one line naming the
// file, the node and the reason. Errors are NirError.

#include "core/model/NetworkConfig.h"
#include "core/model/SpikeNetwork.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

struct NirError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The largest NIR file read (a 784-1000000 network's weights are about 6.3 GB).
constexpr std::uint64_t kMaxNirFileBytes = 8ull << 30;
// The NIR release whose HDF5 layout the files follow (the `version` dataset).
inline constexpr const char *kNirVersion = "1.0.1";

struct NirNetwork {
    NetworkConfig network;
    std::vector<Matrix> weights; // input-major, bias row last (as SpikeNetwork holds them)
    bool firstspikeMetadata = false; // the file carried Firstspike's metadata (else defaults)
};

// The HDF5 file's bytes, and an atomic save of them (throws NirError naming the file).
std::vector<std::uint8_t> nirNetworkBytes(const NetworkConfig &network, const std::vector<Matrix> &weights);
void saveNirNetwork(const std::string &path, const NetworkConfig &network, const std::vector<Matrix> &weights);

// `name` labels the errors (the file's path).
NirNetwork parseNirNetwork(const std::vector<std::uint8_t> &bytes, const std::string &name);
NirNetwork loadNirNetwork(const std::string &path);

} // namespace firstspike
