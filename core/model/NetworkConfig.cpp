#include "core/model/NetworkConfig.h"

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
        if (ec != std::errc() || value <= 0 || value > 100000)
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
    if (sizes.size() < 2)
        return false;
    out = std::move(sizes);
    return true;
}

} // namespace firstspike
