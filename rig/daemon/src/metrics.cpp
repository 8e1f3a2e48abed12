// The Prometheus text exposition format (version 0.0.4) of the daemon's
// figures. Names: `penrig_` prefix, base units (seconds), `_total` for
// counters; every family has HELP and TYPE before its samples.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "rig/daemon/http.hpp"

namespace rig::daemon {
namespace {

/// A label value escaped as the format asks (backslash, double quote, newline).
std::string esc(std::string_view v) {
    std::string o;
    o.reserve(v.size());
    for (const char c : v) {
        if (c == '\\') {
            o += "\\\\";
        } else if (c == '"') {
            o += "\\\"";
        } else if (c == '\n') {
            o += "\\n";
        } else {
            o += c;
        }
    }
    return o;
}

/// A sample value: Go's float formatting is what Prometheus reads; integers
/// print without exponent, +Inf/-Inf/NaN by name.
std::string num(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // The shortest text that reads back as the same double (what Go's
    // strconv, and so Prometheus, prints and parses).
    char b[64];
    const auto r = std::to_chars(b, b + sizeof b, v);
    return std::string(b, r.ptr);
}

class Out {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        s_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
    }
    void sample(std::string_view name, std::string_view labels, double v) {
        s_ << name;
        if (!labels.empty()) s_ << '{' << labels << '}';
        s_ << ' ' << num(v) << '\n';
    }
    /// A histogram from per-bucket counts (the last is +Inf): cumulative buckets, _count, _sum when known.
    void histogram(std::string_view name, const std::vector<double>& upper, const std::vector<std::uint64_t>& counts,
                   std::optional<double> sum) {
        double cum = 0;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            cum += static_cast<double>(counts[i]);
            const std::string le = i < upper.size() ? num(upper[i]) : std::string("+Inf");
            sample(std::string(name) + "_bucket", "le=\"" + le + "\"", cum);
        }
        if (counts.empty()) sample(std::string(name) + "_bucket", "le=\"+Inf\"", 0);
        if (sum) sample(std::string(name) + "_sum", "", *sum);
        sample(std::string(name) + "_count", "", cum);
    }
    std::string str() const { return s_.str(); }

private:
    std::ostringstream s_;
};

}  // namespace

std::string render_metrics(const MetricsInput& m) {
    Out o;
    o.family("penrig_build_info", "gauge", "Software version and fixture of this daemon (always 1).");
    o.sample("penrig_build_info",
             "version=\"" + esc(m.version) + "\",fixture=\"" + esc(m.fixture) + "\",backend=\"" + esc(m.backend) + "\"", 1);

    o.family("penrig_start_time_seconds", "gauge", "Unix time the daemon started.");
    o.sample("penrig_start_time_seconds", "", m.start_time_s);

    o.family("penrig_rig_state", "gauge", "State of the rig: 1 for the current state, 0 for the others.");
    for (const char* st : {"idle", "running", "stopping"}) {
        o.sample("penrig_rig_state", std::string("state=\"") + st + "\"", m.state == st ? 1 : 0);
    }

    o.family("penrig_queue_length", "gauge", "Runs waiting in the queue.");
    o.sample("penrig_queue_length", "", static_cast<double>(m.queue_length));

    o.family("penrig_runs_total", "counter", "Runs finished since the daemon started, by verdict.");
    for (const auto v : kVerdicts) {
        const auto it = m.runs_by_verdict.find(std::string(v));
        o.sample("penrig_runs_total", "verdict=\"" + std::string(v) + "\"",
                 it == m.runs_by_verdict.end() ? 0.0 : static_cast<double>(it->second));
    }

    o.family("penrig_run_duration_seconds", "histogram", "Duration of the runs finished since the daemon started.");
    const std::vector<double> rb(std::begin(kRunDurationBounds), std::end(kRunDurationBounds));
    auto rc = m.run_duration_counts;
    rc.resize(rb.size() + 1, 0);
    o.histogram("penrig_run_duration_seconds", rb, rc, m.run_duration_sum_s);

    // The loop records bucket counts, not the sum of its lateness: no _sum
    // (a guessed one would be worse than none; histogram_quantile needs only buckets).
    o.family("penrig_loop_lateness_seconds", "histogram",
             "Acquisition loop wake-up lateness of the runs since the daemon started (from their records).");
    auto lc = m.lateness_counts;
    lc.resize(m.lateness_upper_s.size() + 1, 0);
    o.histogram("penrig_loop_lateness_seconds", m.lateness_upper_s, lc, std::nullopt);

    o.family("penrig_loop_samples_total", "counter", "Acquisition loop samples of the runs since the daemon started.");
    o.sample("penrig_loop_samples_total", "", static_cast<double>(m.loop_samples));
    o.family("penrig_loop_missed_samples_total", "counter",
             "Samples the acquisition loop missed in the runs since the daemon started.");
    o.sample("penrig_loop_missed_samples_total", "", static_cast<double>(m.missed_samples));
    o.family("penrig_loop_late_samples_total", "counter",
             "Samples later than the fixture's lateness budget in the runs since the daemon started.");
    o.sample("penrig_loop_late_samples_total", "", static_cast<double>(m.late_samples));

    // Base unit seconds (Prometheus convention; Grafana shows it in days):
    // time until the due date's start, negative when overdue.
    o.family("penrig_calibration_remaining_seconds", "gauge",
             "Time until an instrument's calibration is due (negative: overdue); absent when the due date is not a date.");
    for (const auto& c : m.calibration) {
        if (!c.days_remaining) continue;
        o.sample("penrig_calibration_remaining_seconds", "instrument=\"" + esc(c.instrument) + "\",id=\"" + esc(c.id) + "\"",
                 static_cast<double>(*c.days_remaining) * 86400.0);
    }
    o.family("penrig_calibration_valid", "gauge", "1 when the instrument's calibration is valid today, else 0.");
    for (const auto& c : m.calibration) {
        o.sample("penrig_calibration_valid", "instrument=\"" + esc(c.instrument) + "\",id=\"" + esc(c.id) + "\"",
                 c.days_remaining && *c.days_remaining >= 0 ? 1 : 0);
    }

    o.family("penrig_last_run_verdict", "gauge",
             "Verdict of the last finished run of each scenario: 1 for its verdict, 0 for the others.");
    for (const auto& r : m.last_run_by_scenario) {
        for (const auto v : kVerdicts) {
            o.sample("penrig_last_run_verdict", "scenario=\"" + esc(r.scenario) + "\",verdict=\"" + std::string(v) + "\"",
                     r.verdict == v ? 1 : 0);
        }
    }
    o.family("penrig_last_run_end_time_seconds", "gauge", "Unix time the last run of each scenario ended.");
    for (const auto& r : m.last_run_by_scenario) {
        o.sample("penrig_last_run_end_time_seconds", "scenario=\"" + esc(r.scenario) + "\"", r.ended_s);
    }

    o.family("penrig_http_connections", "gauge", "HTTP connections open to the dashboard.");
    o.sample("penrig_http_connections", "", static_cast<double>(m.http_connections));
    o.family("penrig_http_event_streams", "gauge", "Live-event streams (Server-Sent Events) open to the dashboard.");
    o.sample("penrig_http_event_streams", "", static_cast<double>(m.http_event_streams));
    return o.str();
}

}  // namespace rig::daemon
