#pragma once
// A thin RAII layer over libsqlite3 (bookworm's libsqlite3-dev): a connection
// and a prepared statement, move-only, errors thrown as SqliteError with
// SQLite's message. Nothing more: the SQL stays visible where it is used.
//
// Thread-safety: one Db per thread (SQLite's default serialised mode would
// allow sharing, but penrig never shares one).
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rig::sqlite {

class SqliteError : public std::runtime_error {
public:
    SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
    [[nodiscard]] int code() const { return code_; }

private:
    int code_;
};

class Stmt;

class Db {
public:
    /// Opens (creating) the database file; `busy` is how long a writer waits
    /// for another process's lock before SQLITE_BUSY is thrown.
    explicit Db(const std::filesystem::path& file, std::chrono::milliseconds busy = std::chrono::seconds(10));
    ~Db();
    Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    Db& operator=(Db&&) = delete;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    /// Runs one or more statements without results.
    void exec(std::string_view sql);
    [[nodiscard]] Stmt prepare(std::string_view sql);
    [[nodiscard]] sqlite3* handle() const { return db_; }
    [[nodiscard]] std::int64_t changes() const;

private:
    sqlite3* db_ = nullptr;
};

/// A prepared statement. Bind parameters are 1-based (SQLite's numbering);
/// columns 0-based.
class Stmt {
public:
    Stmt(sqlite3* db, std::string_view sql);
    ~Stmt();
    Stmt(Stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
    Stmt& operator=(Stmt&&) = delete;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::string_view v);
    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, double v);
    Stmt& bind(int i, std::optional<double> v);
    Stmt& bind_null(int i);
    /// One step: true while a row is available, false when done.
    bool step();
    /// Runs a statement without results to its end.
    void run();
    void reset();

    [[nodiscard]] bool is_null(int col) const;
    [[nodiscard]] std::string text(int col) const;
    [[nodiscard]] std::int64_t int64(int col) const;
    [[nodiscard]] double real(int col) const;
    [[nodiscard]] std::optional<double> opt_real(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

/// Reads a row's columns in order (rig/index/rows.hpp): each call takes the next.
class Cursor {
public:
    explicit Cursor(const Stmt& s, int first = 0) : s_(s), c_(first) {}
    std::string text() { return s_.text(c_++); }
    bool flag() { return s_.int64(c_++) != 0; }
    std::int64_t int64() { return s_.int64(c_++); }
    std::optional<double> real() { return s_.opt_real(c_++); }

private:
    const Stmt& s_;
    int c_;
};

/// BEGIN IMMEDIATE ... COMMIT; rolled back if not committed (exception).
class Transaction {
public:
    explicit Transaction(Db& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Db& db_;
    bool done_ = false;
};

}  // namespace rig::sqlite
