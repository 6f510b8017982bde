#include "core/training/DataOrder.h"

#include "core/common/Random.h"

#include <algorithm>

namespace firstspike {

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t a, std::uint64_t b)
{
    std::uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (a + 1));
    s = splitMix64(s) ^ (0x8CB92BA72F3D8DD7ull * (b + 1));
    return splitMix64(s);
}

ValidationCarve carveValidation(int trainSize, double fraction, std::uint64_t seed)
{
    std::vector<int> all(static_cast<std::size_t>(trainSize));
    for (int i = 0; i < trainSize; ++i)
        all[static_cast<std::size_t>(i)] = i;
    Random splitRng(mixSeed(seed, 0x5a11d));
    splitRng.shuffle(all);
    const int validationCount = static_cast<int>(fraction * static_cast<double>(all.size()));
    ValidationCarve carve;
    carve.train.assign(all.begin(), all.end() - validationCount);
    carve.validation.assign(all.end() - validationCount, all.end());
    std::sort(carve.validation.begin(), carve.validation.end());
    return carve;
}

std::vector<int> epochOrder(const std::vector<int> &train, std::uint64_t seed, int epoch)
{
    std::vector<int> order = train;
    Random rng(mixSeed(seed, 0xE90C, static_cast<std::uint64_t>(epoch)));
    rng.shuffle(order);
    return order;
}

void shiftImage(const std::uint8_t *src, int rows, int cols, int maxShift, std::uint64_t seed, int epoch, int position,
                std::uint8_t *dst)
{
    const int s = maxShift;
    Random rng(mixSeed(seed ^ 0xA06u, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(position)));
    const int dy = static_cast<int>(rng.below(2 * s + 1)) - s;
    const int dx = static_cast<int>(rng.below(2 * s + 1)) - s;
    for (int r = 0; r < rows; ++r) {
        const int sr = r - dy;
        for (int c = 0; c < cols; ++c) {
            const int sc = c - dx;
            dst[r * cols + c] = (sr >= 0 && sr < rows && sc >= 0 && sc < cols) ? src[sr * cols + sc] : 0;
        }
    }
}

} // namespace firstspike
