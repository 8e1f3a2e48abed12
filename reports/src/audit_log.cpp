#include "rig/reports/audit_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/utc_time.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
const std::string zero_hash(64, '0');

AuditEntry entry_from_json(const json& j) {
    AuditEntry e;
    e.seq = j.at("seq").get<std::uint64_t>();
    e.utc = j.at("utc").get<std::string>();
    e.actor = j.at("actor").get<std::string>();
    e.action = j.at("action").get<std::string>();
    e.subject = j.at("subject").get<std::string>();
    e.old_value = j.at("old");
    e.new_value = j.at("new");
    e.prev_hash = j.at("prev_hash").get<std::string>();
    e.hash = j.at("hash").get<std::string>();
    return e;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Closes the descriptor (and so releases the flock) on every exit path.
class LockedFile {
public:
    explicit LockedFile(const fs::path& p) : fd_(::open(p.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) {
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open audit log " + p.string());
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR) {
                const int e = errno;
                ::close(fd_);
                throw std::system_error(e, std::generic_category(), "cannot lock audit log " + p.string());
            }
        }
    }
    ~LockedFile() { ::close(fd_); }
    LockedFile(const LockedFile&) = delete;
    LockedFile& operator=(const LockedFile&) = delete;
    [[nodiscard]] int fd() const { return fd_; }

private:
    int fd_;
};

fs::path head_path(const fs::path& log) { return fs::path(log.string() + ".head"); }
}  // namespace

json to_json(const AuditEntry& e) {
    return {{"seq", e.seq},       {"utc", e.utc},     {"actor", e.actor},         {"action", e.action},
            {"subject", e.subject}, {"old", e.old_value}, {"new", e.new_value}, {"prev_hash", e.prev_hash},
            {"hash", e.hash}};
}

std::string audit_entry_hash(const AuditEntry& e) {
    json j = to_json(e);
    j.erase("hash");
    return sha256_hex(canonical_json(j));
}

AuditLog::AuditLog(fs::path path, std::function<std::string()> utc_now)
    : path_(std::move(path)), utc_now_(utc_now ? std::move(utc_now) : std::function<std::string()>([] { return rig::utc_now(); })) {}

std::vector<AuditEntry> AuditLog::read() const {
    std::vector<AuditEntry> out;
    if (!fs::exists(path_)) return out;
    std::size_t n = 0;
    for (const auto& line : split_lines(read_file(path_))) {
        ++n;
        if (line.empty()) continue;
        try {
            out.push_back(entry_from_json(json::parse(line)));
        } catch (const std::exception& ex) {
            throw std::runtime_error(path_.string() + ":" + std::to_string(n) + ": not an audit entry: " + ex.what());
        }
    }
    return out;
}

AuditEntry AuditLog::append(std::string_view actor, std::string_view action, std::string_view subject,
                            const json& old_value, const json& new_value) {
    if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
    LockedFile f(path_);
    // Re-read under the lock: another process may have appended since.
    const auto existing = read();
    AuditEntry e;
    if (existing.empty()) {
        e.seq = 1;
        e.prev_hash = zero_hash;
    } else {
        const auto& last = existing.back();
        if (audit_entry_hash(last) != last.hash)
            throw std::runtime_error("audit log " + path_.string() + ": last entry (seq " + std::to_string(last.seq) +
                                     ") fails its hash; run `rig audit verify` before appending");
        e.seq = last.seq + 1;
        e.prev_hash = last.hash;
    }
    e.utc = utc_now_();
    e.actor = actor;
    e.action = action;
    e.subject = subject;
    e.old_value = old_value;
    e.new_value = new_value;
    e.hash = audit_entry_hash(e);
    const std::string line = canonical_json(to_json(e)) + "\n";
    std::size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(f.fd(), line.data() + off, line.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "cannot append to " + path_.string());
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd()) != 0) throw std::system_error(errno, std::generic_category(), "cannot sync " + path_.string());
    write_file_atomic(head_path(path_), canonical_json(json{{"seq", e.seq}, {"hash", e.hash}}) + "\n");
    return e;
}

AuditVerifyResult AuditLog::verify() const {
    AuditVerifyResult r;
    auto bad = [&r](std::uint64_t seq, std::size_t line, std::string msg) {
        r.ok = false;
        r.first_bad_seq = seq;
        r.first_bad_line = line;
        r.message = std::move(msg);
        return r;
    };
    if (!fs::exists(path_)) {
        if (fs::exists(head_path(path_))) return bad(1, 0, "the log is missing but its head file exists");
        r.message = "0 entries (no audit log yet)";
        return r;
    }
    std::string prev = zero_hash;
    std::uint64_t expected = 1;
    std::size_t n = 0;
    for (const auto& line : split_lines(read_file(path_))) {
        ++n;
        if (line.empty()) return bad(expected, n, "line " + std::to_string(n) + " is empty");
        AuditEntry e;
        try {
            e = entry_from_json(json::parse(line));
        } catch (const std::exception& ex) {
            return bad(expected, n, "line " + std::to_string(n) + " is not an audit entry: " + ex.what());
        }
        if (audit_entry_hash(e) != e.hash)
            return bad(e.seq, n, "entry seq " + std::to_string(e.seq) + " (line " + std::to_string(n) +
                                     ") was edited: its content does not match its hash");
        if (e.seq != expected || e.prev_hash != prev) {
            std::string why = e.seq < expected   ? "out of order"
                              : e.seq > expected ? "entries before it were removed"
                                                 : "the chain is broken before it";
            return bad(expected, n, "at line " + std::to_string(n) + " expected seq " + std::to_string(expected) +
                                        ", found seq " + std::to_string(e.seq) + ": " + why);
        }
        prev = e.hash;
        ++expected;
        ++r.entries;
    }
    // The head catches entries removed from the end, which the chain alone cannot.
    try {
        const auto head = json::parse(read_file(head_path(path_)));
        const auto head_seq = head.at("seq").get<std::uint64_t>();
        if (head_seq != r.entries || head.at("hash").get<std::string>() != prev)
            return bad(std::min<std::uint64_t>(head_seq, r.entries) + 1, 0,
                       "the log ends at seq " + std::to_string(r.entries) + " but its head records seq " +
                           std::to_string(head_seq) +
                           (head_seq > r.entries ? ": entries were removed from the end"
                                                 : ": entries were added without going through the log"));
    } catch (const std::exception&) {
        if (r.entries > 0) return bad(r.entries + 1, 0, "the head file " + head_path(path_).string() + " is missing or unreadable");
    }
    r.message = std::to_string(r.entries) + " entries, chain intact";
    return r;
}

}  // namespace rig
