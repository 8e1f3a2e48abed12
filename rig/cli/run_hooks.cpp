#include "run_hooks.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

#include "rig/core/atomic_file.hpp"
#include "rig/hw/realtime.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/sim/sim_fixture.hpp"

namespace rig::cli {

std::filesystem::path state_dir(const std::string& option) {
    if (!option.empty()) return option;
    if (const char* e = std::getenv("PENRIG_STATE_DIR"); e != nullptr && *e != '\0') return e;
    return ".penrig";
}

std::unique_ptr<Fixture> make_run_fixture(const FixtureConfig& cfg, std::uint64_t seed, bool realtime) {
    if (cfg.backend == Backend::sim && realtime) return make_sim_fixture(cfg, seed, SimClockMode::realtime);
    return make_fixture(cfg, seed);
}

void install_run_hooks(RunOptions& ro, const FixtureConfig& fixture, const std::filesystem::path& state, bool sign,
                       bool realtime) {
    if (realtime || fixture.backend == Backend::hardware) {
        // A hardware fixture file says how; the sim on the monotonic clock
        // uses the reference fixture's settings: SCHED_FIFO 80, memory locked.
        hw::RealtimeOptions o;
        o.priority = 80;
        o.lock_memory = true;
        o.prefault_stack_kib = 256;
        if (fixture.backend == Backend::hardware) {
            o.priority = fixture.hardware.realtime.priority;
            o.cpu = fixture.hardware.realtime.cpu;
            o.lock_memory = fixture.hardware.realtime.lock_memory;
        }
        ro.realtime_setup = [o] {
            const auto rep = hw::apply_realtime(o);
            return nlohmann::json{{"applied", rep.applied}, {"failed", rep.failed}, {"sched_fifo", rep.fifo},
                                  {"memory_locked", rep.memory_locked}};
        };
    }
    const std::string who = ro.operator_id.name;
    const std::string dut = ro.dut_serial;
    ro.on_started = [state, who, dut](const std::string& run_id, const std::filesystem::path& dir) {
        AuditLog log(state / "audit.jsonl");
        log.append(who, "run.started", run_id, nullptr, {{"dir", dir.string()}, {"dut", dut}});
    };
    ro.on_finished = [state, sign, who](const std::filesystem::path& dir) {
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
            log.append(who, verdict == "ABORTED" ? "run.aborted" : "run.ended", rec.value("run_id", ""), nullptr,
                       {{"verdict", rec.value("verdict", "")}, {"dir", dir.string()},
                        {"scenario", rec["scenario"].value("id", "")}, {"dut", rec["dut"]}});
        } catch (const std::exception& e) {
            spdlog::error("audit trail: {}", e.what());
        }
    };
}

void audit_refused(const std::filesystem::path& state, const std::string& who, const Scenario& sc,
                   const std::string& why) {
    try {
        AuditLog log(state / "audit.jsonl");
        log.append(who, "run.refused", sc.id, nullptr, {{"reason", why}, {"fixture", sc.fixture.name}});
    } catch (const std::exception& e) {
        spdlog::error("audit trail: {}", e.what());
    }
}

}  // namespace rig::cli
