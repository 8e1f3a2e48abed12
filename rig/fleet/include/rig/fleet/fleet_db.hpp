#pragma once
// The fleet database on PostgreSQL (libpq): every rig publishes its finished,
// signed runs; QA asks across rigs, DUTs and lots.
//
// Schema: versioned migrations (kMigrations in fleet_db.cpp, table
// schema_migrations); `rig db migrate --db URL` applies the missing ones in
// one transaction each. Tables: runs (the normalised columns of the run index,
// rig/index, plus key_id, the full record as JSONB, published_utc,
// published_by), measurements. Views: runs_of_dut, runs_of_lot (ordered by
// DUT/lot and time), rig_last_week (runs started in the last 7 days).
//
// Role model (created by migration 1; login roles are granted membership):
//   penrig_rig     INSERT and SELECT on runs and measurements (a rig
//                  publishes; SELECT for the idempotency check)
//   penrig_reader  SELECT on everything (QA, dashboards, `rig lot --db`)
//   the owner      runs the migrations
// Nobody updates or deletes a published run: no role is granted UPDATE or
// DELETE, and a trigger refuses UPDATE, DELETE and TRUNCATE for every role,
// the owner and superusers included (only dropping the trigger, a logged DDL
// change, could).
//
// Publishing is idempotent on (run_id, record_sha256): the same record again
// is "already published"; another record under a published run id is refused
// (conflict). The bundle's signature is verified before anything is sent.
//
// Outbox: `<state>/outbox/<run_id>.json` holds a run to publish; an entry is
// removed only once the database has the run (published or already there), so
// a run finished while the database is unreachable is published later,
// nothing lost and nothing twice. A refused run moves to outbox/rejected/.
//
// The outbox is capped at kOutboxMaxEntries entries (a file each). A run that
// finishes with the outbox full gets no entry: it is appended as one line to
// outbox/over-cap.jsonl (fsynced), enqueue() says so, and the daemon's hook
// logs an error and writes "fleet.outbox_full" to the audit trail for it. The
// run folder stays the source of truth: `rig runs prune` keeps such a run
// (index::runs_waiting_to_publish), and flush_outbox() moves over-cap runs
// back into the outbox, oldest first, as room frees up, so they are published
// once the database is back. Nothing is dropped; what outgrows the cap costs
// one ~200-byte line per run instead of a file.
#include <libpq-fe.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rig/reports/bundle.hpp"

namespace rig::fleet {

/// A PostgreSQL error; `unreachable` when the server could not be reached
/// (the outbox keeps the run and retries later).
class DbError : public std::runtime_error {
public:
    DbError(const std::string& what, bool unreachable) : std::runtime_error(what), unreachable_(unreachable) {}
    [[nodiscard]] bool unreachable() const { return unreachable_; }

private:
    bool unreachable_;
};

/// One libpq connection (RAII, move-only). connect_timeout 5 s unless the URL sets one.
class Db {
public:
    explicit Db(const std::string& url);
    ~Db();
    Db(Db&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
    Db& operator=(Db&&) = delete;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    /// Runs `sql` with text parameters ($1..; unset = NULL) and returns its
    /// rows, every column as text (unset = NULL). Throws DbError.
    std::vector<std::vector<std::optional<std::string>>> exec(const std::string& sql,
                                                              const std::vector<std::optional<std::string>>& params = {});

private:
    PGconn* c_ = nullptr;
};

inline constexpr int kSchemaVersion = 1;

/// Applies the missing migrations; returns the version reached.
int migrate(Db& db);
int schema_version(Db& db);

enum class PublishResult { published, already_published };

/// Thrown when a run is refused: the bundle does not verify, it is not
/// sealed, or another record is published under its run id.
class PublishRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Verifies `run_dir` with `key`, then inserts it (one transaction).
PublishResult publish_run_dir(Db& db, const std::filesystem::path& run_dir, const PublicKey& key);

/// Entries the outbox holds at most: 2 000 runs finished while the database
/// is unreachable (days of a busy rig's work).
inline constexpr std::size_t kOutboxMaxEntries = 2000;

enum class Enqueued { queued, over_cap };

/// Queues a run for publishing (`<state>/outbox/<run_id>.json`, written
/// atomically); with `max_entries` entries already waiting, appends it to
/// outbox/over-cap.jsonl instead and returns over_cap. Throws on a failed write.
Enqueued enqueue(const std::filesystem::path& state_dir, const std::filesystem::path& run_dir,
                 std::size_t max_entries = kOutboxMaxEntries);

struct FlushReport {
    std::size_t published = 0, already = 0, rejected = 0, pending = 0;
    std::string error;  // why the flush stopped (database unreachable), "" if it did not
};
/// Moves over-cap runs into the outbox while it holds fewer than
/// `max_entries`, then publishes every outbox entry, oldest first; stops at
/// the first unreachable-database error (the entries stay). `pending` counts
/// the over-cap runs too. Never throws.
FlushReport flush_outbox(const std::filesystem::path& state_dir, const std::string& url, const PublicKey& key,
                         std::size_t max_entries = kOutboxMaxEntries);

/// The daemon's hook (--publish-db): queues a finished run and sends the
/// outbox, verifying with `<state>/keys/rig.pub`. Logs; never throws (a run's
/// verdict never depends on the fleet database).
void publish_finished_run(const std::filesystem::path& state_dir, const std::string& url,
                          const std::filesystem::path& run_dir) noexcept;

}  // namespace rig::fleet
