#include "core/common/OptionParsing.h"

#include "core/model/NetworkConfig.h"
#include "core/training/SettingsLimits.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace firstspike {

namespace {

[[noreturn]] void refuse(const std::string &name, const std::string &problem)
{
    throw OptionError(name + ": " + problem);
}

// The text as it goes into a message: quoted, and cut short so that a pasted megabyte does not
// become a megabyte of error line; control characters shown as '?', the message stays one line.
std::string quoted(const std::string &text)
{
    constexpr std::size_t kShown = 40;
    std::string s = "'";
    for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        s += c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c);
    }
    if (text.size() > kShown)
        s += "...";
    return s + "'";
}

// from_chars takes no leading '+'; people type one now and then ("--lr +0.5"): one is allowed.
std::string_view withoutPlus(const std::string &text)
{
    std::string_view v(text);
    if (v.size() > 1 && v[0] == '+' && v[1] != '-' && v[1] != '+')
        v.remove_prefix(1);
    return v;
}

bool allDigits(std::string_view v)
{
    if (!v.empty() && v[0] == '-')
        v.remove_prefix(1);
    if (v.empty())
        return false;
    for (char c : v)
        if (c < '0' || c > '9')
            return false;
    return true;
}

// For a number from_chars found out of range: whether it is too small (rather than too large)
// for a double, i.e. its exponent is negative or it has no digit before the point but zeros.
bool underflows(std::string_view v)
{
    const std::size_t e = v.find_first_of("eE");
    if (e != std::string_view::npos)
        return e + 1 < v.size() && v[e + 1] == '-';
    if (!v.empty() && v[0] == '-')
        v.remove_prefix(1);
    return v.rfind("0.", 0) == 0 || v.rfind(".", 0) == 0;
}

} // namespace

std::string formatOptionNumber(double v)
{
    char text[40];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

long long parseIntOption(const std::string &name, const std::string &text, long long min, long long max)
{
    const std::string_view v = withoutPlus(text);
    long long value = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec == std::errc::result_out_of_range && end == v.data() + v.size()) // all digits, too many
        refuse(name, quoted(text) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        refuse(name, quoted(text) + " is not an integer");
    if (value < min || value > max)
        refuse(name, std::to_string(value) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    return value;
}

std::uint64_t parseUInt64Option(const std::string &name, const std::string &text, std::uint64_t min, std::uint64_t max)
{
    const std::string_view v = withoutPlus(text);
    const std::string range = std::to_string(min) + ".." + std::to_string(max);
    // from_chars of an unsigned type refuses a minus sign; a negative integer is a number
    // outside the range, not garbage.
    if (allDigits(v) && v[0] == '-')
        refuse(name, quoted(text) + " is outside " + range);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    if (ec == std::errc::result_out_of_range && end == v.data() + v.size())
        refuse(name, quoted(text) + " is outside " + range);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        refuse(name, quoted(text) + " is not an integer");
    if (value < min || value > max)
        refuse(name, std::to_string(value) + " is outside " + range);
    return value;
}

double parseDoubleOption(const std::string &name, const std::string &text, double min, double max)
{
    const std::string_view v = withoutPlus(text);
    double value = 0;
    // from_chars: the whole text or nothing, and independent of the C locale (the GUI runs under
    // the user's LC_NUMERIC, where strtod would want "0,5").
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
    const bool whole = !v.empty() && end == v.data() + v.size();
    if (ec == std::errc::result_out_of_range && whole) {
        // from_chars leaves value alone here: 1e400 overflows (refused), 1e-400 underflows to
        // zero, which a range may still hold.
        if (!underflows(v))
            refuse(name, quoted(text) + " is not a finite number");
        value = 0.0;
    } else if (ec != std::errc() || !whole) {
        refuse(name, quoted(text) + " is not a number");
    }
    if (!std::isfinite(value))
        refuse(name, quoted(text) + " is not a finite number");
    if (value < min || value > max)
        refuse(name, text + " is outside " + formatOptionNumber(min) + ".." + formatOptionNumber(max));
    return value;
}

double parseDoubleOption(const std::string &name, const std::string &text, const SettingRange &range)
{
    return parseDoubleOption(name, text, range.min, range.max);
}

std::vector<int> parseLayersOption(const std::string &name, const std::string &text)
{
    std::vector<int> sizes;
    if (parseLayerSizes(text, sizes))
        return sizes;
    // Refused: say why. Entries that are all integers (even absurd ones) get the reason of
    // layerSizesProblem, in its words; anything else is malformed.
    std::vector<std::string> entries(1);
    for (char c : text) {
        if (c == '-' || c == 'x' || c == ',')
            entries.emplace_back();
        else
            entries.back() += c;
    }
    const std::string malformed = quoted(text) + " is not like 784-800-10";
    for (const std::string &e : entries) {
        long long value = 0;
        const auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), value);
        if (e.empty() || end != e.data() + e.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
            refuse(name, malformed);
        if (ec == std::errc::result_out_of_range || value < 1 || value > kMaxLayerSize)
            refuse(name, "layer size " + e + " is outside 1.." + std::to_string(kMaxLayerSize));
        sizes.push_back(static_cast<int>(value));
    }
    if (std::string problem = layerSizesProblem(sizes); !problem.empty())
        refuse(name, problem);
    refuse(name, malformed);
}

SizeOption parseSizeOption(const std::string &name, const std::string &text, int minWidth, int minHeight, int maxSide,
                           long long maxPixels)
{
    const std::size_t x = text.find_first_of("xX");
    const std::string like = " is not like 1280x800";
    if (x == std::string::npos || x == 0 || x + 1 >= text.size())
        refuse(name, quoted(text) + like);
    const auto side = [&](const std::string &part, int min) {
        long long value = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || end != part.data() + part.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
            refuse(name, quoted(text) + like);
        if (ec == std::errc::result_out_of_range || value > maxSide)
            refuse(name, quoted(text) + " is larger than " + std::to_string(maxSide) + " pixels a side");
        if (value < min)
            refuse(name, quoted(text) + " is smaller than " + std::to_string(minWidth) + "x" + std::to_string(minHeight));
        return static_cast<int>(value);
    };
    SizeOption size;
    size.width = side(text.substr(0, x), minWidth);
    size.height = side(text.substr(x + 1), minHeight);
    if (static_cast<long long>(size.width) * size.height > maxPixels)
        refuse(name, quoted(text) + " has " + std::to_string(static_cast<long long>(size.width) * size.height)
                         + " pixels, more than the limit of " + std::to_string(maxPixels));
    return size;
}

} // namespace firstspike
