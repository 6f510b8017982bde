#include "core/model/SpikeOrder.h"

#include <algorithm>
#include <bit>
#include <cstddef>

namespace firstspike {

namespace {

// Stable LSD radix sort over every byte on which the keys differ: the exact order whatever the
// keys.
void radixSortAllBytes(KeySort &s)
{
    std::vector<std::uint64_t> &keys = s.keys;
    std::vector<int> &idx = s.idx;
    const std::size_t m = keys.size();
    s.keysScratch.resize(m);
    s.idxScratch.resize(m);
    for (int shift = 0; shift < 64; shift += 8) {
        std::size_t count[257] = {0};
        for (std::size_t k = 0; k < m; ++k)
            ++count[((keys[k] >> shift) & 0xFF) + 1];
        bool trivial = false;
        for (int b = 1; b <= 256; ++b)
            if (count[b] == m) {
                trivial = true;
                break;
            }
        if (trivial)
            continue;
        for (int b = 0; b < 256; ++b)
            count[b + 1] += count[b];
        for (std::size_t k = 0; k < m; ++k) {
            const std::size_t dst = count[(keys[k] >> shift) & 0xFF]++;
            s.keysScratch[dst] = keys[k];
            s.idxScratch[dst] = idx[k];
        }
        keys.swap(s.keysScratch);
        idx.swap(s.idxScratch);
    }
}

// The fast path: false when the insertion pass ran out of its budget, leaving the keys sorted
// stably up to some point (every step so far was stable, so equal keys are still in their
// original relative order). With Payload, s.idx moves with the keys; without, only the keys
// (s.idx is not touched).
template <bool Payload>
bool sortByTopBits(KeySort &s)
{
    std::vector<std::uint64_t> &keys = s.keys;
    std::vector<int> &idx = s.idx;
    const std::size_t m = keys.size();
    if (m < 2)
        return true;
    std::uint64_t lowest = keys[0], highest = keys[0];
    for (std::size_t k = 1; k < m; ++k) {
        lowest = std::min(lowest, keys[k]);
        highest = std::max(highest, keys[k]);
    }
    const std::uint64_t range = highest - lowest;
    if (range == 0)
        return true; // all equal: the order is already the stable one
    const int top = 63 - std::countl_zero(range);
    const int shift = std::max(0, top - 15);
    s.keysScratch.resize(m);
    if constexpr (Payload)
        s.idxScratch.resize(m);
    std::uint64_t *keysTmp = s.keysScratch.data();
    int *idxTmp = Payload ? s.idxScratch.data() : nullptr;
    std::uint32_t low[256] = {0}, high[256] = {0};
    for (std::size_t k = 0; k < m; ++k) {
        const std::uint64_t d = (keys[k] - lowest) >> shift;
        ++low[d & 0xFF];
        ++high[(d >> 8) & 0xFF];
    }
    std::uint32_t sumLow = 0, sumHigh = 0;
    for (int b = 0; b < 256; ++b) {
        const std::uint32_t l = low[b], h = high[b];
        low[b] = sumLow;
        high[b] = sumHigh;
        sumLow += l;
        sumHigh += h;
    }
    for (std::size_t k = 0; k < m; ++k) {
        const std::uint32_t dst = low[((keys[k] - lowest) >> shift) & 0xFF]++;
        keysTmp[dst] = keys[k];
        if constexpr (Payload)
            idxTmp[dst] = idx[k];
    }
    for (std::size_t k = 0; k < m; ++k) {
        const std::uint32_t dst = high[(((keysTmp[k] - lowest) >> shift) >> 8) & 0xFF]++;
        keys[dst] = keysTmp[k];
        if constexpr (Payload)
            idx[dst] = idxTmp[k];
    }
    if (shift == 0)
        return true; // the 16 bits held the whole range
    std::size_t budget = 8 * m + 64;
    for (std::size_t k = 1; k < m; ++k) {
        const std::uint64_t x = keys[k];
        if (keys[k - 1] <= x)
            continue;
        const int xi = Payload ? idx[k] : 0;
        std::size_t j = k;
        for (; j > 0 && keys[j - 1] > x; --j) {
            if (budget-- == 0) {
                keys[j] = x; // the key being moved goes back in: nothing is lost
                if constexpr (Payload)
                    idx[j] = xi;
                return false;
            }
            keys[j] = keys[j - 1];
            if constexpr (Payload)
                idx[j] = idx[j - 1];
        }
        keys[j] = x;
        if constexpr (Payload)
            idx[j] = xi;
    }
    return true;
}

} // namespace

void stableSortByKey(KeySort &s)
{
    if (s.idx.size() != s.keys.size())
        s.idx.resize(s.keys.size());
    if (!sortByTopBits<true>(s))
        radixSortAllBytes(s);
}

void sortDistinctKeys(KeySort &s)
{
    if (!sortByTopBits<false>(s))
        std::sort(s.keys.begin(), s.keys.end()); // distinct keys: no order among equals to keep
}

} // namespace firstspike
