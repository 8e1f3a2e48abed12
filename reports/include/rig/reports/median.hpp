#pragma once
// The median of a sample (the mean of the two middle values for an even
// count: PostgreSQL's percentile_cont(0.5), so the fleet database's views
// agree with the reports). Precondition: `v` is not empty.
#include <algorithm>
#include <vector>

namespace rig {
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
}  // namespace rig
