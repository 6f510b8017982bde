#pragma once
// Reads run folders back (docs/FORMATS.md, "Run folders"). Every file is read through
// InputFile / readRegularFile with a size cap, and nothing a folder holds can make the reader
// throw: a missing, truncated, oversized, non-regular or invalid file gives a record marked
// damaged with the reason, a newer format version one marked refused.
#include "core/runs/RunRecord.h"

#include <cstdint>
#include <string>
#include <vector>

namespace firstspike {

struct RunReadLimits {
    std::uint64_t metricsBytes = 16u << 20; // metrics.csv
    std::uint64_t batchesBytes = 64u << 20; // batches.csv
};

// The folder's manifest, and with `withCurves` its metrics and mini-batch curves too.
RunRecord readRunFolder(const std::string &folder, bool withCurves = true, const RunReadLimits &limits = {});

// The CSV files' rows (the format RunRecorder writes). A last line without its newline (a torn
// write of another writer) is dropped and said in *note; any other bad line throws
// RunFormatError naming the line.
std::vector<EpochMetrics> parseMetricsCsv(const std::string &text, std::string *note = nullptr);
std::vector<BatchRecord> parseBatchesCsv(const std::string &text, std::string *note = nullptr);

} // namespace firstspike
