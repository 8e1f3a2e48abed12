#include "rig/reports/summary.hpp"

#include <iomanip>
#include <sstream>

namespace rig {
namespace {
std::string num(std::optional<double> v, int prec = 5) {
    if (!v) return "-";
    std::ostringstream o;
    o << std::setprecision(prec) << *v;
    return o.str();
}
std::string count(std::uint64_t v) { return std::to_string(v); }
}  // namespace

void print_summary(std::ostream& out, const run_record::RunRecord& rec, bool color) {
    const std::string& verdict = rec.verdict;
    auto paint = [&](const std::string& s, const std::string& outcome) {
        if (!color) return s;
        const char* c = outcome == "PASS" ? "\033[32m" : outcome == "FAIL" ? "\033[31m" : "\033[33m";
        return std::string(c) + s + "\033[0m";
    };
    out << "\n" << rec.scenario.id << " - " << rec.scenario.title << "\n";
    out << "run " << rec.run_id << "  dut " << rec.dut.serial << "  fixture " << rec.fixture.name << "\n\n";
    std::size_t w = 10;
    for (const auto& m : rec.measurements) w = std::max(w, m.id.size());
    for (const auto& m : rec.measurements) {
        const std::string outcome = to_string(m.outcome);
        std::string lim;
        if (m.low && m.high) lim = "[" + num(m.low) + ", " + num(m.high) + "]";
        else if (m.low) lim = ">= " + num(m.low);
        else if (m.high) lim = "<= " + num(m.high);
        out << "  " << paint(outcome, outcome) << std::string(6 - outcome.size(), ' ') << std::left
            << std::setw(static_cast<int>(w) + 2) << m.id << std::right << std::setw(10) << num(m.value) << " "
            << std::left << std::setw(6) << m.unit << std::right << std::setw(22) << lim;
        if (m.truth && m.value) {
            out << "   (truth " << num(m.truth, 7) << ", error " << num(*m.value - *m.truth, 3) << ")";
        }
        if (m.outcome != Outcome::pass && !m.message.empty()) out << "\n        " << m.message;
        out << "\n";
    }
    const auto& t = rec.timing;
    out << "\n  loop: " << count(t.samples) << " samples, lateness p99 " << num(t.lateness_us.p99) << " us, max "
        << num(t.lateness_us.max) << " us, missed " << count(t.missed_samples) << "\n";
    out << "\n" << paint(verdict, verdict) << "  " << rec.verdict_reason << "\n";
}

void print_summary(std::ostream& out, const nlohmann::json& record, bool color) {
    print_summary(out, record.get<run_record::RunRecord>(), color);
}

}  // namespace rig
