#include "core/files/NirFile.h"

#include "core/common/MemoryBudget.h"
#include "core/files/Checkpoint.h"
#include "core/files/NirHdf5.h"
#include "core/files/SafeFile.h"
#include "core/training/SettingsLimits.h"

#include <cerrno>
#include <csignal>
#include <cmath>
#include <cstring>
#include <chrono>
#include <poll.h>
#include <map>
#include <set>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace firstspike {

using namespace nirhdf5;

namespace {

constexpr const char *kFormatName = "firstspike-nir";
constexpr std::int64_t kFormatVersion = 1;
// Nodes a graph of kMaxLayerEntries layer entries has: Input, Output and 3 per weight layer.
constexpr std::size_t kMaxNodes = 3 * kMaxLayerEntries + 2;

std::string shortest(double v)
{
    std::ostringstream s;
    s.precision(17);
    s << v;
    return s.str();
}

// ---- writing ---------------------------------------------------------------------------

void writeShapeGroup(hid_t parent, const char *group, const char *key, std::int64_t n)
{
    Handle g = createGroup(parent, group);
    writeInt64s(g.id(), key, {1}, &n);
}

void writeMetadata(hid_t graph, const NetworkConfig &net)
{
    Handle m = createGroup(graph, "metadata");
    const hid_t id = m.id();
    writeString(id, "generator", "Firstspike");
    writeString(id, "format", kFormatName);
    writeInt64s(id, "format_version", {}, &kFormatVersion);
    writeString(id, "layers", layerSizesToString(net.layerSizes));
    writeString(id, "time_unit",
                "tau_syn: every time (LI tau, spike times, horizon, latency scale) is in units of the synaptic "
                "time constant");
    const std::int64_t spikes = 1;
    writeInt64s(id, "spikes_per_neuron", {}, &spikes);
    writeString(id, "neuron_model",
                "non-leaky integrate-and-fire, exponentially decaying synaptic current: dI/dt = -I + sum_i w_i "
                "delta(t - t_i), dV/dt = I, V(0) = I(0) = 0; a neuron spikes once, at the first t with V(t) = "
                "threshold, and is silent afterwards (NIR's IF would reset and could spike again)");
    writeString(id, "spike_time_code",
                "z = exp(t); the output spike is z_out = sum_C w_i z_i / (sum_C w_i - threshold) over the causal "
                "set C of inputs that arrived before it (requires sum_C w_i > threshold)");
    writeString(id, "input_encoding", encodingName(net.encoding.kind));
    writeString(id, "input_encoding_formula",
                net.encoding.kind == InputEncoding::LinearLatency
                    ? "x = pixel / 255; one spike per pixel at t = latency_scale * (1 - x)"
                    : "x = pixel / 255; one spike per pixel at t = 0 if x >= binarize_threshold, else at t = binary_late_time");
    writeDoubles(id, "latency_scale", {}, &net.encoding.latencyScale);
    writeDoubles(id, "binarize_threshold", {}, &net.encoding.binarizeThreshold);
    writeDoubles(id, "binary_late_time", {}, &net.encoding.binaryLateTime);
    writeDoubles(id, "horizon", {}, &net.maxSpikeTime);
    writeString(id, "horizon_meaning", "a neuron whose first threshold crossing would come after t = horizon counts as silent");
    writeDoubles(id, "threshold", {}, &net.threshold);
    const std::int64_t bias = net.bias ? 1 : 0;
    writeInt64s(id, "bias", {}, &bias);
    writeString(id, "bias_semantics",
                net.bias ? "Affine bias b_j is the weight of an extra input that spikes once at t = 0 (z = 1): it adds "
                           "b_j exp(-t) to the synaptic current, b_j (1 - exp(-t)) to V. NIR reads an Affine bias as a "
                           "constant input, which would add b_j (1 - exp(-t)) to the current instead."
                         : "no bias inputs (Linear nodes)");
    writeString(id, "decoding",
                "the class is the output neuron that spikes first; on an exact tie the lower index; no output spike: "
                "no decision");
}

// ---- reading ---------------------------------------------------------------------------

struct NodeInfo {
    std::string name, type;
};

[[noreturn]] void refuse(const std::string &file, const std::string &why)
{
    throw NirError(file + ": " + why);
}

std::string nodeLabel(const NodeInfo &n)
{
    return "node '" + n.name + "' (" + n.type + ")";
}

std::string readType(hid_t group, const std::string &file, const std::string &nodeName)
{
    if (!isDataset(group, "type"))
        refuse(file, "node '" + nodeName + "' has no 'type' dataset");
    const std::vector<std::string> t = readStrings(group, "type", 1, 64);
    if (t.size() != 1)
        refuse(file, "node '" + nodeName + "': 'type' is not one string");
    return t[0];
}

// A parameter of n neurons: an array of n numbers or one scalar (broadcast), all finite.
std::vector<double> readParameter(hid_t group, const NodeInfo &node, const std::string &key, std::size_t n,
                                  const std::string &file)
{
    if (!isDataset(group, key))
        refuse(file, nodeLabel(node) + " has no '" + key + "' dataset");
    const std::vector<hsize_t> shape = datasetShape(group, key, 4);
    std::uint64_t count = 1;
    for (hsize_t d : shape)
        count = saturatingMul(count, d);
    if (!(shape.empty() || (shape.size() == 1 && shape[0] == n) || count == 1))
        refuse(file, nodeLabel(node) + ": '" + key + "' has " + std::to_string(count) + " values for " +
                         std::to_string(n) + " neurons");
    std::vector<double> v = readDoubles(group, key, n, file + ": " + nodeLabel(node) + " " + key);
    if (v.size() == 1 && n != 1)
        v.assign(n, v[0]);
    for (std::size_t i = 0; i < v.size(); ++i)
        if (!std::isfinite(v[i]))
            refuse(file, nodeLabel(node) + ": " + key + "[" + std::to_string(i) + "] is " + shortest(v[i]));
    return v;
}

void requireAll(const std::vector<double> &v, double expected, const NodeInfo &node, const std::string &key,
                const std::string &file, const std::string &why)
{
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i] != expected)
            refuse(file, nodeLabel(node) + ": " + key + "[" + std::to_string(i) + "] = " + shortest(v[i]) + "; " + why);
}

std::uint64_t shapeProduct(const std::vector<double> &shape)
{
    std::uint64_t n = 1;
    for (double d : shape) {
        if (!(d >= 1 && d <= kMaxLayerSize) || d != std::floor(d))
            return 0;
        n = saturatingMul(n, static_cast<std::uint64_t>(d));
    }
    return n;
}

std::string unsupportedReason(const std::string &type)
{
    if (type == "CubaLIF" || type == "LIF" || type == "CubaLI")
        return "its membrane leaks (tau_mem); Firstspike's neurons integrate without leak: a layer is Affine (or "
               "Linear) -> LI (the synaptic current, tau = 1) -> IF";
    if (type == "Conv1d" || type == "Conv2d" || type == "SumPool2d" || type == "AvgPool2d" || type == "Flatten")
        return "Firstspike's layers are fully connected (Affine or Linear -> LI -> IF)";
    if (type == "NIRGraph")
        return "nested graphs are not supported";
    return "Firstspike runs only the chain Input -> (Affine or Linear -> LI -> IF) per layer -> Output";
}

double metadataNumber(hid_t meta, const std::string &key, const std::string &file, bool &found)
{
    found = isDataset(meta, key);
    if (!found)
        return 0;
    const std::vector<double> v = readDoubles(meta, key, 1, file + ": metadata " + key);
    if (v.size() != 1 || !std::isfinite(v[0]))
        refuse(file, "metadata '" + key + "' is not one finite number");
    return v[0];
}

NirNetwork parseGraph(hid_t file, const std::string &name)
{
    if (!isDataset(file, "version"))
        refuse(name, "no 'version' dataset: not a NIR file");
    if (!isGroup(file, "node"))
        refuse(name, "no 'node' group: not a NIR file");
    Handle graph = openGroup(file, "node");
    const std::string graphType = readType(graph.id(), name, "node");
    if (graphType != "NIRGraph")
        refuse(name, "the top node is a " + graphType + ", not a NIRGraph");
    if (!isGroup(graph.id(), "nodes") || !isDataset(graph.id(), "edges"))
        refuse(name, "the graph has no 'nodes' group or no 'edges' dataset");
    Handle nodesGroup = openGroup(graph.id(), "nodes");
    const std::vector<std::string> names = linkNames(nodesGroup.id(), kMaxNodes);

    std::map<std::string, NodeInfo> nodes;
    for (const std::string &n : names) {
        if (!isGroup(nodesGroup.id(), n))
            refuse(name, "node '" + n + "' is not a group");
        Handle g = openGroup(nodesGroup.id(), n);
        nodes[n] = NodeInfo{n, readType(g.id(), name, n)};
    }
    for (const auto &[n, info] : nodes) {
        static const std::set<std::string> known{"Input", "Output", "Affine", "Linear", "LI", "IF"};
        if (!known.count(info.type))
            refuse(name, nodeLabel(info) + ": " + unsupportedReason(info.type));
    }

    // Edges: [n, 2] strings.
    const std::vector<hsize_t> edgeShape = datasetShape(graph.id(), "edges", 2);
    if (!(edgeShape.size() == 2 && edgeShape[1] == 2) && !(edgeShape.size() == 1 && edgeShape[0] == 0))
        refuse(name, "'edges' is not a list of [source, target] pairs");
    const std::vector<std::string> flat = readStrings(graph.id(), "edges", 2 * kMaxNodes + 2, 255);
    std::map<std::string, std::string> next, previous;
    for (std::size_t e = 0; e + 1 < flat.size(); e += 2) {
        const std::string &a = flat[e], &b = flat[e + 1];
        const std::string edge = "edge " + std::to_string(e / 2) + " (" + a + " -> " + b + ")";
        if (!nodes.count(a))
            refuse(name, edge + " names node '" + a + "', which does not exist");
        if (!nodes.count(b))
            refuse(name, edge + " names node '" + b + "', which does not exist");
        if (next.count(a))
            refuse(name, nodeLabel(nodes[a]) + " has more than one outgoing edge; Firstspike's networks are one chain");
        if (previous.count(b))
            refuse(name, nodeLabel(nodes[b]) + " has more than one incoming edge; Firstspike's networks are one chain");
        next[a] = b;
        previous[b] = a;
    }

    // The chain from the one Input node.
    std::vector<std::string> inputs;
    for (const auto &[n, info] : nodes)
        if (info.type == "Input")
            inputs.push_back(n);
    if (inputs.size() != 1)
        refuse(name, "the graph has " + std::to_string(inputs.size()) + " Input nodes (Firstspike needs exactly one)");
    std::vector<std::string> chain{inputs[0]};
    std::set<std::string> seen{inputs[0]};
    while (next.count(chain.back())) {
        const std::string &n = next[chain.back()];
        if (seen.count(n))
            refuse(name, "the edges form a cycle through node '" + n + "'");
        seen.insert(n);
        chain.push_back(n);
    }
    if (nodes[chain.back()].type != "Output")
        refuse(name, nodeLabel(nodes[chain.back()]) + " has no outgoing edge (a missing edge: the chain must end in an Output node)");
    for (const auto &[n, info] : nodes)
        if (!seen.count(n))
            refuse(name, nodeLabel(info) + " is not on the chain from the Input node to the Output node (a missing edge?)");
    const std::size_t inner = chain.size() - 2;
    if (inner == 0 || inner % 3 != 0)
        refuse(name, "the chain has " + std::to_string(inner) +
                         " nodes between Input and Output; Firstspike needs Affine (or Linear) -> LI -> IF per layer");

    // Input size.
    NirNetwork result;
    NetworkConfig &net = result.network;
    net.layerSizes.clear();
    {
        const NodeInfo &in = nodes[chain[0]];
        Handle g = openGroup(nodesGroup.id(), in.name);
        if (!isDataset(g.id(), "shape"))
            refuse(name, nodeLabel(in) + " has no 'shape' dataset");
        const std::vector<double> shape = readDoubles(g.id(), "shape", 4, name + ": input shape");
        const std::uint64_t n0 = shapeProduct(shape);
        if (shape.empty() || n0 == 0 || n0 > static_cast<std::uint64_t>(kMaxLayerSize))
            refuse(name, nodeLabel(in) + ": shape is not 1 to " + std::to_string(kMaxLayerSize) + " inputs");
        net.layerSizes.push_back(static_cast<int>(n0));
    }

    // Metadata (Firstspike's own files carry it; other files get the defaults).
    bool hasBiasMeta = false;
    bool metaBias = true;
    double metaThreshold = 0;
    bool hasThresholdMeta = false;
    if (isGroup(graph.id(), "metadata")) {
        Handle meta = openGroup(graph.id(), "metadata");
        if (isDataset(meta.id(), "format")) {
            const std::vector<std::string> f = readStrings(meta.id(), "format", 1, 64);
            result.firstspikeMetadata = f.size() == 1 && f[0] == kFormatName;
        }
        if (result.firstspikeMetadata) {
            bool found = false;
            double v = metadataNumber(meta.id(), "horizon", name, found);
            if (found)
                net.maxSpikeTime = v;
            v = metadataNumber(meta.id(), "latency_scale", name, found);
            if (found)
                net.encoding.latencyScale = v;
            v = metadataNumber(meta.id(), "binarize_threshold", name, found);
            if (found)
                net.encoding.binarizeThreshold = v;
            v = metadataNumber(meta.id(), "binary_late_time", name, found);
            if (found)
                net.encoding.binaryLateTime = v;
            metaThreshold = metadataNumber(meta.id(), "threshold", name, hasThresholdMeta);
            v = metadataNumber(meta.id(), "bias", name, hasBiasMeta);
            if (hasBiasMeta) {
                if (v != 0 && v != 1)
                    refuse(name, "metadata 'bias' is " + shortest(v) + " (0 or 1 expected)");
                metaBias = v == 1;
            }
            if (isDataset(meta.id(), "input_encoding")) {
                const std::vector<std::string> e = readStrings(meta.id(), "input_encoding", 1, 64);
                if (e.size() != 1 || !parseEncoding(e[0], net.encoding.kind))
                    refuse(name, "metadata 'input_encoding' is not latency or binary");
            }
        }
    }

    // Layers: first the shapes and types, then (after the memory check) the numbers.
    const int layers = static_cast<int>(inner / 3);
    if (layers + 1 > kMaxLayerEntries)
        refuse(name, "the graph has " + std::to_string(layers) + " layers (at most " + std::to_string(kMaxLayerEntries - 1) + ")");
    bool anyAffine = false;
    std::uint64_t weightBytes = 0;
    for (int l = 0; l < layers; ++l) {
        const NodeInfo &a = nodes[chain[1 + 3 * l]], &li = nodes[chain[2 + 3 * l]], &fire = nodes[chain[3 + 3 * l]];
        if (a.type != "Affine" && a.type != "Linear")
            refuse(name, nodeLabel(a) + " is where layer " + std::to_string(l + 1) + " needs an Affine or Linear node");
        if (li.type != "LI")
            refuse(name, nodeLabel(li) + " follows " + a.name + " where Firstspike needs LI (the synaptic current)");
        if (fire.type != "IF")
            refuse(name, nodeLabel(fire) + " follows " + li.name + " where Firstspike needs IF (the non-leaky membrane)");
        anyAffine = anyAffine || a.type == "Affine";
        Handle g = openGroup(nodesGroup.id(), a.name);
        if (!isDataset(g.id(), "weight"))
            refuse(name, nodeLabel(a) + " has no 'weight' dataset");
        const std::vector<hsize_t> w = datasetShape(g.id(), "weight", 4);
        if (w.size() != 2)
            refuse(name, nodeLabel(a) + ": weight has " + std::to_string(w.size()) + " dimensions (2 expected: out x in)");
        if (w[1] != static_cast<hsize_t>(net.layerSizes.back()))
            refuse(name, nodeLabel(a) + ": weight is " + std::to_string(w[0]) + " x " + std::to_string(w[1]) + " but its input has " +
                             std::to_string(net.layerSizes.back()) + " neurons");
        if (w[0] < 1 || w[0] > static_cast<hsize_t>(kMaxLayerSize))
            refuse(name, nodeLabel(a) + ": " + std::to_string(w[0]) + " outputs (1 to " + std::to_string(kMaxLayerSize) + " accepted)");
        net.layerSizes.push_back(static_cast<int>(w[0]));
        // The file's array, the matrix and a copy for the caller.
        weightBytes = saturatingAdd(weightBytes, saturatingMul(saturatingMul(w[0] + 1, w[1] + 1), 3 * sizeof(double)));
    }
    if (const std::string problem = layerSizesProblem(net.layerSizes); !problem.empty())
        refuse(name, problem);
    net.bias = hasBiasMeta ? metaBias : anyAffine;
    requireMemory(weightBytes, name + ": the weights of " + layerSizesToString(net.layerSizes));

    double threshold = 0;
    bool thresholdSet = false;
    for (int l = 0; l < layers; ++l) {
        const NodeInfo &a = nodes[chain[1 + 3 * l]], &li = nodes[chain[2 + 3 * l]], &fire = nodes[chain[3 + 3 * l]];
        const int fanIn = net.layerSizes[l], fanOut = net.layerSizes[l + 1];
        Matrix m = Matrix::Zero(fanIn + (net.bias ? 1 : 0), fanOut);
        {
            Handle g = openGroup(nodesGroup.id(), a.name);
            const std::vector<double> w = readDoubles(g.id(), "weight", static_cast<std::uint64_t>(fanIn) * fanOut,
                                                      name + ": " + nodeLabel(a) + " weight");
            for (int j = 0; j < fanOut; ++j)
                for (int i = 0; i < fanIn; ++i) {
                    const double v = w[static_cast<std::size_t>(j) * fanIn + i];
                    if (!std::isfinite(v))
                        refuse(name, nodeLabel(a) + ": weight[" + std::to_string(j) + ", " + std::to_string(i) + "] is " + shortest(v));
                    m(i, j) = v;
                }
            if (a.type == "Affine") {
                const std::vector<double> b = readParameter(g.id(), a, "bias", static_cast<std::size_t>(fanOut), name);
                if (!net.bias) {
                    for (int j = 0; j < fanOut; ++j)
                        if (b[j] != 0)
                            refuse(name, nodeLabel(a) + ": bias[" + std::to_string(j) + "] = " + shortest(b[j]) +
                                             " but the metadata says the network has no bias inputs");
                } else {
                    for (int j = 0; j < fanOut; ++j)
                        m(fanIn, j) = b[j];
                }
            }
        }
        {
            Handle g = openGroup(nodesGroup.id(), li.name);
            const std::size_t n = static_cast<std::size_t>(fanOut);
            requireAll(readParameter(g.id(), li, "tau", n, name), 1.0, li, "tau", name,
                       "Firstspike's synaptic time constant is the time unit (tau = 1)");
            requireAll(readParameter(g.id(), li, "r", n, name), 1.0, li, "r", name,
                       "Firstspike's synapse adds each weight to the current unscaled (r = 1 with tau = 1)");
            requireAll(readParameter(g.id(), li, "v_leak", n, name), 0.0, li, "v_leak", name,
                       "the synaptic current decays to 0 (v_leak = 0)");
        }
        {
            Handle g = openGroup(nodesGroup.id(), fire.name);
            const std::size_t n = static_cast<std::size_t>(fanOut);
            requireAll(readParameter(g.id(), fire, "r", n, name), 1.0, fire, "r", name,
                       "Firstspike's membrane integrates the current unscaled (r = 1)");
            const std::vector<double> theta = readParameter(g.id(), fire, "v_threshold", n, name);
            if (!thresholdSet) {
                threshold = theta[0];
                thresholdSet = true;
            }
            requireAll(theta, threshold, fire, "v_threshold", name,
                       "Firstspike has one threshold for every neuron (" + shortest(threshold) + ")");
            // v_reset matters only after a first spike, which Firstspike never uses; it must be finite.
            if (isDataset(g.id(), "v_reset"))
                readParameter(g.id(), fire, "v_reset", n, name);
        }
        result.weights.push_back(std::move(m));
    }
    if (hasThresholdMeta && metaThreshold != threshold)
        refuse(name, "the IF thresholds (" + shortest(threshold) + ") differ from metadata 'threshold' (" +
                         shortest(metaThreshold) + ")");
    net.threshold = threshold;

    // The Output node's shape, when given, must be the last layer's.
    {
        const NodeInfo &out = nodes[chain.back()];
        Handle g = openGroup(nodesGroup.id(), out.name);
        if (isDataset(g.id(), "shape")) {
            const std::vector<double> shape = readDoubles(g.id(), "shape", 4, name + ": output shape");
            if (shapeProduct(shape) != static_cast<std::uint64_t>(net.outputSize()))
                refuse(name, nodeLabel(out) + ": its shape does not hold the " + std::to_string(net.outputSize()) +
                                 " neurons of the last layer");
        }
    }
    if (const std::string problem = networkConfigProblem(net); !problem.empty())
        refuse(name, problem);
    return result;
}

} // namespace

std::vector<std::uint8_t> nirNetworkBytes(const NetworkConfig &net, const std::vector<Matrix> &weights)
{
    if (static_cast<int>(weights.size()) != net.layerCount())
        throw NirError("NIR export: " + std::to_string(weights.size()) + " weight matrices for " +
                       layerSizesToString(net.layerSizes));
    std::lock_guard lock(libraryMutex());
    silence();
    try {
        Handle file = createMemoryFile();
        writeString(file.id(), "version", kNirVersion);
        Handle graph = createGroup(file.id(), "node");
        writeString(graph.id(), "type", "NIRGraph");
        Handle nodes = createGroup(graph.id(), "nodes");
        std::vector<std::string> edges;
        auto edge = [&](const std::string &a, const std::string &b) {
            edges.push_back(a);
            edges.push_back(b);
        };
        const std::int64_t n0 = net.inputSize();
        {
            Handle g = createGroup(nodes.id(), "input");
            writeString(g.id(), "type", "Input");
            writeInt64s(g.id(), "shape", {1}, &n0);
            writeShapeGroup(g.id(), "input_type", "input", n0);
        }
        std::string previous = "input";
        std::vector<double> buffer;
        for (int l = 0; l < net.layerCount(); ++l) {
            const int fanIn = net.layerSizes[l], fanOut = net.layerSizes[l + 1];
            const Matrix &w = weights[l];
            if (w.rows() != fanIn + (net.bias ? 1 : 0) || w.cols() != fanOut)
                throw NirError("NIR export: layer " + std::to_string(l + 1) + " weights are " + std::to_string(w.rows()) +
                               " x " + std::to_string(w.cols()));
            const std::string k = std::to_string(l + 1);
            const hsize_t out = static_cast<hsize_t>(fanOut), in = static_cast<hsize_t>(fanIn);
            {
                Handle g = createGroup(nodes.id(), "affine" + k);
                writeString(g.id(), "type", net.bias ? "Affine" : "Linear");
                buffer.resize(static_cast<std::size_t>(fanIn) * fanOut);
                for (int j = 0; j < fanOut; ++j)
                    for (int i = 0; i < fanIn; ++i)
                        buffer[static_cast<std::size_t>(j) * fanIn + i] = w(i, j);
                writeDoubles(g.id(), "weight", {out, in}, buffer.data());
                if (net.bias) {
                    buffer.resize(static_cast<std::size_t>(fanOut));
                    for (int j = 0; j < fanOut; ++j)
                        buffer[j] = w(fanIn, j);
                    writeDoubles(g.id(), "bias", {out}, buffer.data());
                }
            }
            const std::vector<double> ones(static_cast<std::size_t>(fanOut), 1.0), zeros(static_cast<std::size_t>(fanOut), 0.0),
                theta(static_cast<std::size_t>(fanOut), net.threshold);
            {
                Handle g = createGroup(nodes.id(), "li" + k);
                writeString(g.id(), "type", "LI");
                writeDoubles(g.id(), "tau", {out}, ones.data());
                writeDoubles(g.id(), "r", {out}, ones.data());
                writeDoubles(g.id(), "v_leak", {out}, zeros.data());
                writeShapeGroup(g.id(), "input_type", "input", fanOut);
                writeShapeGroup(g.id(), "output_type", "output", fanOut);
            }
            {
                Handle g = createGroup(nodes.id(), "if" + k);
                writeString(g.id(), "type", "IF");
                writeDoubles(g.id(), "r", {out}, ones.data());
                writeDoubles(g.id(), "v_threshold", {out}, theta.data());
                writeDoubles(g.id(), "v_reset", {out}, zeros.data());
                writeShapeGroup(g.id(), "input_type", "input", fanOut);
                writeShapeGroup(g.id(), "output_type", "output", fanOut);
            }
            edge(previous, "affine" + k);
            edge("affine" + k, "li" + k);
            edge("li" + k, "if" + k);
            previous = "if" + k;
        }
        const std::int64_t nL = net.outputSize();
        {
            Handle g = createGroup(nodes.id(), "output");
            writeString(g.id(), "type", "Output");
            writeInt64s(g.id(), "shape", {1}, &nL);
            writeShapeGroup(g.id(), "output_type", "output", nL);
        }
        edge(previous, "output");
        writeStrings(graph.id(), "edges", {edges.size() / 2, 2}, edges);
        writeShapeGroup(graph.id(), "input_type", "input", n0);
        writeShapeGroup(graph.id(), "output_type", "output", nL);
        writeMetadata(graph.id(), net);
        nodes.reset();
        graph.reset();
        return fileImage(file.id());
    } catch (const ReadError &e) {
        throw NirError(std::string("NIR export: ") + e.what());
    }
}

void saveNirNetwork(const std::string &path, const NetworkConfig &network, const std::vector<Matrix> &weights)
{
    const std::vector<std::uint8_t> bytes = nirNetworkBytes(network, weights);
    try {
        writeFileAtomically(path, bytes);
    } catch (const FileError &e) {
        throw NirError(e.what());
    }
}

namespace {

// The parse itself, in the calling process.
NirNetwork parseInProcess(const std::vector<std::uint8_t> &bytes, const std::string &name)
{
    silence();
    try {
        Handle file = openMemoryFile(bytes);
        return parseGraph(file.id(), name);
    } catch (const ReadError &e) {
        throw NirError(name + ": " + e.what());
    } catch (const ResourceError &e) {
        throw NirError(e.what());
    }
}

bool writeAll(int fd, const void *data, std::size_t n)
{
    const auto *p = static_cast<const std::uint8_t *>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

} // namespace

// HDF5 does not survive every malformed file (a corrupt global heap can make it read out of
// bounds), so the file is parsed in a child process: a crash there refuses the file instead of
// ending the program. The child sends back a status byte and either the network (as checkpoint
// bytes, which the parent checks again) or the one-line refusal.
NirNetwork parseNirNetwork(const std::vector<std::uint8_t> &bytes, const std::string &name)
{
    // HDF5 copies the image once more when it opens it.
    try {
        requireMemory(saturatingMul(bytes.size(), 2), name + ": opening the NIR file");
    } catch (const ResourceError &e) {
        throw NirError(e.what());
    }
    int fds[2];
    if (::pipe(fds) != 0)
        throw NirError(name + ": cannot start the NIR reader (" + std::strerror(errno) + ")");
    pid_t child;
    {
        // Held across fork(): the child's copy is held by its only thread, so it uses HDF5 freely.
        std::lock_guard lock(libraryMutex());
        child = ::fork();
        if (child == 0) {
            // A crash ends the child plainly (the parent reports it), whatever handlers the
            // program installed (a test harness's, a crash reporter's).
            for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT})
                std::signal(sig, SIG_DFL);
            ::close(fds[0]);
            std::uint8_t status = 1;
            std::vector<std::uint8_t> payload;
            try {
                NirNetwork n = parseInProcess(bytes, name);
                Checkpoint c;
                c.network = n.network;
                c.weights = std::move(n.weights);
                c.dataSource = n.firstspikeMetadata ? "firstspike" : "other";
                payload = serializeCheckpoint(c);
                status = 0;
            } catch (const std::exception &e) {
                const std::string m = *e.what() ? std::string(e.what()) : name + ": the NIR reader failed";
                payload.assign(m.begin(), m.end());
            } catch (...) {
                const std::string m = name + ": the NIR reader failed";
                payload.assign(m.begin(), m.end());
            }
            const std::uint64_t size = payload.size();
            const bool ok = writeAll(fds[1], &status, 1) && writeAll(fds[1], &size, sizeof size) &&
                            writeAll(fds[1], payload.data(), payload.size());
            ::_exit(ok ? 0 : 3);
        }
    }
    ::close(fds[1]);
    if (child < 0) {
        ::close(fds[0]);
        throw NirError(name + ": cannot start the NIR reader (" + std::strerror(errno) + ")");
    }
    std::vector<std::uint8_t> received;
    std::uint8_t chunk[1 << 16];
    // A reader that neither answers nor ends (e.g. a lock held by another thread at the fork)
    // is ended after kReaderSeconds: the file is refused, the program goes on.
    constexpr int kReaderSeconds = 120;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kReaderSeconds);
    bool timedOut = false;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timedOut = true;
            break;
        }
        pollfd pfd{fds[0], POLLIN, 0};
        const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            continue;
        const ssize_t r = ::read(fds[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        received.insert(received.end(), chunk, chunk + r);
    }
    ::close(fds[0]);
    if (timedOut)
        ::kill(child, SIGKILL);
    int wstatus = 0;
    while (::waitpid(child, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (timedOut)
        throw NirError(name + ": the NIR reader gave no answer within " + std::to_string(kReaderSeconds) + " s; refused");
    if (WIFSIGNALED(wstatus))
        throw NirError(name + ": the HDF5 library failed on this file (signal " + std::to_string(WTERMSIG(wstatus)) +
                       "); the file is malformed and refused");
    std::uint64_t size = 0;
    if (received.size() < 1 + sizeof size)
        throw NirError(name + ": the NIR reader stopped without an answer");
    std::memcpy(&size, received.data() + 1, sizeof size);
    if (size != received.size() - 1 - sizeof size)
        throw NirError(name + ": the NIR reader's answer is incomplete");
    const std::uint8_t status = received[0];
    const std::vector<std::uint8_t> payload(received.begin() + 1 + static_cast<long>(sizeof size), received.end());
    received = {};
    if (status != 0)
        throw NirError(payload.empty() ? name + ": the NIR reader refused the file without a reason"
                                       : std::string(payload.begin(), payload.end()));
    try {
        Checkpoint c = deserializeCheckpoint(payload, name);
        NirNetwork n;
        n.network = c.network;
        n.weights = std::move(c.weights);
        n.firstspikeMetadata = c.dataSource == "firstspike";
        return n;
    } catch (const CheckpointError &e) {
        throw NirError(e.what());
    }
}

NirNetwork loadNirNetwork(const std::string &path)
{
    std::vector<std::uint8_t> bytes;
    try {
        InputFile in(path, "NIR", kMaxNirFileBytes);
        requireMemory(in.size(), path + ": reading the NIR file");
        bytes = in.readAll();
    } catch (const FileError &e) {
        throw NirError(e.what());
    } catch (const ResourceError &e) {
        throw NirError(e.what());
    }
    return parseNirNetwork(bytes, path);
}

} // namespace firstspike
