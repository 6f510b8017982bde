#include "core/runs/ParetoFront.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace firstspike {

std::vector<std::size_t> ParetoFront::indices(const std::vector<double> &cost, const std::vector<double> &value)
{
    const std::size_t n = std::min(cost.size(), value.size());
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < n; ++i)
        if (!std::isnan(cost[i]) && !std::isnan(value[i]))
            order.push_back(i);
    // By cost, and of equal cost the highest value first (then the first given).
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (cost[a] != cost[b])
            return cost[a] < cost[b];
        return value[a] > value[b];
    });
    std::vector<std::size_t> front;
    for (std::size_t i : order)
        if (front.empty() || value[i] > value[front.back()])
            front.push_back(i);
    return front;
}

} // namespace firstspike
