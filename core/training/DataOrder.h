#pragma once
// How a run sees its training data: the validation carve, each epoch's order and each sample's
// random shift, all derived from the seed. Shared by the spiking Trainer and the dense MLP
// reference (core/baseline/MlpRun.h), so that both train and select on the same digits.

#include <cstdint>
#include <vector>

namespace firstspike {

// A seed for one purpose (a, b) derived from the run's seed.
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);

struct ValidationCarve {
    std::vector<int> train;      // indices into the training set, in carve order
    std::vector<int> validation; // sorted
};
// A seeded shuffle of the training indices; the last `fraction` of it is held out.
ValidationCarve carveValidation(int trainSize, double fraction, std::uint64_t seed);

// The order of epoch `epoch` (0-based): `train` shuffled by the seed.
std::vector<int> epochOrder(const std::vector<int> &train, std::uint64_t seed, int epoch);

// The image at `position` of epoch `epoch`'s order, shifted by up to maxShift pixels in each
// direction (uncovered pixels black) into dst.
void shiftImage(const std::uint8_t *src, int rows, int cols, int maxShift, std::uint64_t seed, int epoch, int position,
                std::uint8_t *dst);

} // namespace firstspike
