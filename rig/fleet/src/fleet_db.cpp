#include "rig/fleet/fleet_db.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/index/retention.hpp"
#include "rig/index/run_index.hpp"
#include "rig/record/record.hpp"
#include "rig/reports/audit_log.hpp"

namespace rig::fleet {

namespace fs = std::filesystem;

namespace {

// Migration i brings the schema from version i to i + 1. Released
// migrations are never edited; a change is a new one.
constexpr const char* kMigrations[] = {
    R"sql(
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'penrig_rig') THEN CREATE ROLE penrig_rig NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'penrig_reader') THEN CREATE ROLE penrig_reader NOLOGIN; END IF;
END $$;
CREATE TABLE runs (
  run_id text PRIMARY KEY,
  record_sha256 text NOT NULL,
  verdict text NOT NULL,
  complete boolean NOT NULL,
  scenario_id text NOT NULL, scenario_version text NOT NULL, scenario_sha256 text NOT NULL,
  spec_id text NOT NULL, spec_version text NOT NULL,
  fixture_id text NOT NULL, fixture_backend text NOT NULL,
  rig_id text NOT NULL, host text NOT NULL,
  dut text NOT NULL, lot text NOT NULL, operator text NOT NULL,
  sw_version text NOT NULL, sw_commit text NOT NULL,
  started_utc timestamptz NOT NULL, ended_utc timestamptz,
  key_id text NOT NULL,
  record jsonb NOT NULL,
  published_utc timestamptz NOT NULL DEFAULT now(),
  published_by text NOT NULL DEFAULT current_user
);
CREATE INDEX runs_dut ON runs (dut, started_utc);
CREATE INDEX runs_lot ON runs (lot, started_utc);
CREATE INDEX runs_rig ON runs (rig_id, started_utc);
CREATE TABLE measurements (
  run_id text NOT NULL REFERENCES runs (run_id),
  seq integer NOT NULL,
  id text NOT NULL, name text NOT NULL, kind text NOT NULL,
  value double precision, unit text NOT NULL, low double precision, high double precision,
  outcome text NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE FUNCTION penrig_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'published runs are immutable: % on % refused', TG_OP, TG_TABLE_NAME; END $$;
CREATE TRIGGER runs_immutable BEFORE UPDATE OR DELETE ON runs FOR EACH ROW EXECUTE FUNCTION penrig_immutable();
CREATE TRIGGER runs_no_truncate BEFORE TRUNCATE ON runs FOR EACH STATEMENT EXECUTE FUNCTION penrig_immutable();
CREATE TRIGGER measurements_immutable BEFORE UPDATE OR DELETE ON measurements FOR EACH ROW EXECUTE FUNCTION penrig_immutable();
CREATE TRIGGER measurements_no_truncate BEFORE TRUNCATE ON measurements FOR EACH STATEMENT EXECUTE FUNCTION penrig_immutable();
CREATE VIEW runs_of_dut AS SELECT dut, started_utc, run_id, verdict, scenario_id, rig_id, lot FROM runs ORDER BY dut, started_utc;
CREATE VIEW runs_of_lot AS SELECT lot, dut, started_utc, run_id, verdict, scenario_id, rig_id FROM runs ORDER BY lot, dut, started_utc;
CREATE VIEW rig_last_week AS
  SELECT r.rig_id, r.started_utc, r.run_id, r.verdict, r.scenario_id, r.dut, m.id AS measurement_id, m.value, m.unit,
         m.low, m.high, m.outcome
  FROM runs r JOIN measurements m ON m.run_id = r.run_id
  WHERE r.started_utc >= now() - interval '7 days' ORDER BY r.rig_id, r.started_utc, m.seq;
REVOKE ALL ON runs, measurements FROM PUBLIC;
GRANT SELECT, INSERT ON runs, measurements TO penrig_rig;
GRANT SELECT ON runs, measurements, runs_of_dut, runs_of_lot, rig_last_week TO penrig_reader;
)sql",
};
constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));
static_assert(kMigrationCount == kSchemaVersion);

std::optional<std::string> opt_text(const std::string& s, bool null_if_empty) {
    if (null_if_empty && s.empty()) return std::nullopt;
    return s;
}
std::optional<std::string> num(const std::optional<double>& v) {
    if (!v) return std::nullopt;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *v);
    return std::string(buf);
}

}  // namespace

Db::Db(const std::string& url) {
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* vals[] = {"5", url.c_str(), nullptr};
    c_ = PQconnectdbParams(keys, vals, 1);
    if (c_ == nullptr || PQstatus(c_) != CONNECTION_OK) {
        const std::string msg = c_ != nullptr ? PQerrorMessage(c_) : "out of memory";
        PQfinish(c_);
        c_ = nullptr;
        throw DbError("cannot connect to the fleet database: " + msg, true);
    }
    PQsetNoticeProcessor(c_, [](void*, const char*) {}, nullptr);
}

Db::~Db() { PQfinish(c_); }

std::vector<std::vector<std::optional<std::string>>> Db::exec(const std::string& sql,
                                                              const std::vector<std::optional<std::string>>& params) {
    std::vector<const char*> p;
    p.reserve(params.size());
    for (const auto& x : params) p.push_back(x ? x->c_str() : nullptr);
    PGresult* r = params.empty() ? PQexec(c_, sql.c_str())
                                 : PQexecParams(c_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.data(), nullptr,
                                                nullptr, 0);
    const auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const std::string msg = PQresultErrorMessage(r);
        PQclear(r);
        throw DbError(msg, PQstatus(c_) != CONNECTION_OK);
    }
    std::vector<std::vector<std::optional<std::string>>> rows;
    const int n = PQntuples(r), cols = PQnfields(r);
    for (int i = 0; i < n; ++i) {
        auto& row = rows.emplace_back();
        for (int c = 0; c < cols; ++c) {
            if (PQgetisnull(r, i, c) != 0) row.emplace_back(std::nullopt);
            else row.emplace_back(std::string(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c))));
        }
    }
    PQclear(r);
    return rows;
}

int schema_version(Db& db) {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_utc timestamptz NOT NULL DEFAULT now())");
    const auto rows = db.exec("SELECT coalesce(max(version), 0) FROM schema_migrations");
    return std::stoi(*rows.at(0).at(0));
}

int migrate(Db& db) {
    // One migrator at a time (an advisory lock), each migration in its own transaction.
    db.exec("SELECT pg_advisory_lock(7342001)");
    int v = schema_version(db);
    try {
        if (v > kSchemaVersion) throw DbError("fleet database schema " + std::to_string(v) + " is newer than this penrig's", false);
        for (; v < kSchemaVersion; ++v) {
            db.exec("BEGIN");
            try {
                db.exec(kMigrations[v]);
                db.exec("INSERT INTO schema_migrations (version) VALUES ($1)", {std::to_string(v + 1)});
                db.exec("COMMIT");
            } catch (...) {
                db.exec("ROLLBACK");
                throw;
            }
        }
    } catch (...) {
        db.exec("SELECT pg_advisory_unlock(7342001)");
        throw;
    }
    db.exec("SELECT pg_advisory_unlock(7342001)");
    return v;
}

PublishResult publish_run_dir(Db& db, const fs::path& run_dir, const PublicKey& key) {
    if (!fs::exists(run_dir / "manifest.json")) throw PublishRefused(run_dir.string() + ": not sealed (no manifest.json)");
    const auto v = verify_run_dir(run_dir, key);
    if (!v.ok()) throw PublishRefused(run_dir.string() + ": the bundle does not verify: " + v.summary());
    const std::string text = read_file(run_dir / "record.json");
    const auto rec = run_record::parse_record(text);
    const auto row = index::run_row_of(rec, run_dir.string(), record_sha256(run_dir));
    const auto ms = index::measurement_rows_of(rec);
    db.exec("BEGIN");
    try {
        const auto ins = db.exec(
            "INSERT INTO runs (run_id, record_sha256, verdict, complete, scenario_id, scenario_version, scenario_sha256, "
            "spec_id, spec_version, fixture_id, fixture_backend, rig_id, host, dut, lot, operator, sw_version, sw_commit, "
            "started_utc, ended_utc, key_id, record) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,"
            "$18,$19,$20,$21,$22::jsonb) ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
            {row.run_id, row.record_sha256, row.verdict, row.complete ? "true" : "false", row.scenario_id,
             row.scenario_version, row.scenario_sha256, row.spec_id, row.spec_version, row.fixture_id,
             row.fixture_backend, row.rig_id, row.host, row.dut, row.lot, row.operator_name, row.sw_version,
             row.sw_commit, row.started_utc, opt_text(row.ended_utc, true), v.key_id, text});
        if (ins.empty()) {
            const auto have = db.exec("SELECT record_sha256 FROM runs WHERE run_id = $1", {row.run_id});
            db.exec("ROLLBACK");
            if (!have.empty() && have[0][0] == row.record_sha256) return PublishResult::already_published;
            throw PublishRefused(row.run_id + ": another record is already published under this run id");
        }
        for (std::size_t i = 0; i < ms.size(); ++i) {
            const auto& m = ms[i];
            db.exec("INSERT INTO measurements (run_id, seq, id, name, kind, value, unit, low, high, outcome) "
                    "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                    {row.run_id, std::to_string(i), m.id, m.name, m.kind, num(m.value), m.unit, num(m.low), num(m.high),
                     m.outcome});
        }
        db.exec("COMMIT");
    } catch (const PublishRefused&) {
        throw;
    } catch (...) {
        try {
            db.exec("ROLLBACK");
        } catch (...) {  // the connection is gone: the server rolled back
        }
        throw;
    }
    return PublishResult::published;
}

namespace {
std::string outbox_line(const std::string& run_id, const std::string& dir, const std::string& utc) {
    return nlohmann::json{{"run_id", run_id}, {"dir", dir}, {"queued_utc", utc}}.dump() + "\n";
}

std::size_t outbox_entries(const fs::path& box) {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(box, ec)) n += e.is_regular_file() && e.path().extension() == ".json";
    return n;
}

/// One line appended and fsynced (O_APPEND: a crash leaves at worst a torn last line, which names no run).
void append_synced(const fs::path& file, const std::string& line) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    const int e = errno;
    ::close(fd);
    if (!ok) throw std::system_error(e, std::generic_category(), "cannot append to " + file.string());
}

/// Over-cap runs into the outbox, oldest first, while it has room; the rest stay listed.
void refill_from_over_cap(const fs::path& state_dir, std::size_t max_entries) {
    const fs::path list = index::outbox_over_cap(state_dir);
    std::error_code ec;
    if (!fs::exists(list, ec)) return;
    std::size_t n = outbox_entries(state_dir / "outbox");
    std::istringstream in(read_file(list));
    std::string rest;
    bool moved = false;
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("run_id") || !j["run_id"].is_string()) continue;  // a torn line
        if (n < max_entries) {
            // The entry first, then the list without it: a crash in between
            // leaves the run in both, and publishing is idempotent.
            write_file_atomic(index::outbox_entry(state_dir, j["run_id"].get<std::string>()), line + "\n");
            ++n;
            moved = true;
        } else {
            rest += line + "\n";
        }
    }
    if (!moved) return;
    if (rest.empty()) {
        fs::remove(list);
    } else {
        write_file_atomic(list, rest);
    }
}
}  // namespace

Enqueued enqueue(const fs::path& state_dir, const fs::path& run_dir, std::size_t max_entries) {
    const auto rec = run_record::read_record((run_dir / "record.json").string());
    const auto entry = index::outbox_entry(state_dir, rec.run_id);
    fs::create_directories(entry.parent_path());
    const auto line = outbox_line(rec.run_id, fs::absolute(run_dir).lexically_normal().string(), utc_now());
    std::error_code ec;
    if (!fs::exists(entry, ec) && outbox_entries(entry.parent_path()) >= max_entries) {
        append_synced(index::outbox_over_cap(state_dir), line);
        return Enqueued::over_cap;
    }
    write_file_atomic(entry, line);
    return Enqueued::queued;
}

FlushReport flush_outbox(const fs::path& state_dir, const std::string& url, const PublicKey& key,
                         std::size_t max_entries) {
    FlushReport rep;
    const fs::path box = state_dir / "outbox";
    std::error_code ec;
    if (!fs::is_directory(box, ec)) return rep;
    std::size_t over_cap = 0;
    try {
        refill_from_over_cap(state_dir, max_entries);
        over_cap = index::runs_waiting_to_publish(state_dir).size() - outbox_entries(box);
    } catch (const std::exception& e) {
        rep.error = std::string("cannot move over-cap runs into the outbox: ") + e.what();
        return rep;
    }
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(box, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") entries.push_back(e.path());
    }
    std::sort(entries.begin(), entries.end());
    rep.pending = entries.size() + over_cap;
    if (entries.empty()) return rep;
    std::optional<Db> db;
    try {
        db.emplace(url);
    } catch (const std::exception& e) {
        rep.error = e.what();
        return rep;
    }
    for (const auto& p : entries) {
        std::string dir;
        try {
            dir = nlohmann::json::parse(read_file(p)).at("dir").get<std::string>();
            const auto r = publish_run_dir(*db, dir, key);
            ++(r == PublishResult::published ? rep.published : rep.already);
            fs::remove(p);
            --rep.pending;
        } catch (const DbError& e) {
            if (e.unreachable()) {
                rep.error = e.what();
                return rep;  // the rest stays for the next flush
            }
            spdlog::error("publish {}: {}", dir, e.what());
            rep.error = e.what();
            return rep;
        } catch (const std::exception& e) {
            // Refused (does not verify, conflict, unreadable): set aside, said loudly.
            spdlog::error("publish {}: refused: {}", dir, e.what());
            fs::create_directories(box / "rejected", ec);
            write_file_atomic(box / "rejected" / p.filename(),
                              nlohmann::json{{"dir", dir}, {"reason", e.what()}, {"utc", utc_now()}}.dump() + "\n");
            fs::remove(p, ec);
            ++rep.rejected;
            --rep.pending;
        }
    }
    return rep;
}

void publish_finished_run(const fs::path& state_dir, const std::string& url, const fs::path& run_dir) noexcept {
    try {
        if (enqueue(state_dir, run_dir) == Enqueued::over_cap) {
            // The alarm: the run is kept and listed (over-cap.jsonl), said in the log and the audit trail.
            const auto run_id = run_record::read_record((run_dir / "record.json").string()).run_id;
            spdlog::error("fleet database: the outbox is full ({} runs wait); run {} is listed in {} and will be "
                          "queued as the outbox drains; its folder {} is kept until it is published",
                          kOutboxMaxEntries, run_id, index::outbox_over_cap(state_dir).string(), run_dir.string());
            try {
                AuditLog(state_dir / "audit.jsonl")
                    .append("rig", "fleet.outbox_full", run_id, nullptr,
                            {{"dir", run_dir.string()}, {"outbox_entries", kOutboxMaxEntries},
                             {"listed_in", index::outbox_over_cap(state_dir).string()}});
            } catch (const std::exception& e) {
                spdlog::error("audit trail: cannot record fleet.outbox_full of {}: {}", run_id, e.what());
            }
        }
        const auto rep = flush_outbox(state_dir, url, load_public_key(state_dir / "keys" / "rig.pub"));
        if (!rep.error.empty()) spdlog::warn("fleet database: {} run(s) wait in the outbox: {}", rep.pending, rep.error);
    } catch (const std::exception& e) {
        spdlog::error("fleet database: {}: {}", run_dir.string(), e.what());
    }
}

}  // namespace rig::fleet
