#include "rig/reports/audit_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/utc_time.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
const std::string zero_hash(64, '0');

}  // namespace

AuditEntry audit_entry_from_json(const json& j) {
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

namespace {

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
fs::path keys_dir(const fs::path& log) { return (log.has_parent_path() ? log.parent_path() : fs::path(".")) / "keys"; }

// What the head's signature covers.
std::string head_message(std::uint64_t seq, const std::string& hash, std::uint64_t bytes) {
    return canonical_json(json{{"format", "penrig-audit-head/1"}, {"seq", seq}, {"hash", hash}, {"bytes", bytes}});
}

AuditHead head_from_json(const json& j) {
    AuditHead h;
    h.seq = j.at("seq").get<std::uint64_t>();
    h.hash = j.at("hash").get<std::string>();
    h.bytes = j.value("bytes", std::uint64_t{0});
    h.key_id = j.value("key_id", std::string());
    h.sig = j.value("sig", std::string());
    return h;
}

// The last line of the log (without its newline), read from the end: the
// cost is the length of that line, not the size of the log.
std::string last_line(int fd, std::uint64_t size) {
    std::string tail;
    constexpr std::uint64_t chunk = 4096;
    std::uint64_t end = size;
    if (end > 0) --end;  // the final '\n'
    while (end > 0) {
        const std::uint64_t start = end > chunk ? end - chunk : 0;
        std::string buf(static_cast<std::size_t>(end - start), '\0');
        if (::pread(fd, buf.data(), buf.size(), static_cast<off_t>(start)) != static_cast<ssize_t>(buf.size()))
            throw std::system_error(errno, std::generic_category(), "cannot read the audit log");
        const auto nl = buf.rfind('\n');
        if (nl != std::string::npos) return buf.substr(nl + 1) + tail;
        tail = buf + tail;
        end = start;
        if (tail.size() > (16u << 20)) throw std::runtime_error("the audit log's last line is longer than 16 MiB");
    }
    return tail;
}
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
            out.push_back(audit_entry_from_json(json::parse(line)));
        } catch (const std::exception& ex) {
            throw std::runtime_error(path_.string() + ":" + std::to_string(n) + ": not an audit entry: " + ex.what());
        }
    }
    return out;
}

std::optional<AuditHead> AuditLog::head() const {
    const auto hp = head_path(path_);
    if (!fs::exists(hp)) return std::nullopt;
    try {
        return head_from_json(json::parse(read_file(hp)));
    } catch (const std::exception& e) {
        throw std::runtime_error(hp.string() + ": not an audit head: " + e.what());
    }
}

AuditEntry AuditLog::append(std::string_view actor, std::string_view action, std::string_view subject,
                            const json& old_value, const json& new_value) {
    if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
    LockedFile f(path_);
    // Under the lock: another process may have appended since. Only the head
    // and the last line are read.
    struct stat st {};
    if (::fstat(f.fd(), &st) != 0) throw std::system_error(errno, std::generic_category(), "cannot stat " + path_.string());
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const auto recorded = head();
    auto refuse = [this](const std::string& why) {
        return std::runtime_error("audit log " + path_.string() + ": " + why +
                                  "; run `rig audit verify` before appending");
    };
    AuditEntry e;
    if (size == 0) {
        if (recorded && recorded->seq != 0) throw refuse("the log is empty but its head records seq " + std::to_string(recorded->seq));
        e.seq = 1;
        e.prev_hash = zero_hash;
    } else {
        AuditEntry last;
        try {
            last = audit_entry_from_json(json::parse(last_line(f.fd(), size)));
        } catch (const std::system_error&) {
            throw;
        } catch (const std::exception& ex) {
            throw refuse(std::string("the last line is not an audit entry (") + ex.what() + ")");
        }
        if (audit_entry_hash(last) != last.hash)
            throw refuse("last entry (seq " + std::to_string(last.seq) + ") fails its hash");
        const bool head_current = recorded && recorded->seq == last.seq && recorded->hash == last.hash && recorded->bytes == size;
        const bool head_one_behind = recorded && recorded->seq + 1 == last.seq && recorded->hash == last.prev_hash;
        if (!head_current && !head_one_behind)
            throw refuse(recorded ? "the log ends at seq " + std::to_string(last.seq) + " but its head records seq " +
                                        std::to_string(recorded->seq)
                                  : std::string("the head file is missing"));
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
    const std::uint64_t bytes = size + line.size();
    json head_doc{{"seq", e.seq}, {"hash", e.hash}, {"bytes", bytes}};
    // Signed when the rig has a key. A key that cannot be used (unreadable,
    // readable by others) leaves the head unsigned, which verify() reports; the
    // entry itself is kept, and the caller hears why.
    std::string key_problem;
    const auto key_file = keys_dir(path_) / "rig.key";
    if (fs::exists(key_file)) {
        try {
            const auto key = SigningKey::load(key_file);
            head_doc["key_id"] = key.public_key().id();
            head_doc["sig"] = key.sign_hex(head_message(e.seq, e.hash, bytes));
        } catch (const std::exception& ex) {
            key_problem = ex.what();
        }
    }
    write_file_atomic(head_path(path_), canonical_json(head_doc) + "\n");
    if (!key_problem.empty())
        throw std::runtime_error("audit entry " + std::to_string(e.seq) + " appended, but its head is not signed: " + key_problem);
    return e;
}

AuditVerifyResult AuditLog::verify(const std::vector<AuditAnchor>& anchors) const {
    AuditVerifyResult r;
    auto bad = [&r](std::uint64_t seq, std::size_t line, std::string msg) {
        r.ok = false;
        r.first_bad_seq = seq;
        r.first_bad_line = line;
        r.message = std::move(msg);
        return r;
    };
    const bool rig_has_key = fs::exists(keys_dir(path_) / "rig.pub");
    if (!fs::exists(path_)) {
        if (fs::exists(head_path(path_))) return bad(1, 0, "the log is missing but its head file exists");
        if (rig_has_key)
            return bad(1, 0, "the log is missing but the rig has a key (keys/rig.pub), whose generation is an audit entry");
        if (!anchors.empty())
            return bad(1, 0, "the log is missing but " + anchors.front().source + " was sealed when it held seq " +
                                 std::to_string(anchors.front().seq));
        r.message = "0 entries (no audit log yet)";
        return r;
    }
    std::map<std::uint64_t, std::vector<const AuditAnchor*>> anchored;
    for (const auto& a : anchors) anchored[a.seq].push_back(&a);
    std::string prev = zero_hash;
    std::uint64_t expected = 1;
    std::size_t n = 0;
    for (const auto& line : split_lines(read_file(path_))) {
        ++n;
        if (line.empty()) return bad(expected, n, "line " + std::to_string(n) + " is empty");
        AuditEntry e;
        try {
            e = audit_entry_from_json(json::parse(line));
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
        if (auto it = anchored.find(e.seq); it != anchored.end())
            for (const AuditAnchor* a : it->second)
                if (a->hash != e.hash)
                    return bad(e.seq, n, "entry seq " + std::to_string(e.seq) + " is not the one " + a->source +
                                             " was sealed with: the log was rewritten");
        prev = e.hash;
        ++expected;
        ++r.entries;
    }
    if (!anchored.empty() && anchored.rbegin()->first > r.entries) {
        const AuditAnchor* a = anchored.rbegin()->second.front();
        return bad(r.entries + 1, 0, "the log ends at seq " + std::to_string(r.entries) + " but " + a->source +
                                         " was sealed when it held seq " + std::to_string(a->seq) +
                                         ": entries were removed from the end");
    }
    // The head catches entries removed from the end, which the chain alone
    // cannot; its signature, a chain recomputed by someone without the key.
    try {
        const auto head = head_from_json(json::parse(read_file(head_path(path_))));
        const auto head_seq = head.seq;
        if (rig_has_key) {
            const auto pub = keys_dir(path_) / (head.key_id.empty() ? "rig.pub" : head.key_id + ".pub");
            const auto key_file = fs::exists(pub) ? pub : keys_dir(path_) / "rig.pub";
            const auto key = load_public_key(key_file);
            if (head.sig.empty())
                return bad(r.entries + 1, 0, "the head is not signed although the rig has a key: the log may have "
                                             "been rewritten (or the key was unusable at the last append)");
            if (key.id() != head.key_id || !verify_signature_hex(key, head_message(head.seq, head.hash, head.bytes), head.sig))
                return bad(r.entries + 1, 0, "the head's signature is not valid for the rig key: the log or its head was rewritten");
        }
        if (head_seq != r.entries || head.hash != prev)
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
