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

// A += z_k * w_k and B += w_k for the rows of one tie group, rows given by index into `order`
// and `zs`: A and B are loaded and stored once per four rows instead of once per row. Each
// element sees the same operations in the same order as one row at a time (so the same bits).
inline void accumulateRows(const double *weights, long stride, const int *order, const double *zs, int count,
                           double *__restrict A, double *__restrict B, int n)
{
    int k = 0;
    for (; k + 4 <= count; k += 4) {
        const double *__restrict w0 = weights + stride * order[k];
        const double *__restrict w1 = weights + stride * order[k + 1];
        const double *__restrict w2 = weights + stride * order[k + 2];
        const double *__restrict w3 = weights + stride * order[k + 3];
        const double z0 = zs[k], z1 = zs[k + 1], z2 = zs[k + 2], z3 = zs[k + 3];
        for (int j = 0; j < n; ++j) {
            double a = A[j], b = B[j];
            a += z0 * w0[j];
            b += w0[j];
            a += z1 * w1[j];
            b += w1[j];
            a += z2 * w2[j];
            b += w2[j];
            a += z3 * w3[j];
            b += w3[j];
            A[j] = a;
            B[j] = b;
        }
    }
    if (k + 2 <= count) {
        const double *__restrict w0 = weights + stride * order[k];
        const double *__restrict w1 = weights + stride * order[k + 1];
        const double z0 = zs[k], z1 = zs[k + 1];
        for (int j = 0; j < n; ++j) {
            double a = A[j], b = B[j];
            a += z0 * w0[j];
            b += w0[j];
            a += z1 * w1[j];
            b += w1[j];
            A[j] = a;
            B[j] = b;
        }
        k += 2;
    }
    if (k < count) {
        const double *__restrict w0 = weights + stride * order[k];
        const double z0 = zs[k];
        for (int j = 0; j < n; ++j) {
            A[j] += z0 * w0[j];
            B[j] += w0[j];
        }
    }
}

} // namespace firstspike
