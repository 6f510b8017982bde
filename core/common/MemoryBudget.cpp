#include "core/common/MemoryBudget.h"

#include "core/files/SafeFile.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace firstspike {

namespace {

std::uint64_t parseLimit(const char *text)
{
    char *end = nullptr;
    const double value = std::strtod(text, &end);
    if (end == text || !(value > 0.0))
        return kSaturated;
    double scale = 1.0;
    switch (*end) {
    case 'k': case 'K': scale = 1e3; break;
    case 'm': case 'M': scale = 1e6; break;
    case 'g': case 'G': scale = 1e9; break;
    default: break;
    }
    const double bytes = value * scale;
    return bytes >= 1.8e19 ? kSaturated : static_cast<std::uint64_t>(bytes);
}

} // namespace

std::uint64_t availableMemoryBytes()
{
    std::uint64_t available = 0;
    std::ifstream meminfo("/proc/meminfo"); // a kernel file, not user input
    std::string line;
    while (std::getline(meminfo, line)) {
        if (line.rfind("MemAvailable:", 0) == 0) {
            std::istringstream in(line.substr(13));
            std::uint64_t kb = 0;
            if (in >> kb)
                available = saturatingMul(kb, 1024);
            break;
        }
    }
    if (available == 0) {
        const long pages = ::sysconf(_SC_PHYS_PAGES);
        const long pageSize = ::sysconf(_SC_PAGESIZE);
        if (pages > 0 && pageSize > 0)
            available = saturatingMul(static_cast<std::uint64_t>(pages), static_cast<std::uint64_t>(pageSize));
        else
            available = kSaturated;
    }
    if (const char *limit = std::getenv("FIRSTSPIKE_MEMORY_LIMIT"); limit && *limit)
        available = std::min(available, parseLimit(limit));
    return available;
}

void requireMemory(std::uint64_t bytes, const std::string &what)
{
    const std::uint64_t available = availableMemoryBytes();
    if (static_cast<double>(bytes) > kMemoryShare * static_cast<double>(available))
        throw ResourceError(what + " needs " + (bytes == kSaturated ? std::string("more memory than can be counted")
                                                                    : formatBytes(bytes))
                            + ", " + formatBytes(available) + " available");
}

} // namespace firstspike
