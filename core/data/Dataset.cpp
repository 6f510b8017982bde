#include "core/data/Dataset.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace firstspike {

int Dataset::classCount() const
{
    if (labels.empty())
        return 0;
    return static_cast<int>(*std::max_element(labels.begin(), labels.end())) + 1;
}

std::vector<int> Dataset::classHistogram() const
{
    std::vector<int> counts(static_cast<std::size_t>(classCount()), 0);
    for (std::uint8_t label : labels)
        ++counts[label];
    return counts;
}

Dataset Dataset::subset(const std::vector<int> &indices, const std::string &subsetName) const
{
    const std::size_t imageBytes = static_cast<std::size_t>(pixelCount());
    // Check every index before allocating, so a bad request leaves nothing half-built.
    for (std::size_t i = 0; i < indices.size(); ++i) {
        if (indices[i] < 0 || indices[i] >= size())
            throw std::out_of_range(name + ": subset index " + std::to_string(indices[i]) + " (entry "
                                    + std::to_string(i) + ") is outside 0.." + std::to_string(size() - 1));
    }

    Dataset result;
    result.name = subsetName;
    result.rows = rows;
    result.cols = cols;
    result.labels.reserve(indices.size());
    result.pixels.resize(indices.size() * imageBytes);
    std::uint8_t *out = result.pixels.data();
    for (int index : indices) {
        result.labels.push_back(labels[static_cast<std::size_t>(index)]);
        if (imageBytes > 0)
            std::memcpy(out, image(index), imageBytes);
        out += imageBytes;
    }
    return result;
}

} // namespace firstspike
