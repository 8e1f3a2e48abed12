#include "rig/reports/junit.hpp"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

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

/// xs:decimal seconds (never exponent notation), microsecond resolution.
std::string seconds(std::chrono::microseconds t) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.6f", std::chrono::duration<double>(t).count());
    return buf;
}

/// The schema's timestamp: ISO 8601 without fraction or zone (the time is UTC:
/// the suite property timestamp_utc carries the full text).
std::string ant_timestamp(const std::string& utc) {
    if (utc.size() >= 19) return utc.substr(0, 19);
    return "1970-01-01T00:00:00";
}

}  // namespace

std::string junit_xml(const run_record::RunRecord& rec) {
    const auto& ms = rec.measurements;
    const std::string suite = rec.scenario.id.empty() ? "scenario" : rec.scenario.id;
    int failures = 0, errors = 0;
    std::chrono::microseconds total{0};
    std::ostringstream cases, out;
    // The Ant JUnit schema (tests/data/JUnit.xsd) allows a testcase only its
    // failure or error: what belongs to one testcase (its requirements, truth,
    // the value against its limits) goes into the suite's properties, named
    // "<testcase name>.<property>", and the suite's system-out.
    std::vector<std::pair<std::string, std::string>> props{
        {"run_id", rec.run_id},
        {"verdict", rec.verdict},
        {"dut_serial", rec.dut.serial},
        {"lot", rec.dut.lot},
        {"scenario_sha256", rec.scenario.sha256},
        {"software", rec.software.version + " " + rec.software.commit},
        {"timestamp_utc", rec.started_utc},
    };
    const auto case_property = [&props](const Measurement& m, const std::string& name, const std::string& value) {
        props.emplace_back(m.id + "." + name, value);
    };
    for (const auto& m : ms) {
        total += m.evaluation;
        cases << "    <testcase name=\"" << esc(m.id) << "\" classname=\"" << esc(suite + "." + m.name) << "\" time=\""
              << seconds(m.evaluation) << "\"";
        const std::string what =
            m.name + " = " + num(m.value) +
            (m.uncertainty ? " +/- " + num(m.uncertainty->U) + " (U, k = " + num(m.uncertainty->k) + ")" : "") + " " +
            m.unit + ", limits " + limits(m) + " (" + m.limits_source + ")";
        const std::string msg = what + (m.message.empty() ? "" : ": " + m.message);
        if (m.outcome == Outcome::fail) {
            ++failures;
            cases << ">\n      <failure message=\"" << esc(msg) << "\" type=\"FAIL\">" << esc(msg)
                  << "</failure>\n    </testcase>\n";
        } else if (m.outcome == Outcome::error) {
            ++errors;
            cases << ">\n      <error message=\"" << esc(msg) << "\" type=\"ERROR\">" << esc(msg)
                  << "</error>\n    </testcase>\n";
        } else {
            cases << "/>\n";
        }
        for (const auto& r : m.requirements) case_property(m, "requirement", r);
        if (m.truth) case_property(m, "truth", num(m.truth));
        // The value's expanded uncertainty and the decision rule it was judged
        // under; ERROR carries no value, so no U.
        if (m.uncertainty) {
            case_property(m, "uncertainty_U",
                          num(m.uncertainty->U) + " " + m.unit + " (k = " + num(m.uncertainty->k) + ")");
        }
        case_property(m, "decision_rule",
                      std::string(to_string(m.decision_rule)) + (m.conditional ? " (conditional: within U of a limit)" : ""));
        out << m.id << ": " << what << "\n";
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
        cases << "    <testcase name=\"run\" classname=\"" << esc(suite) << ".run\" time=\"0.000000\">\n"
              << "      <error message=\"" << esc(reason) << "\" type=\"" << esc(verdict) << "\">" << esc(reason)
              << "</error>\n    </testcase>\n";
        out << "run: " << reason << "\n";
    }
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites>\n"
      << "  <testsuite package=\"penrig\" id=\"0\" name=\"" << esc(suite) << "\" tests=\"" << tests
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" time=\"" << seconds(total)
      << "\" timestamp=\"" << esc(ant_timestamp(rec.started_utc)) << "\" hostname=\""
      << esc(rec.host.empty() ? "localhost" : rec.host) << "\">\n"
      << "    <properties>\n";
    for (const auto& [name, value] : props) {
        o << "      <property name=\"" << esc(name) << "\" value=\"" << esc(value) << "\"/>\n";
    }
    o << "    </properties>\n"
      << cases.str() << "    <system-out>" << esc(out.str()) << "</system-out>\n"
      << "    <system-err></system-err>\n"
      << "  </testsuite>\n</testsuites>\n";
    return o.str();
}

std::string junit_xml(const nlohmann::json& record) { return junit_xml(record.get<run_record::RunRecord>()); }

}  // namespace rig
