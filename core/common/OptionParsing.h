#pragma once
// Strict parsing of command-line values, shared by firstspike-cli and the desktop application's
// command line, so that both accept and refuse the same text with the same words. A value is
// the whole text: no trailing garbage ("12abc"), no NaN or infinity, nothing outside its range,
// no silent wrap-around ("99999999999999999999" is refused, not read as some other number).
//
// Every function throws OptionError whose what() is one line naming the option and the problem:
//   "--sample: 'abc' is not an integer"
//   "--sample: 999999 is outside 0..2003"
//   "--dpi: 'nan' is not a finite number"
//   "--size: '100000x100000' is larger than 16384 pixels a side"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

struct SettingRange;

struct OptionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `name` is the option as the user spells it, dashes included ("--sample").
long long parseIntOption(const std::string &name, const std::string &text, long long min, long long max);
// The full range of a 64-bit unsigned integer (random seeds), or [min, max].
std::uint64_t parseUInt64Option(const std::string &name, const std::string &text, std::uint64_t min = 0,
                                std::uint64_t max = UINT64_MAX);
double parseDoubleOption(const std::string &name, const std::string &text, double min, double max);
double parseDoubleOption(const std::string &name, const std::string &text, const SettingRange &range);

// "WxH" (also "WXH"), each side an integer in [minSide, maxSide] and width * height at most
// maxPixels.
struct SizeOption {
    int width = 0;
    int height = 0;
};
SizeOption parseSizeOption(const std::string &name, const std::string &text, int minWidth, int minHeight, int maxSide,
                           long long maxPixels);

// Layer sizes "784-800-10" (also separated by 'x' or ','), refused with the reason
// layerSizesProblem() gives ("--layers: layer size 2000000 is outside 1..1000000") or
// "--layers: '784-a-10' is not like 784-800-10". Whether the network fits this machine's memory
// is checked apart (MemoryBudget.h).
std::vector<int> parseLayersOption(const std::string &name, const std::string &text);

// "0.001", "2400", "1e+06": a number in messages, short and exact enough to name a limit.
std::string formatOptionNumber(double v);

} // namespace firstspike
