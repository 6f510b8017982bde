#pragma once
// Image/label data sets as the engine sees them: 8-bit grey images, one class label each.

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

// Thrown for any bad data file; what() names the file and the problem in one line.
class DataError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Dataset {
    std::string name;                 // e.g. "embedded-mnist/train" or a file path
    int rows = 0;
    int cols = 0;
    std::vector<std::uint8_t> pixels; // size() * rows * cols bytes, image-major, row-major
    std::vector<std::uint8_t> labels; // size() entries

    int size() const { return static_cast<int>(labels.size()); }
    int pixelCount() const { return rows * cols; }
    const std::uint8_t *image(int index) const
    {
        return pixels.data() + static_cast<std::size_t>(index) * static_cast<std::size_t>(pixelCount());
    }
    int classCount() const;                 // max label + 1 (0 when empty)
    std::vector<int> classHistogram() const; // count per label value
    // Copies of the given samples, in the given order.
    Dataset subset(const std::vector<int> &indices, const std::string &subsetName) const;
};

struct DataSplit {
    std::string source; // "embedded" or the folder path
    Dataset train;
    Dataset test;
};

} // namespace firstspike
