#include "rig/reports/junit.hpp"

#include <sstream>

namespace rig {
namespace {

std::string esc(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&apos;"; break;
            default:
                // XML 1.0 forbids most control characters.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
                    o += '?';
                } else {
                    o += c;
                }
        }
    }
    return o;
}

std::string num(std::optional<double> v) {
    if (!v) return "-";
    std::ostringstream o;
    o.precision(6);
    o << *v;
    return o.str();
}

std::string limits(const Measurement& m) {
    if (m.low && m.high) return "[" + num(m.low) + ", " + num(m.high) + "] " + m.unit;
    if (m.low) return ">= " + num(m.low) + " " + m.unit;
    if (m.high) return "<= " + num(m.high) + " " + m.unit;
    return "no limits";
}

}  // namespace

std::string junit_xml(const run_record::RunRecord& rec) {
    const auto& ms = rec.measurements;
    const std::string suite = rec.scenario.id.empty() ? "scenario" : rec.scenario.id;
    int failures = 0, errors = 0;
    std::ostringstream cases;
    for (const auto& m : ms) {
        const double dur = m.window_end_s - m.window_start_s;
        cases << "    <testcase name=\"" << esc(m.id) << "\" classname=\"" << esc(suite + "." + m.name) << "\" time=\""
              << (dur > 0 ? dur : 0.0) << "\">\n";
        const std::string what =
            m.name + " = " + num(m.value) +
            (m.uncertainty ? " +/- " + num(m.uncertainty->U) + " (U, k = " + num(m.uncertainty->k) + ")" : "") + " " +
            m.unit + ", limits " + limits(m) + " (" + m.limits_source + ")";
        const std::string msg = what + (m.message.empty() ? "" : ": " + m.message);
        if (m.outcome == Outcome::fail) {
            ++failures;
            cases << "      <failure message=\"" << esc(msg) << "\" type=\"FAIL\">" << esc(msg) << "</failure>\n";
        } else if (m.outcome == Outcome::error) {
            ++errors;
            cases << "      <error message=\"" << esc(msg) << "\" type=\"ERROR\">" << esc(msg) << "</error>\n";
        }
        std::string props;
        for (const auto& r : m.requirements) props += "        <property name=\"requirement\" value=\"" + esc(r) + "\"/>\n";
        if (m.truth) props += "        <property name=\"truth\" value=\"" + num(m.truth) + "\"/>\n";
        // The value's expanded uncertainty and the decision rule it was judged
        // under; ERROR carries no value, so no U.
        if (m.uncertainty) {
            props += "        <property name=\"uncertainty_U\" value=\"" + num(m.uncertainty->U) + " " + esc(m.unit) +
                     " (k = " + num(m.uncertainty->k) + ")\"/>\n";
        }
        props += std::string("        <property name=\"decision_rule\" value=\"") + to_string(m.decision_rule) +
                 (m.conditional ? " (conditional: within U of a limit)" : "") + "\"/>\n";
        if (!props.empty()) cases << "      <properties>\n" << props << "      </properties>\n";
        cases << "      <system-out>" << esc(what) << "</system-out>\n    </testcase>\n";
    }
    const std::string& verdict = rec.verdict;
    int tests = static_cast<int>(ms.size());
    // Anything but a PASS or FAIL explained by its measurements fails the
    // run testcase: a suite never reads green for a run that did not close.
    const bool blame_run = verdict != "PASS" && verdict != "FAIL" && !(verdict == "ERROR" && errors > 0);
    if (blame_run) {
        ++tests;
        ++errors;
        const std::string reason = verdict + ": " + rec.verdict_reason;
        cases << "    <testcase name=\"run\" classname=\"" << esc(suite) << ".run\" time=\"0\">\n"
              << "      <error message=\"" << esc(reason) << "\" type=\"" << esc(verdict) << "\">" << esc(reason)
              << "</error>\n    </testcase>\n";
    }
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"penrig\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n"
      << "  <testsuite name=\"" << esc(suite) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" timestamp=\"" << esc(rec.started_utc) << "\" hostname=\"" << esc(rec.host)
      << "\">\n"
      << "    <properties>\n"
      << "      <property name=\"run_id\" value=\"" << esc(rec.run_id) << "\"/>\n"
      << "      <property name=\"verdict\" value=\"" << esc(verdict) << "\"/>\n"
      << "      <property name=\"dut_serial\" value=\"" << esc(rec.dut.serial) << "\"/>\n"
      << "      <property name=\"scenario_sha256\" value=\"" << esc(rec.scenario.sha256) << "\"/>\n"
      << "      <property name=\"software\" value=\"" << esc(rec.software.version + " " + rec.software.commit) << "\"/>\n"
      << "    </properties>\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
    return o.str();
}

std::string junit_xml(const nlohmann::json& record) { return junit_xml(record.get<run_record::RunRecord>()); }

}  // namespace rig
