#include "core/model/NetworkConfig.h"

#include "core/common/MemoryBudget.h"

#include <algorithm>
#include <charconv>

namespace firstspike {

std::string encodingName(InputEncoding kind)
{
    switch (kind) {
    case InputEncoding::LinearLatency:
        return "latency";
    case InputEncoding::Binarized:
        return "binary";
    }
    return "unknown";
}

bool parseEncoding(const std::string &name, InputEncoding &out)
{
    if (name == "latency" || name == "linear") {
        out = InputEncoding::LinearLatency;
        return true;
    }
    if (name == "binary" || name == "binarized") {
        out = InputEncoding::Binarized;
        return true;
    }
    return false;
}

std::string layerSizesProblem(const std::vector<int> &sizes)
{
    if (sizes.size() < 2)
        return "a network needs at least an input and an output layer";
    if (sizes.size() > static_cast<std::size_t>(kMaxLayerEntries))
        return std::to_string(sizes.size()) + " layers exceed the limit of " + std::to_string(kMaxLayerEntries);
    for (int s : sizes)
        if (s <= 0 || s > kMaxLayerSize)
            return "layer size " + std::to_string(s) + " is outside 1.." + std::to_string(kMaxLayerSize);
    return {};
}

std::uint64_t weightCount(const std::vector<int> &sizes, bool bias)
{
    std::uint64_t n = 0;
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
        n = saturatingAdd(n, saturatingMul(static_cast<std::uint64_t>(std::max(sizes[l], 0)) + (bias ? 1 : 0),
                                           static_cast<std::uint64_t>(std::max(sizes[l + 1], 0))));
    return n;
}

std::uint64_t trainingMemoryBytes(const std::vector<int> &sizes, bool bias)
{
    // Per weight: itself, the best epoch's copy, a per-thread panel copy and a gradient (8 bytes
    // each), two Adam moments (8 bytes each at most).
    return saturatingMul(weightCount(sizes, bias), 6 * sizeof(double));
}

std::string layerSizesToString(const std::vector<int> &sizes)
{
    std::string s;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (i)
            s += '-';
        s += std::to_string(sizes[i]);
    }
    return s;
}

bool parseLayerSizes(const std::string &text, std::vector<int> &out)
{
    std::vector<int> sizes;
    const char *p = text.data();
    const char *end = p + text.size();
    while (p < end) {
        int value = 0;
        auto [next, ec] = std::from_chars(p, end, value);
        if (ec != std::errc() || value <= 0 || value > kMaxLayerSize)
            return false;
        sizes.push_back(value);
        p = next;
        if (p < end) {
            if (*p != '-' && *p != 'x' && *p != ',')
                return false;
            ++p;
            if (p == end)
                return false;
        }
    }
    if (!layerSizesProblem(sizes).empty())
        return false;
    out = std::move(sizes);
    return true;
}

} // namespace firstspike
