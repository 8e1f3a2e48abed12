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

std::string num(const nlohmann::json& v) {
    if (v.is_null()) return "-";
    std::ostringstream o;
    o.precision(6);
    o << v.get<double>();
    return o.str();
}

std::string limits(const nlohmann::json& m) {
    const bool lo = m.contains("low"), hi = m.contains("high");
    const std::string u = m.value("unit", "");
    if (lo && hi) return "[" + num(m["low"]) + ", " + num(m["high"]) + "] " + u;
    if (lo) return ">= " + num(m["low"]) + " " + u;
    if (hi) return "<= " + num(m["high"]) + " " + u;
    return "no limits";
}

}  // namespace

std::string junit_xml(const nlohmann::json& rec) {
    const auto& ms = rec.at("measurements");
    const std::string suite = rec.at("scenario").value("id", "scenario");
    int failures = 0, errors = 0;
    std::ostringstream cases;
    for (const auto& m : ms) {
        const std::string outcome = m.at("outcome");
        const double dur = m.at("window").value("end_s", 0.0) - m.at("window").value("start_s", 0.0);
        cases << "    <testcase name=\"" << esc(m.at("id")) << "\" classname=\"" << esc(suite + "." + m.at("name").get<std::string>())
              << "\" time=\"" << (dur > 0 ? dur : 0.0) << "\">\n";
        const std::string what = m.at("name").get<std::string>() + " = " + num(m.at("value")) + " " +
                                 m.value("unit", "") + ", limits " + limits(m) + " (" + m.value("limits_source", "") + ")";
        const std::string msg = what + (m.contains("message") ? ": " + m["message"].get<std::string>() : "");
        if (outcome == "FAIL") {
            ++failures;
            cases << "      <failure message=\"" << esc(msg) << "\" type=\"FAIL\">" << esc(msg) << "</failure>\n";
        } else if (outcome == "ERROR") {
            ++errors;
            cases << "      <error message=\"" << esc(msg) << "\" type=\"ERROR\">" << esc(msg) << "</error>\n";
        }
        std::string props;
        for (const auto& r : m.value("requirements", nlohmann::json::array())) {
            props += "        <property name=\"requirement\" value=\"" + esc(r.get<std::string>()) + "\"/>\n";
        }
        if (m.contains("truth")) props += "        <property name=\"truth\" value=\"" + num(m["truth"]) + "\"/>\n";
        if (!props.empty()) cases << "      <properties>\n" << props << "      </properties>\n";
        cases << "      <system-out>" << esc(what) << "</system-out>\n    </testcase>\n";
    }
    const std::string verdict = rec.value("verdict", "INCOMPLETE");
    int tests = static_cast<int>(ms.size());
    const bool blame_run = (verdict == "ABORTED" || verdict == "INCOMPLETE" ||
                            (verdict == "ERROR" && errors == 0));
    if (blame_run) {
        ++tests;
        ++errors;
        const std::string reason = verdict + ": " + rec.value("verdict_reason", "");
        cases << "    <testcase name=\"run\" classname=\"" << esc(suite) << ".run\" time=\"0\">\n"
              << "      <error message=\"" << esc(reason) << "\" type=\"" << verdict << "\">" << esc(reason)
              << "</error>\n    </testcase>\n";
    }
    std::ostringstream o;
    o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"penrig\" tests=\"" << tests << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n"
      << "  <testsuite name=\"" << esc(suite) << "\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" timestamp=\"" << esc(rec.value("started_utc", "")) << "\" hostname=\""
      << esc(rec.value("host", "")) << "\">\n"
      << "    <properties>\n"
      << "      <property name=\"run_id\" value=\"" << esc(rec.value("run_id", "")) << "\"/>\n"
      << "      <property name=\"verdict\" value=\"" << esc(verdict) << "\"/>\n"
      << "      <property name=\"dut_serial\" value=\"" << esc(rec["dut"].value("serial", "")) << "\"/>\n"
      << "      <property name=\"scenario_sha256\" value=\"" << esc(rec["scenario"].value("sha256", "")) << "\"/>\n"
      << "      <property name=\"software\" value=\"" << esc(rec["software"].value("version", "") + " " + rec["software"].value("commit", "")) << "\"/>\n"
      << "    </properties>\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
    return o.str();
}

}  // namespace rig
