#pragma once
// Axis tick spacing for the custom-painted plots: a 1, 2, 2.5 or 5 times a power of ten step
// giving about `targetTicks` ticks over `span`.

#include <algorithm>
#include <cmath>

namespace firstspike {

inline double niceStep(double span, int targetTicks)
{
    const double raw = span / std::max(1, targetTicks);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (raw <= m * mag)
            return m * mag;
    return 10 * mag;
}

} // namespace firstspike
