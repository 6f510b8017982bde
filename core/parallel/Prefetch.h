#pragma once
// Software prefetch of a contiguous range, one request per 64-byte cache line: for access
// patterns the hardware prefetchers do not follow (short row pieces far apart, rows read in
// spike order). Only a hint: no effect on results.

#include <cstddef>

namespace firstspike {

enum class PrefetchFor { Read, Write };

inline void prefetchBytes(const void *data, std::size_t bytes, PrefetchFor use)
{
    const char *p = static_cast<const char *>(data);
    for (std::size_t k = 0; k < bytes; k += 64) {
        if (use == PrefetchFor::Write)
            __builtin_prefetch(p + k, 1);
        else
            __builtin_prefetch(p + k, 0);
    }
}

} // namespace firstspike
