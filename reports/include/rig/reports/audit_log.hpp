#pragma once
// Append-only, hash-chained audit trail (21 CFR Part 11 §11.10(e)): every
// action that creates or changes a record, who did it, when (UTC), what, the
// old and the new value.
//
// File: JSON lines, one entry per line:
//   {"seq":1,"utc":"...Z","actor":"...","action":"run.started","subject":"runs/<id>",
//    "old":<json>,"new":<json>,"prev_hash":"<64 hex>","hash":"<64 hex>"}
// hash = SHA-256 of canonical_json(entry without "hash"); prev_hash of the
// first entry is 64 zeros. A sidecar "<file>.head" holds the last seq and hash,
// so that removing entries from the end is detected too.
//
// What the chain proves: any removed, reordered, inserted or edited entry is
// found by verify(). It is not a secret-keyed MAC: someone with write access
// who rewrites the whole chain and its head is stopped by file permissions
// (the daemon's user owns the state folder), not by the hash.
//
// Actions used by penrig: run.submitted, run.started, run.ended, run.aborted,
// run.refused, report.generated, bundle.sealed, signature.added,
// calibration.recorded, fixture.changed, spec.changed, key.generated.
//
// Thread/process safety: append() takes an exclusive flock on the file, so the
// daemon and CLI invocations may append concurrently. Not for the real-time path.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rig {

struct AuditEntry {
    std::uint64_t seq = 0;
    std::string utc;
    std::string actor;
    std::string action;
    std::string subject;
    nlohmann::json old_value;  // "old" in the file; null when nothing existed before
    nlohmann::json new_value;  // "new" in the file
    std::string prev_hash;
    std::string hash;
};

struct AuditVerifyResult {
    bool ok = true;
    std::size_t entries = 0;
    std::optional<std::uint64_t> first_bad_seq;  // the seq expected at the first bad position
    std::size_t first_bad_line = 0;              // 1-based line in the file (0 if the head is the problem)
    std::string message;                         // what is wrong, or "N entries, chain intact"
};

class AuditLog {
public:
    /// `utc_now` supplies entry times (injectable for tests); default: system clock.
    explicit AuditLog(std::filesystem::path path, std::function<std::string()> utc_now = {});

    /// Appends one entry (creating the file and its folder if needed) and
    /// returns it. Refuses (std::runtime_error) to append to a log whose last
    /// entry is damaged, so that a broken chain is not hidden behind new entries.
    AuditEntry append(std::string_view actor, std::string_view action, std::string_view subject,
                      const nlohmann::json& old_value, const nlohmann::json& new_value);

    /// Walks the whole chain and the head. A missing file is an empty, valid log.
    [[nodiscard]] AuditVerifyResult verify() const;

    /// All entries as stored (no verification). Throws std::runtime_error on a
    /// line that is not an entry.
    [[nodiscard]] std::vector<AuditEntry> read() const;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::function<std::string()> utc_now_;
};

/// The entry's JSON form as stored (with "hash").
nlohmann::json to_json(const AuditEntry& e);
/// The hash an entry must carry: SHA-256 of its canonical JSON without "hash".
std::string audit_entry_hash(const AuditEntry& e);

}  // namespace rig
