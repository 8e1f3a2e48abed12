#pragma once
// Lot release statistics: process capability of one measurement over the
// units of a lot (one value per unit: see rig/index/lot.hpp for which run of
// a unit counts). Pure functions; reports read them, never the rig.
//
// Definitions (LSL/USL: the spec limits; x_i in the order the units were
// certified; n units with a value):
//   mean, SD       sample mean and sample standard deviation s (n - 1)
//   sigma_within   average moving range / d2, d2 = 1.128 for ranges of 2
//                  (individuals chart: AIAG SPC manual 2nd ed., §II; ISO 22514-2)
//   Cp             (USL - LSL) / (6 sigma_within)
//   Cpk            min(USL - mean, mean - LSL) / (3 sigma_within)
//   Pp, Ppk        the same with the overall s (long-term performance)
//   Cpk_lower95    one-sided 95 % lower confidence bound of Cpk, Bissell's
//                  approximation (A. F. Bissell, "How reliable is your
//                  capability index?", Applied Statistics 39(3), 1990, 331-340):
//                  Cpk - z_0.95 sqrt(1/(9n) + Cpk^2/(2(n - 1))), z_0.95 = 1.6449
//   pass rate      units whose outcome is PASS / units with the measurement
//                  (an ERROR unit counts, and does not pass)
//   worst unit     the valued unit with the smallest margin to its nearer
//                  limit in units of the half span (negative: outside)
// An index that needs both limits is unset with one limit missing; one-sided
// Cpk/Ppk use the limit present. Needs n >= 2 (moving range, s); Bissell's
// bound n >= 3.
#include <optional>
#include <string>
#include <vector>

namespace rig {

struct LotValue {
    std::string dut, run_id, started_utc;
    std::optional<double> value;
    std::optional<double> low, high;
    std::string outcome;  // PASS, FAIL, ERROR
};

struct LotStatistics {
    std::string scenario_id, measurement_id, name, unit;
    std::optional<double> low, high;  // of the latest unit's record
    bool limits_differ = false;       // some unit was judged against other limits
    std::size_t units = 0, valued = 0, passed = 0;
    std::optional<double> mean, sd, min, max, sigma_within;
    std::optional<double> cp, cpk, cpk_lower95, pp, ppk;
    double pass_rate = 0.0;
    std::optional<LotValue> worst;
    std::optional<double> worst_margin;  // of the worst unit, in half spans
    std::vector<double> values;          // the valued units' values, in certification order (histogram)
};

/// `values` in the order the units were certified.
LotStatistics lot_statistics(const std::vector<LotValue>& values);

/// One-sided 95 % lower bound of Cpk (Bissell 1990); unset for n < 3.
std::optional<double> cpk_lower_bound_95(double cpk, std::size_t n);

}  // namespace rig
