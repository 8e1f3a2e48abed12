#include "rig/calibration/workflow.hpp"

#include <charconv>
#include <cmath>
#include <istream>
#include <ostream>
#include <vector>

#include "rig/core/utc_time.hpp"

namespace rig {
using nlohmann::json;

namespace {

struct Aborted {
    std::string why;
};

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// One prompt, one line. End of input aborts the workflow: nothing is recorded.
std::string ask(WorkflowIo& io, const std::string& prompt) {
    io.out << prompt << std::flush;
    std::string line;
    if (!std::getline(io.in, line)) throw Aborted{"input ended"};
    return trim(line);
}

void wait_enter(WorkflowIo& io, const std::string& prompt) { (void)ask(io, prompt + " Press Enter when ready. "); }

// A number, re-asked up to three times; empty input returns nullopt when allowed.
std::optional<double> ask_number(WorkflowIo& io, const std::string& prompt, bool allow_empty, double min_exclusive = 0.0) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string s = ask(io, prompt);
        if (s.empty() && allow_empty) return std::nullopt;
        double v = 0.0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(v) && v > min_exclusive) return v;
        io.out << "  '" << s << "' is not a number greater than " << min_exclusive << ".\n";
    }
    throw Aborted{"no valid number after three attempts"};
}

bool ask_yes(WorkflowIo& io, const std::string& prompt) {
    const std::string s = ask(io, prompt + " [y/N] ");
    return s == "y" || s == "Y" || s == "yes";
}

struct Reading {
    double mean = 0.0;
    double sd = 0.0;
    int n = 0;
};

// Averages readings spaced by the sample period on the fixture's clock (on the
// sim this advances the model; on hardware it waits). Too many failed reads
// abort: a calibration on a faulty channel would be worthless.
template <typename ReadFn>
Reading average(Fixture& fx, const WorkflowOptions& o, ReadFn read, const char* what) {
    std::vector<double> v;
    v.reserve(static_cast<std::size_t>(o.samples_per_point));
    int failed = 0;
    auto t = fx.clock().now();
    for (int i = 0; i < o.samples_per_point; ++i) {
        t += o.sample_period;
        fx.clock().sleep_until(t);
        const auto r = read();
        if (r) v.push_back(*r);
        else ++failed;
    }
    if (v.empty() || failed * 10 > o.samples_per_point)
        throw Aborted{std::string(what) + ": " + std::to_string(failed) + " of " + std::to_string(o.samples_per_point) +
                      " reads failed"};
    Reading r;
    r.n = static_cast<int>(v.size());
    for (double x : v) r.mean += x;
    r.mean /= static_cast<double>(r.n);
    for (double x : v) r.sd += (x - r.mean) * (x - r.mean);
    r.sd = r.n > 1 ? std::sqrt(r.sd / static_cast<double>(r.n - 1)) : 0.0;
    return r;
}

CalibrationRecord base_record(const Fixture& fx, const char* instrument, const char* unit, const WorkflowOptions& o) {
    CalibrationRecord r;
    if (const auto* c = fx.config().calibration_for(instrument)) r = *c;
    r.instrument = instrument;
    if (r.unit.empty()) r.unit = unit;
    const auto today = o.today.empty() ? utc_today() : parse_iso_date(o.today).value_or(utc_today());
    r.date = format_iso_date(today);
    r.due = format_iso_date(std::chrono::year_month_day(std::chrono::sys_days(today) + std::chrono::days(o.interval_days)));
    r.performed_by = o.operator_name;
    return r;
}

WorkflowResult finish(WorkflowResult res, WorkflowIo& io, CalibrationHistory* history, AuditLog* audit,
                      const CalibrationRecord& old, const WorkflowOptions& o) {
    const std::string actor = o.operator_name.empty() ? "unknown" : o.operator_name;
    io.out << res.message << "\n";
    if (res.result == "fail") {
        io.out << "Not recorded: the instrument is out of tolerance even after adjustment. Take it out of service.\n";
        if (audit != nullptr)
            audit->append(actor, "calibration.failed", res.record.instrument + ":" + res.record.id, to_json(old),
                          {{"record", to_json(res.record)}, {"data", res.data}});
        return res;
    }
    if (!ask_yes(io, "Accept and record this calibration?")) {
        res.result = "aborted";
        res.message = "not accepted by the operator; nothing recorded";
        io.out << res.message << "\n";
        return res;
    }
    const std::string utc = utc_now();
    if (history != nullptr) history->append({utc, res.record, res.data});
    if (audit != nullptr)
        audit->append(actor, "calibration.recorded", res.record.instrument + ":" + res.record.id, to_json(old),
                      {{"record", to_json(res.record)}, {"data", res.data}});
    res.accepted = true;
    io.out << "Recorded " << res.record.instrument << " " << res.record.id << ", due " << res.record.due
           << ". Copy the new scale/offset into the fixture file's calibration section.\n";
    return res;
}

// The reference standard the calibration is traceable to: required.
std::string ask_reference(WorkflowIo& io, const std::string& prompt) {
    std::string r = ask(io, prompt);
    if (r.empty()) throw Aborted{"a calibration needs its reference standard"};
    return r;
}

// Stopped by the operator or by bad input before anything was recorded.
WorkflowResult aborted(WorkflowResult res, WorkflowIo& io, const std::string& why) {
    res.result = "aborted";
    res.message = "calibration aborted: " + why + "; nothing recorded";
    io.out << "\n" << res.message << "\n";
    return res;
}

// What every workflow does around its own steps: the fixture made safe, the
// record in force kept (the audit trail's old value), then `steps` fill the
// new record and the result; recorded on the operator's acceptance, or, when
// the operator or the input stops it, `put_away` removes the reference
// standard and nothing is recorded.
template <typename Steps, typename PutAway>
WorkflowResult run_workflow(Fixture& fx, const char* instrument, const char* unit, WorkflowIo& io,
                            const WorkflowOptions& o, CalibrationHistory* history, AuditLog* audit, PutAway put_away,
                            Steps steps) {
    WorkflowResult res;
    fx.safe_state();
    CalibrationRecord rec = base_record(fx, instrument, unit, o);
    const CalibrationRecord old = rec;
    try {
        steps(rec, res);
        return finish(std::move(res), io, history, audit, old, o);
    } catch (const Aborted& a) {
        put_away();
        return aborted(std::move(res), io, a.why);
    }
}

}  // namespace

WorkflowResult run_load_cell_calibration(Fixture& fx, ReferenceLoad& reference, WorkflowIo io, const WorkflowOptions& o,
                                         CalibrationHistory* history, AuditLog* audit) {
    return run_workflow(fx, "load_cell", "N", io, o, history, audit, [&] { reference.remove(); },
                        [&](CalibrationRecord& rec, WorkflowResult& res) {
        io.out << "Load-cell calibration (tare and span) on fixture " << fx.config().name << "\n";
        if (rec.id.empty()) rec.id = ask(io, "Load-cell asset id: ");
        else io.out << "Instrument " << rec.id << ", in force: scale " << rec.scale << " N/count, offset " << rec.offset
                    << " N, due " << (rec.due.empty() ? "?" : rec.due) << "\n";
        rec.reference = ask_reference(io, "Reference standard (weight set id and certificate): ");

        reference.remove();
        wait_enter(io, "Step 1: tare. Remove every load from the load cell.");
        const Reading tare = average(fx, o, [&] { return fx.load_cell().read_n(); }, "tare");
        io.out << "  tare reading " << tare.mean << " N (sd " << tare.sd << " N, " << tare.n << " readings)\n";

        std::vector<SpanPoint> points;
        json jpoints = json::array();
        for (int k = 1;; ++k) {
            const auto grams = ask_number(io, "Step " + std::to_string(k + 1) + ": mass of reference weight " +
                                                  std::to_string(k) + " in g (empty line when done): ",
                                          !points.empty());
            if (!grams) break;
            const double force_n = reference_force_n(*grams / 1000.0, o.g_m_s2);
            reference.apply_n(force_n);
            wait_enter(io, "  Place the " + std::to_string(*grams) + " g weight (" + std::to_string(force_n) +
                               " N) on the load cell.");
            const Reading r = average(fx, o, [&] { return fx.load_cell().read_n(); }, "span");
            reference.remove();
            io.out << "  reading " << r.mean << " N (sd " << r.sd << " N)\n";
            points.push_back({force_n, r.mean});
            jpoints.push_back({{"mass_g", *grams}, {"reference_n", force_n}, {"reading_n", r.mean}, {"sd_n", r.sd}, {"n", r.n}});
        }
        SpanFit fit;
        try {
            fit = fit_span(tare.mean, points);
        } catch (const std::invalid_argument& e) {
            throw Aborted{e.what()};  // no weights, or readings that do not move
        }
        const bool as_found_ok = fit.as_found_max_error_pct <= o.tolerance_pct;
        const bool as_left_ok = fit.max_residual_pct <= o.tolerance_pct;
        rec = compose_adjustment(rec, fit.gain, fit.offset_n);
        rec.result = !as_left_ok ? "fail" : as_found_ok ? "pass" : "adjusted";
        res.record = rec;
        res.result = rec.result;
        res.data = {{"tare_n", tare.mean},        {"tare_sd_n", tare.sd},
                    {"points", jpoints},          {"gain", fit.gain},
                    {"offset_n", fit.offset_n},   {"as_found_max_error_n", fit.as_found_max_error_n},
                    {"as_found_max_error_pct", fit.as_found_max_error_pct},
                    {"as_left_max_residual_n", fit.max_residual_n},
                    {"as_left_max_residual_pct", fit.max_residual_pct},
                    {"tolerance_pct", o.tolerance_pct}, {"g_m_s2", o.g_m_s2}};
        res.message = "As found: max error " + std::to_string(fit.as_found_max_error_pct) + " % of span; as left: max residual " +
                      std::to_string(fit.max_residual_pct) + " % (tolerance " + std::to_string(o.tolerance_pct) +
                      " %). New scale " + std::to_string(rec.scale) + " N/count, offset " + std::to_string(rec.offset) +
                      " N. Result: " + rec.result + ".";
    });
}

WorkflowResult run_encoder_check(Fixture& fx, GaugeBlock& gauge, WorkflowIo io, const WorkflowOptions& o,
                                 CalibrationHistory* history, AuditLog* audit) {
    return run_workflow(fx, "encoder", "m", io, o, history, audit, [&] { gauge.remove(); },
                        [&](CalibrationRecord& rec, WorkflowResult& res) {
        io.out << "Encoder scale check against a gauge block on fixture " << fx.config().name << "\n";
        if (rec.id.empty()) rec.id = ask(io, "Encoder asset id: ");
        else io.out << "Instrument " << rec.id << ", in force: scale " << rec.scale << " m/count, due " << rec.due << "\n";
        rec.reference = ask_reference(io, "Gauge block (id and certificate): ");
        const double gauge_mm = *ask_number(io, "Certified gauge-block thickness in mm: ", false);

        gauge.remove();
        wait_enter(io, "Step 1: with the pen off, bring the needle tip to rest on the reference surface.");
        const Reading zero = average(fx, o, [&] { return fx.encoder().read_mm(); }, "zero");
        gauge.place_mm(gauge_mm);
        wait_enter(io, "Step 2: put the gauge block under the needle tip and bring the tip to rest on it.");
        const Reading on = average(fx, o, [&] { return fx.encoder().read_mm(); }, "gauge");
        gauge.remove();

        const EncoderCheck c = check_encoder_scale(zero.mean, on.mean, gauge_mm, o.tolerance_mm, rec.scale);
        // Within tolerance the scale in force stays; outside it, the corrected
        // scale is recorded as an adjustment.
        if (!c.pass) rec.scale = c.corrected_scale;
        rec.result = c.pass ? "pass" : "adjusted";
        res.record = rec;
        res.result = rec.result;
        res.data = {{"gauge_mm", gauge_mm},          {"zero_reading_mm", zero.mean}, {"gauge_reading_mm", on.mean},
                    {"measured_mm", c.measured_mm},  {"error_mm", c.error_mm},       {"error_pct", c.error_pct},
                    {"tolerance_mm", o.tolerance_mm}, {"corrected_scale", c.corrected_scale}};
        res.message = "Measured " + std::to_string(c.measured_mm) + " mm on a " + std::to_string(gauge_mm) +
                      " mm gauge: error " + std::to_string(c.error_mm * 1000.0) + " um (tolerance ±" +
                      std::to_string(o.tolerance_mm * 1000.0) + " um). Result: " + rec.result + ".";
    });
}

}  // namespace rig
