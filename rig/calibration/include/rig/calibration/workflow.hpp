#pragma once
// Operator workflows for calibration on the rig: load-cell tare and span with
// reference weights, encoder scale check against a gauge block. They prompt on
// the given streams (the terminal in `rig calibrate`, scripted streams in
// tests), read through the Fixture's part interfaces, and on acceptance append
// to the calibration history and the audit trail.
//
// The reference standard is placed by the operator on hardware. On the sim
// nobody can, so the placement goes through ReferenceLoad / GaugeBlock: the
// hardware implementation does nothing (the prompt is the action), a sim
// implementation applies the load or position in the model.
//
// Lifecycle/threads: runs on the caller's thread, with the fixture idle (no
// run in progress); puts the fixture in its safe state first (pen unpowered).

#include <chrono>
#include <iosfwd>
#include <string>

#include "rig/calibration/calibration.hpp"
#include "rig/drivers/fixture.hpp"

namespace rig {

/// Puts a reference weight on the load cell (sim) or nothing (hardware).
class ReferenceLoad {
public:
    virtual ~ReferenceLoad() = default;
    virtual void apply_n(double force_n) = 0;
    virtual void remove() = 0;
};

/// Puts a gauge block under the needle tip (sim) or nothing (hardware).
class GaugeBlock {
public:
    virtual ~GaugeBlock() = default;
    virtual void place_mm(double thickness_mm) = 0;
    virtual void remove() = 0;
};

/// The operator places the standard; the prompt is the whole action.
class OperatorPlacedStandard final : public ReferenceLoad, public GaugeBlock {
public:
    void apply_n(double) override {}
    void place_mm(double) override {}
    void remove() override {}
};

struct WorkflowIo {
    std::istream& in;
    std::ostream& out;
};

struct WorkflowOptions {
    std::string operator_name;                 // who performs it (audit actor, performed_by)
    std::string today;                         // ISO date of the calibration; "" = UTC today
    int interval_days = 365;                   // due = today + interval
    int samples_per_point = 200;               // readings averaged per point
    std::chrono::nanoseconds sample_period{std::chrono::milliseconds(1)};
    double g_m_s2 = standard_gravity_m_s2;     // local gravity for reference weights
    double tolerance_pct = 0.5;                // load cell: max residual, % of the largest reference
    double tolerance_mm = 0.002;               // encoder: |measured - gauge|
};

struct WorkflowResult {
    bool accepted = false;         // recorded in history and audit trail
    std::string result;            // "pass", "adjusted", "fail", or "aborted"
    CalibrationRecord record;      // the new record (valid when result is not "aborted")
    nlohmann::json data;           // raw data and fit
    std::string message;
};

/// `instrument_id`: asset id of the load cell; the record in force (if the
/// fixture has one) supplies the scale that the adjustment composes with.
WorkflowResult run_load_cell_calibration(Fixture& fixture, ReferenceLoad& reference, WorkflowIo io,
                                         const WorkflowOptions& options, CalibrationHistory* history,
                                         AuditLog* audit);

WorkflowResult run_encoder_check(Fixture& fixture, GaugeBlock& gauge, WorkflowIo io, const WorkflowOptions& options,
                                 CalibrationHistory* history, AuditLog* audit);

}  // namespace rig
