#pragma once
// The per-run HTML report: one self-contained file (inline CSS and SVG, no
// script, no external reference of any kind; a Content-Security-Policy of
// default-src 'none' makes a browser refuse anything else) that prints cleanly
// to PDF (A4, print CSS, rows and figures never split).
//
// Contents: an accredited-lab header (report id, DUT, pen model and spec
// version, rig and fixture, software version and commit, operator, UTC times,
// calibration status of each instrument, scenario id/version and SHA-256,
// overall verdict), the review status and e-signatures (an UNREVIEWED marker
// until a signature exists), every measurement grouped by requirement
// reference, plots (rate against time with setpoint and tolerance band; depth
// and force per stroke with limits; each step response with rise and settling
// marked; each stall on one time axis; the loop's lateness histogram), timing,
// steps and events, the input files verbatim, and the statements of scope.
//
// Inputs read from the record (reports/schema/run-record.schema.json). Optional
// `stats` the plots use when a measurement carries them (all times in seconds
// on the run's time axis):
//   rise_time / overshoot / settling_time: t0_s (setpoint change), initial_hz,
//     final_hz, t10_s, t90_s, settled_s, peak_hz
//   stall_latency: onset_s (needle motion ceased), cutoff_s (current below the
//     cut-off), cutoff_a, trace {t_s[], current_a[], position_mm[]}
// Without them the plots fall back to the window, the events and the value.
//
// Thread-safety: pure functions of their inputs (plus file I/O).

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/reports/signatures.hpp"

namespace rig {

struct HtmlReportInputs {
    nlohmann::json record;                // the run record
    std::string record_sha256;            // SHA-256 of canonical_json(record)
    std::vector<ESignature> signatures;   // in signing order
    std::string generated_utc;            // when the report is rendered
};

/// Renders the report. Never throws for a record that validates against the
/// schema; missing optional parts are shown as "not recorded".
std::string render_html_report(const HtmlReportInputs& in);

/// Reads <run_dir>/record.json (and signatures.json if present) and writes
/// <run_dir>/report.html atomically. Returns the path written. Throws
/// std::runtime_error / std::system_error with the path on a missing or
/// invalid record.
std::filesystem::path write_html_report(const std::filesystem::path& run_dir);
/// The same, written atomically to `out` instead (a sealed run folder's
/// report.html is covered by its signed manifest: `rig report --output`).
std::filesystem::path write_html_report(const std::filesystem::path& run_dir, const std::filesystem::path& out);

}  // namespace rig
