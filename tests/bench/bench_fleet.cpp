// Publishing and indexing many runs: runs/s and memory (RSS) of the run index
// (SQLite) and of publishing to the fleet database (a real PostgreSQL server,
// tests/common/pg_server.hpp).
//
//   bench_fleet [N = 10000] [rig binary]
//
// The runs: ONE real run is made at bench time (`rig keygen`, then `rig run
// scenarios/smoke.yaml`, signed); N run folders are then derived from it,
// because running the sim N times would take hours: each copy gets a new run
// id (and folder name), its own DUT serial and lot, its record.json rewritten,
// samples.bin / junit.xml / report.html hard-linked (same bytes), and the
// folder sealed anew with the rig key (manifest.json + manifest.sig), so the
// index checks each record against its manifest and publishing verifies each
// signature exactly as for a real run. Each phase runs in a child process of
// its own so that its peak RSS (VmHWM) is its own.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "child_process.hpp"
#include "daemon_bench.hpp"
#include "pg_server.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/fleet/fleet_db.hpp"
#include "rig/index/run_index.hpp"
#include "rig/reports/bundle.hpp"
#include "temp_dir.hpp"

using namespace rig;
using namespace rig::test;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// RSS when the phase's process started: a forked child's RSS counts the
/// parent's pages it inherited (the list of N folders among them), so the
/// phase's own memory is its RSS above this.
double g_start_rss_mib = 0.0;

void print_phase(const char* what, std::size_t n, double s) {
    const double rss = vm_status_mib(::getpid(), "VmRSS");
    std::printf("%-34s %6zu runs  %8.2f s  %9.1f runs/s  RSS %6.1f MiB (%+.1f MiB over its start)  peak RSS %6.1f MiB\n",
                what, n, s, static_cast<double>(n) / s, rss, rss - g_start_rss_mib,
                vm_status_mib(::getpid(), "VmHWM"));
    std::fflush(stdout);
}

/// Runs `fn` in a child process (its own peak RSS); false if it failed.
template <typename F>
bool in_child(F fn) {
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
        g_start_rss_mib = vm_status_mib(::getpid(), "VmRSS");
        int rc = 0;
        try {
            rc = fn();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bench_fleet: %s\n", e.what());
            rc = 1;
        }
        std::fflush(stdout);
        ::_exit(rc);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 10000;
    choose_rig(argc > 2 ? argv[2] : nullptr);
    TempDir tmp;
    const auto state = tmp / "state";
    const auto runs = tmp / "runs";
    fs::create_directories(runs);

    // The one real run.
    {
        Proc k({rig_exe(), "keygen", "--state-dir", state.string()}, tmp / "keygen");
        const auto e = k.wait(std::chrono::seconds(60));
        if (!e || e->code != 0) {
            std::cerr << "bench_fleet: rig keygen failed: " << k.err() << "\n";
            return 1;
        }
    }
    Proc run({rig_exe(), "run", (source_dir() / "scenarios/smoke.yaml").string(), "--json", "--runs-dir",
              (tmp / "template").string(), "--state-dir", state.string(), "--dut", "SN-00000", "--lot", "LOT-000"},
             tmp / "run");
    const auto e = run.wait(std::chrono::minutes(5));
    const auto out = run.out();
    if (!e || e->code != 0 || out.rfind("{\"") == std::string::npos) {
        std::cerr << "bench_fleet: the template run failed: " << run.err() << "\n";
        return 1;
    }
    const fs::path tdir = nlohmann::json::parse(out.substr(out.rfind("{\""))).at("dir").get<std::string>();
    const auto trec = nlohmann::json::parse(read_file(tdir / "record.json"));
    const auto template_id = trec.at("run_id").get<std::string>();
    std::uintmax_t folder_bytes = 0;
    for (const auto& f : fs::directory_iterator(tdir)) {
        if (f.is_regular_file()) folder_bytes += f.file_size();
    }
    std::printf("bench_fleet: %zu runs derived from one real run (%s, %zu measurements, folder %.1f MiB, "
                "data files hard-linked)\n",
                n, template_id.c_str(), trec.at("measurements").size(), static_cast<double>(folder_bytes) / 1048576.0);

    // Derive and seal N folders.
    std::vector<fs::path> dirs;
    dirs.reserve(n);
    {
        const auto key = SigningKey::load(state / "keys" / "rig.key");
        const auto t0 = Clock::now();
        for (std::size_t i = 0; i < n; ++i) {
            char id[64];
            std::snprintf(id, sizeof id, "%s-b%05zu", template_id.c_str(), i);
            char dut[32], lot[32];
            std::snprintf(dut, sizeof dut, "SN-%05zu", i % 2000);
            std::snprintf(lot, sizeof lot, "LOT-%03zu", i / 1000);
            const fs::path d = runs / id;
            fs::create_directories(d);
            auto rec = trec;
            rec["run_id"] = id;
            rec["dut"]["serial"] = dut;
            rec["dut"]["lot"] = lot;
            write_file_atomic(d / "record.json", rec.dump(2) + "\n");
            for (const auto& f : fs::directory_iterator(tdir)) {
                const auto name = f.path().filename().string();
                if (!f.is_regular_file() || name == "record.json" || name.rfind("manifest.", 0) == 0) continue;
                fs::create_hard_link(f.path(), d / name);
            }
            seal_run_dir(d, key);
            dirs.push_back(d);
        }
        print_phase("derive + seal (setup, not timed)", n, seconds_since(t0));
    }

    // The run index: every folder indexed (record read and hashed, checked against its manifest).
    const bool index_ok = in_child([&] {
        index::RunIndex idx(tmp / "index.sqlite");
        const auto t0 = Clock::now();
        std::size_t bad = 0;
        for (const auto& d : dirs) {
            if (!index::index_run_dir(idx, d).indexed) ++bad;
        }
        print_phase("index (SQLite, one run at a time)", n, seconds_since(t0));
        if (bad != 0 || idx.run_count() != static_cast<std::int64_t>(n)) {
            std::fprintf(stderr, "bench_fleet: %zu runs not indexed\n", bad);
            return 1;
        }
        const auto t1 = Clock::now();
        const auto rep = index::reindex(idx, runs);
        print_phase("reindex RUNS_DIR (all again)", rep.indexed, seconds_since(t1));
        return rep.refused == 0 ? 0 : 1;
    });

    // The fleet database: every folder verified (signature, every file's hash) and inserted.
    bool publish_ok = true;
    if (!PgServer::available()) {
        std::printf("publish: SKIPPED (PostgreSQL binaries not installed)\n");
    } else {
        PgServer pg;
        {
            fleet::Db admin(pg.url());
            admin.exec("CREATE DATABASE fleet");
            fleet::Db db(pg.url("fleet"));
            fleet::migrate(db);
        }
        publish_ok = in_child([&] {
            fleet::Db db(pg.url("fleet"));
            const auto key = load_public_key(state / "keys" / "rig.pub");
            const auto t0 = Clock::now();
            for (const auto& d : dirs) {
                if (fleet::publish_run_dir(db, d, key) != fleet::PublishResult::published) return 1;
            }
            print_phase("publish (verify + insert, one tx/run)", n, seconds_since(t0));
            const auto t1 = Clock::now();
            for (const auto& d : dirs) {
                if (fleet::publish_run_dir(db, d, key) != fleet::PublishResult::already_published) return 1;
            }
            print_phase("publish again (all already there)", n, seconds_since(t1));
            const auto rows = db.exec("SELECT count(*), pg_database_size('fleet') FROM runs");
            std::printf("fleet database: %s runs, %.1f MiB\n", rows.at(0).at(0)->c_str(),
                        std::stod(*rows.at(0).at(1)) / 1048576.0);
            return 0;
        });
    }
    return index_ok && publish_ok ? 0 : 1;
}
