#pragma once
// Memory checked before it is spent (docs/FORMATS.md, "Limits"): before a large allocation the
// program computes what it needs and refuses, with that figure, a request beyond the memory
// this machine has available, e.g. "784-1-30000: the output timing needs 21.6 GB, 9.1 GB
// available". No std::bad_alloc reaches a user as the message.

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace firstspike {

struct ResourceError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Bytes this process may still allocate: the kernel's MemAvailable (/proc/meminfo), or, where
// that cannot be read, the physical memory; lowered by the environment variable
// FIRSTSPIKE_MEMORY_LIMIT (bytes, or with a k/M/G suffix) when set, e.g. in tests.
std::uint64_t availableMemoryBytes();

// Throws ResourceError "<what> needs <bytes>, <available> available" when bytes exceeds
// kMemoryShare of availableMemoryBytes().
constexpr double kMemoryShare = 0.9;
void requireMemory(std::uint64_t bytes, const std::string &what);

// Overflow-safe arithmetic for size estimates: saturates at the largest value.
constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b)
{
    return a > kSaturated - b ? kSaturated : a + b;
}
constexpr std::uint64_t saturatingMul(std::uint64_t a, std::uint64_t b)
{
    return a != 0 && b > kSaturated / a ? kSaturated : a * b;
}

} // namespace firstspike
