#include "rig/reports/summary.hpp"

#include <iomanip>
#include <sstream>

namespace rig {
namespace {
std::string num(const nlohmann::json& v, int prec = 5) {
    if (v.is_null()) return "-";
    std::ostringstream o;
    o << std::setprecision(prec) << v.get<double>();
    return o.str();
}
/// Counts are whole numbers: 164370, never 1.6437e+05.
std::string count(const nlohmann::json& v) {
    if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    if (v.is_number()) return std::to_string(static_cast<long long>(v.get<double>()));
    return "-";
}
}  // namespace

void print_summary(std::ostream& out, const nlohmann::json& rec, bool color) {
    const std::string verdict = rec.value("verdict", "INCOMPLETE");
    auto paint = [&](const std::string& s, const std::string& outcome) {
        if (!color) return s;
        const char* c = outcome == "PASS" ? "\033[32m" : outcome == "FAIL" ? "\033[31m" : "\033[33m";
        return std::string(c) + s + "\033[0m";
    };
    out << "\n" << rec["scenario"].value("id", "") << " - " << rec["scenario"].value("title", "") << "\n";
    out << "run " << rec.value("run_id", "") << "  dut " << rec["dut"].value("serial", "") << "  fixture "
        << rec["fixture"].value("name", "") << "\n\n";
    std::size_t w = 10;
    for (const auto& m : rec["measurements"]) w = std::max(w, m.value("id", "").size());
    for (const auto& m : rec["measurements"]) {
        const std::string outcome = m.value("outcome", "ERROR");
        std::string lim;
        if (m.contains("low") && m.contains("high")) lim = "[" + num(m["low"]) + ", " + num(m["high"]) + "]";
        else if (m.contains("low")) lim = ">= " + num(m["low"]);
        else if (m.contains("high")) lim = "<= " + num(m["high"]);
        out << "  " << paint(outcome, outcome) << std::string(6 - outcome.size(), ' ') << std::left << std::setw(static_cast<int>(w) + 2)
            << m.value("id", "") << std::right << std::setw(10) << num(m["value"]) << " " << std::left << std::setw(6)
            << m.value("unit", "") << std::right << std::setw(22) << lim;
        if (m.contains("truth") && m.contains("error")) out << "   (truth " << num(m["truth"], 7) << ", error " << num(m["error"], 3) << ")";
        if (outcome != "PASS" && m.contains("message")) out << "\n        " << m["message"].get<std::string>();
        out << "\n";
    }
    const auto& t = rec["timing"];
    out << "\n  loop: " << count(t["samples"]) << " samples, lateness p99 " << num(t["lateness_us"]["p99"]) << " us, max "
        << num(t["lateness_us"]["max"]) << " us, missed " << count(t["missed_samples"]) << "\n";
    out << "\n" << paint(verdict, verdict) << "  " << rec.value("verdict_reason", "") << "\n";
}

}  // namespace rig
