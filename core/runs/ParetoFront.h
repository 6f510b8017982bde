#pragma once
// The Pareto front of runs that trade a cost (spikes per neuron, decision time: lower is better)
// against a value (accuracy: higher is better).
#include <cstddef>
#include <vector>

namespace firstspike {

class ParetoFront {
public:
    // Indices of the points no other point beats in both (cost no higher and value no lower,
    // one of them strictly), by increasing cost. Points with a NaN coordinate are left out; of
    // equal points the first is kept.
    static std::vector<std::size_t> indices(const std::vector<double> &cost, const std::vector<double> &value);
};

} // namespace firstspike
