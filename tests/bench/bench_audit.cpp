// Audit trail append time against the log's size: a rig appends for every
// run for years, so an append must not read the log (O(1): head + last line).
// For logs of 0, 10 000 and 100 000 entries (written directly, as years of
// use would leave them), times 200 appends with the rig key present (each
// append signs the new head) and prints the mean and the slowest.
// Prints figures; never pass/fail on time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/json_schema.hpp"
#include "temp_dir.hpp"

namespace {
// A valid chain of n entries and its head, as append() would have left them.
void write_log(const std::filesystem::path& log, std::uint64_t n) {
    std::string prev(64, '0');
    std::ofstream out(log, std::ios::binary);
    std::uint64_t bytes = 0;
    for (std::uint64_t i = 1; i <= n; ++i) {
        rig::AuditEntry e;
        e.seq = i;
        e.utc = "2026-01-01T00:00:00.000Z";
        e.actor = "ci";
        e.action = i % 2 ? "run.started" : "run.ended";
        e.subject = "runs/20260101T000000Z-NIGHTLY-01-" + std::to_string(i);
        e.new_value = {{"dir", e.subject}, {"verdict", "PASS"}};
        e.prev_hash = prev;
        e.hash = rig::audit_entry_hash(e);
        prev = e.hash;
        const std::string line = rig::canonical_json(rig::to_json(e)) + "\n";
        out << line;
        bytes += line.size();
    }
    out.close();
    rig::write_file_atomic(log.string() + ".head",
                           nlohmann::json{{"seq", n}, {"hash", prev}, {"bytes", bytes}}.dump() + "\n");
}
}  // namespace

int main() {
    std::printf("%10s %12s %14s %14s\n", "entries", "log MiB", "mean append", "slowest");
    for (const std::uint64_t n : {0ull, 10'000ull, 100'000ull}) {
        rig::test::TempDir tmp;
        const auto log_path = tmp / "audit.jsonl";
        write_log(log_path, n);
        rig::SigningKey::generate().save(tmp / "keys");
        rig::AuditLog log(log_path);
        constexpr int reps = 200;
        double total_us = 0, worst_us = 0;
        for (int i = 0; i < reps; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            log.append("bench", "run.started", "runs/x", nullptr, {{"i", i}});
            const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
            total_us += us;
            worst_us = std::max(worst_us, us);
        }
        const bool ok = log.verify().ok;
        std::printf("%10llu %12.1f %11.0f us %11.0f us%s\n", static_cast<unsigned long long>(n),
                    static_cast<double>(std::filesystem::file_size(log_path)) / (1024.0 * 1024.0), total_us / reps,
                    worst_us, ok ? "" : "  (verify FAILED)");
    }
    std::printf("(each append: flock, read head + last line, write + fsync the entry, sign and write the head)\n");
    return 0;
}
