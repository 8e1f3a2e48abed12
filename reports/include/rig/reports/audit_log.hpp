#pragma once
// Append-only, hash-chained audit trail (21 CFR Part 11 §11.10(e)): every
// action that creates or changes a record, who did it, when (UTC), what, the
// old and the new value.
//
// File: JSON lines, one entry per line:
//   {"seq":1,"utc":"...Z","actor":"...","action":"run.started","subject":"runs/<id>",
//    "old":<json>,"new":<json>,"prev_hash":"<64 hex>","hash":"<64 hex>"}
// hash = SHA-256 of canonical_json(entry without "hash"); prev_hash of the
// first entry is 64 zeros.
//
// Head: a sidecar "<file>.head" holds {"seq","hash","bytes"} of the last entry
// (bytes = the log's size after it) and, when the rig has a key
// (<state>/keys/rig.key beside the log), "key_id" and "sig": Ed25519 by the rig
// key over canonical_json({"format":"penrig-audit-head/1","seq","hash","bytes"}).
// append() reads only the head and the last line: O(1) in the log's size.
//
// What is detected (verify(), `rig audit verify`):
// - an entry edited, removed, reordered or inserted: the chain;
// - entries cut from the end, the log deleted, or the whole chain recomputed
//   after edits: the head must be signed by the rig key whenever the rig has
//   one, and only the key's holder can sign a new head;
// - the log and its head replaced by an older copy (both consistent and
//   signed): each run sealed since carries the head at sealing time in its
//   signed manifest (bundle.hpp), an anchor that the older log lacks.
// What is not: a log rewritten by someone who holds the rig key; entries
// appended while the rig has no key, if the log is later rewritten wholesale.
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

/// The log's last entry as its head file records it.
struct AuditHead {
    std::uint64_t seq = 0;
    std::string hash;          // 64 zeros for an empty log
    std::uint64_t bytes = 0;   // size of the log file after that entry
    std::string key_id;        // "" when unsigned
    std::string sig;           // hex Ed25519, "" when unsigned
};

/// A point the log must contain: entry `seq` with `hash` (from a sealed run's
/// manifest). `source` names where the anchor came from, for messages.
struct AuditAnchor {
    std::uint64_t seq = 0;
    std::string hash;
    std::string source;
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
    /// The rig key is looked up as <folder of the log>/keys/rig.key (the state folder).
    explicit AuditLog(std::filesystem::path path, std::function<std::string()> utc_now = {});

    /// Appends one entry (creating the file and its folder if needed), signs
    /// the new head with the rig key if there is one, and returns the entry.
    /// Reads only the head and the last line. Refuses (std::runtime_error) to
    /// append when the last entry is damaged or disagrees with the head, so
    /// that a broken chain is not hidden behind new entries. A head one entry
    /// behind a last entry that chains onto it (a crash between the two
    /// writes) is accepted and brought up to date.
    AuditEntry append(std::string_view actor, std::string_view action, std::string_view subject,
                      const nlohmann::json& old_value, const nlohmann::json& new_value);

    /// The head as recorded (O(1)); nullopt when there is no head file.
    [[nodiscard]] std::optional<AuditHead> head() const;

    /// Walks the whole chain and checks the head (its signature when the rig
    /// has a key: keys/rig.pub, or keys/<id>.pub for a replaced key) and every
    /// anchor. A missing log is valid only when nothing says it existed (no
    /// head, no rig key, no anchor).
    [[nodiscard]] AuditVerifyResult verify(const std::vector<AuditAnchor>& anchors = {}) const;

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
/// An entry from its stored JSON form; throws nlohmann::json::exception when
/// a key is missing or of the wrong type.
AuditEntry audit_entry_from_json(const nlohmann::json& j);
/// The hash an entry must carry: SHA-256 of its canonical JSON without "hash".
std::string audit_entry_hash(const AuditEntry& e);

}  // namespace rig
