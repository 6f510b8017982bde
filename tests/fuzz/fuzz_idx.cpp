// libFuzzer target: the IDX reader on hostile bytes (raw and gzip). Input layout: u16 split
// point (little-endian) then the image file bytes up to it and the label file bytes after.
// Any outcome but a parsed data set or a DataError is a bug.

#include "core/data/IdxReader.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size < 2)
        return 0;
    const std::size_t split = std::min<std::size_t>(data[0] | (data[1] << 8), size - 2);
    const std::vector<std::uint8_t> images(data + 2, data + 2 + split);
    const std::vector<std::uint8_t> labels(data + 2 + split, data + size);
    firstspike::IdxLimits limits;
    limits.maxBytes = 64u << 20; // keep gzip bombs within the fuzzer's memory limit
    try {
        const firstspike::Dataset d = firstspike::parseIdxPair(images, "images", labels, "labels", limits);
        if (d.pixels.size() != static_cast<std::size_t>(d.size()) * d.pixelCount())
            std::abort();
        for (std::uint8_t label : d.labels)
            if (label > limits.maxLabel)
                std::abort();
    } catch (const firstspike::DataError &) {
    }
    return 0;
}
