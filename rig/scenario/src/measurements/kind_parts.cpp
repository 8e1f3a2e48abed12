#include "kind_parts.hpp"

#include <sstream>

namespace rig::kind_parts {

std::string num(double v, int precision) {
    std::ostringstream o;
    o.precision(precision);
    o << v;
    return o.str();
}

namespace {
void need(bool ok, std::string_view kind, const char* what, std::vector<std::string>& errors) {
    if (!ok) errors.push_back("measure " + std::string(kind) + ": " + what);
}
}  // namespace

void require(std::string_view kind, Needs needs, const PlanState& st, std::vector<std::string>& errors) {
    if (needs.rate) need(st.rate_hz > 0.0, kind, "no rate setpoint before this step", errors);
    if (needs.depth_set) need(st.depth_set, kind, "no set_depth before this step", errors);
    if (needs.powered) need(st.powered_ever, kind, "the pen is never powered on before this step", errors);
}

}  // namespace rig::kind_parts
