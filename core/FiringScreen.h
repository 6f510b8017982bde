#pragma once
// The firing test of MODEL.md over all neurons of a layer at once, shared by the full forward
// scan (SpikeNetwork::scanLayer) and the early-exit classification (EarlyDecision.cpp).
//
// A neuron still alive may fire in the current interval iff B > theta and A / (B - theta) <=
// limit. A vectorised pass applies a slightly loose multiplicative form of that test to every
// neuron and flags the candidates; the flags are then walked eight at a time and each candidate
// is handed to `visit(j)`, which applies the exact test. The loose form never misses a neuron
// the exact test accepts.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace firstspike {

template <typename Visit>
void forEachFiringCandidate(const double *A, const double *B, const double *alive, int n, double threshold,
                            double limit, std::vector<std::uint8_t> &flags, Visit &&visit)
{
    flags.resize(static_cast<std::size_t>(n) + 8); // padded for 8-byte reads
    std::uint8_t *F = flags.data();
    const double loose = limit * (1.0 + 1e-9);
    int candidates = 0;
    for (int j = 0; j < n; ++j) {
        const double d = B[j] - threshold;
        const std::uint8_t c = (alive[j] != 0.0) & (d > 0.0) & (A[j] <= loose * d);
        F[j] = c;
        candidates += c;
    }
    std::fill(F + n, F + n + 8, std::uint8_t{0});
    for (int j0 = 0; candidates > 0 && j0 < n; j0 += 8) {
        std::uint64_t word;
        std::memcpy(&word, F + j0, 8);
        while (word) { // each flag is 0 or 1: the lowest set bit is one candidate's byte
            const int j = j0 + std::countr_zero(word) / 8;
            word &= word - 1;
            --candidates;
            visit(j);
        }
    }
}

} // namespace firstspike
