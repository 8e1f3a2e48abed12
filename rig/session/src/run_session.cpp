#include "rig/session/run_session.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "rig/core/atomic_file.hpp"
#include "rig/hw/realtime.hpp"
#include "rig/index/run_index.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/html_report.hpp"

namespace rig {

std::filesystem::path resolve_state_dir(const std::string& option, const std::filesystem::path& fallback) {
    if (!option.empty()) return option;
    if (const char* e = std::getenv("PENRIG_STATE_DIR"); e != nullptr && *e != '\0') return e;
    return fallback;
}

void audit_refusal(const std::filesystem::path& state_dir, const std::string& actor, const std::string& subject,
                   const nlohmann::json& detail) {
    try {
        AuditLog log(state_dir / "audit.jsonl");
        log.append(actor, "run.refused", subject, nullptr, detail);
    } catch (const std::exception& e) {
        spdlog::error("audit trail: cannot record the refusal: {}", e.what());
    }
}

namespace {

/// SCHED_FIFO, locked memory and CPU pinning for the acquisition thread: a
/// fixture that needs them says how in its file; a model asked to run in
/// real time gets the reference fixture's settings (SCHED_FIFO 80, locked).
std::function<nlohmann::json()> realtime_setup(const FixtureConfig& fixture, bool from_file) {
    hw::RealtimeOptions o;
    o.priority = 80;
    o.lock_memory = true;
    o.prefault_stack_kib = 256;
    if (from_file) {
        o.priority = fixture.hardware.realtime.priority;
        o.cpu = fixture.hardware.realtime.cpu;
        o.lock_memory = fixture.hardware.realtime.lock_memory;
    }
    return [o] {
        const auto rep = hw::apply_realtime(o);
        return nlohmann::json{{"applied", rep.applied}, {"failed", rep.failed}, {"sched_fifo", rep.fifo},
                              {"memory_locked", rep.memory_locked}};
    };
}

/// The evidence written around a run: audit entries at start and end, the
/// HTML report and the signed manifest once the record is closed.
void install_evidence_hooks(RunOptions& ro, const SessionOptions& so, const std::string& actor) {
    const auto state = so.state_dir;
    const std::string dut = ro.dut_serial;
    ro.on_started = [state, actor, dut](const std::string& run_id, const std::filesystem::path& dir) {
        AuditLog log(state / "audit.jsonl");
        log.append(actor, "run.started", run_id, nullptr, {{"dir", dir.string()}, {"dut", dut}});
    };
    ro.on_finished = [state, sign = so.sign, actor, before = so.before_evidence, index = so.index,
                      after = so.after_evidence](const std::filesystem::path& dir) {
        if (before) before(dir);
        write_html_report(dir);
        const auto key_file = state / "keys" / "rig.key";
        std::error_code ec;
        if (sign && std::filesystem::exists(key_file, ec)) {
            const AuditLog log(state / "audit.jsonl");
            seal_run_dir(dir, SigningKey::load(key_file), &log);  // the manifest anchors the audit trail
        } else if (sign) {
            spdlog::info("no rig key in {} (rig keygen creates one): run folder not signed", key_file.parent_path().string());
        }
        try {
            AuditLog log(state / "audit.jsonl");
            const auto rec = nlohmann::json::parse(read_file(dir / "record.json"));
            const std::string verdict = rec.value("verdict", "");
            log.append(actor, verdict == "ABORTED" ? "run.aborted" : "run.ended", rec.value("run_id", ""), nullptr,
                       {{"verdict", verdict}, {"dir", dir.string()},
                        {"scenario", rec["scenario"].value("id", "")}, {"dut", rec["dut"]}});
        } catch (const std::exception& e) {
            spdlog::error("audit trail: {}", e.what());
        }
        // Last: the index and the publisher see the folder as it will stay.
        if (index) index::index_finished_run(state, dir);
        if (after) after(dir);
    };
}

}  // namespace

RunSession::RunSession(const Scenario& sc, RunOptions ro, SessionOptions so, std::atomic<bool>& abort,
                       RunObserver* observer)
    : sc_(sc), so_(std::move(so)), ro_(std::move(ro)) {
    const auto caps = capabilities_of(sc.fixture);
    if (!so_.today) so_.today = today_source();
    if (!ro_.today) ro_.today = so_.today();
    if (so_.actor.empty()) so_.actor = ro_.operator_id.name;
    if (so_.shared_fixture != nullptr) {
        fixture_ = so_.shared_fixture;
    } else {
        // A rig with real parts is driven by one process at a time: the same
        // lock as the daemon's. Models are independent; no lock.
        if (caps.exclusive) lock_.emplace(so_.lock_dir, sc.fixture.name);
        const bool wall_clock = so_.realtime;
        own_fixture_ = so_.make_fixture ? so_.make_fixture(sc.fixture, ro_.seed)
                                        : make_fixture(sc.fixture, ro_.seed, wall_clock);
        fixture_ = own_fixture_.get();
    }
    if (caps.acknowledges_prompts) ro_.prompt = nullptr;
    if (so_.realtime || caps.needs_realtime_thread) ro_.realtime_setup = realtime_setup(sc.fixture, caps.needs_realtime_thread);
    install_evidence_hooks(ro_, so_, so_.actor);
    runner_ = std::make_unique<Runner>(sc_, *fixture_, ro_, abort, observer);
}

RunSession::~RunSession() {
    runner_.reset();
    own_fixture_.reset();  // safe state before the lock goes
    lock_.reset();
}

GateDecision RunSession::preflight() {
    try {
        return runner_->preflight();
    } catch (const CalibrationRefused& e) {
        auto detail = e.decision().audit_detail();
        detail["fixture"] = sc_.fixture.name;
        detail["scenario"] = sc_.id;
        audit_refusal(so_.state_dir, so_.actor, sc_.source.path, detail);
        throw;
    }
}

RunResult RunSession::run() { return runner_->run(); }

}  // namespace rig
