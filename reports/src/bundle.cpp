#include "rig/reports/bundle.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/utc_time.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void ensure_sodium() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string to_hex(const std::uint8_t* data, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), data, n);
    out.pop_back();
    return out;
}

// Parses exactly `n` bytes of hex (surrounding whitespace ignored).
bool from_hex(std::string_view hex, std::uint8_t* out, std::size_t n) {
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
    if (hex.size() != n * 2) return false;
    std::size_t len = 0;
    const char* end = nullptr;
    return sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &len, &end) == 0 && len == n &&
           end == hex.data() + hex.size();
}

// The seal itself: every other file belongs to the bundle.
bool is_bundle_file(const fs::path& rel) {
    const auto s = rel.generic_string();
    return s == "manifest.json" || s == "manifest.sig";
}

std::string folder_run_id(const fs::path& run_dir) {
    std::string id = run_dir.filename().string();
    return id.empty() ? run_dir.parent_path().filename().string() : id;
}

// record.json's run_id, or nullopt when the record cannot be read.
std::optional<std::string> record_run_id(const fs::path& run_dir) {
    try {
        const auto rec = json::parse(read_file(run_dir / "record.json"));
        return rec.value("run_id", std::string());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

struct Listing {
    std::map<std::string, fs::path> files;  // relative generic path -> absolute path
    std::vector<std::string> irregular;     // symlinks, sockets...
};

Listing list_run_dir(const fs::path& run_dir) {
    Listing out;
    for (auto it = fs::recursive_directory_iterator(run_dir); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = it->path().lexically_relative(run_dir);
        if (is_bundle_file(rel)) continue;
        const auto st = it->symlink_status();
        if (fs::is_directory(st)) continue;
        if (fs::is_regular_file(st)) out.files.emplace(rel.generic_string(), it->path());
        else out.irregular.push_back(rel.generic_string());
    }
    return out;
}

}  // namespace

// ---- keys -----------------------------------------------------------------

std::string PublicKey::id() const { return sha256_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size())).substr(0, 16); }
std::string PublicKey::hex() const { return to_hex(bytes.data(), bytes.size()); }

SigningKey::~SigningKey() { sodium_memzero(secret_.data(), secret_.size()); }
SigningKey::SigningKey(SigningKey&& other) noexcept : secret_(other.secret_), public_(other.public_) {
    sodium_memzero(other.secret_.data(), other.secret_.size());
}
SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
    if (this != &other) {
        secret_ = other.secret_;
        public_ = other.public_;
        sodium_memzero(other.secret_.data(), other.secret_.size());
    }
    return *this;
}

SigningKey SigningKey::generate() {
    ensure_sodium();
    SigningKey k;
    crypto_sign_keypair(k.public_.bytes.data(), k.secret_.data());
    return k;
}

SigningKey SigningKey::load(const fs::path& secret_key_file) {
    ensure_sodium();
    struct stat st {};
    if (::stat(secret_key_file.c_str(), &st) != 0)
        throw std::system_error(errno, std::generic_category(), "cannot open " + secret_key_file.string());
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        throw std::runtime_error(secret_key_file.string() + ": mode " + mode +
                                 " lets the group or others use the rig's signing key; refusing it (chmod 600 it "
                                 "if it did not leak, else replace it: rig keygen --force)");
    }
    const std::string text = read_file(secret_key_file);
    SigningKey k;
    if (!from_hex(text, k.secret_.data(), k.secret_.size()))
        throw std::runtime_error(secret_key_file.string() + ": not an Ed25519 secret key (expected 128 hex digits)");
    crypto_sign_ed25519_sk_to_pk(k.public_.bytes.data(), k.secret_.data());
    return k;
}

std::string SigningKey::sign_hex(std::string_view message) const {
    ensure_sodium();
    std::array<std::uint8_t, crypto_sign_BYTES> sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         secret_.data());
    return to_hex(sig.data(), sig.size());
}

void SigningKey::save(const fs::path& dir, bool overwrite) const {
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
    const auto key_file = dir / "rig.key";
    const auto pub_file = dir / "rig.pub";
    if (fs::exists(key_file) || fs::exists(pub_file)) {
        if (!overwrite) throw std::runtime_error("a rig key already exists in " + dir.string() + " (use --force to replace it)");
        // Bundles sealed with the old key must stay verifiable.
        if (fs::exists(pub_file)) {
            const auto old = load_public_key(pub_file);
            fs::copy_file(pub_file, dir / (old.id() + ".pub"), fs::copy_options::overwrite_existing);
        }
    }
    // The secret file is created 0600 before anything is written into it: write
    // to a private temp file, then rename.
    const std::string hex = to_hex(secret_.data(), secret_.size()) + "\n";
    const auto tmp = dir / ".rig.key.tmp";
    {
        const mode_t old_mask = ::umask(077);
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        ::umask(old_mask);
        if (!out) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp.string());
        out << hex;
        out.flush();
        if (!out) throw std::system_error(errno, std::generic_category(), "cannot write " + tmp.string());
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    fs::rename(tmp, key_file);
    write_file_atomic(pub_file, public_.hex() + "\n");
}

PublicKey load_public_key(const fs::path& file) {
    PublicKey k;
    if (!from_hex(read_file(file), k.bytes.data(), k.bytes.size()))
        throw std::runtime_error(file.string() + ": not an Ed25519 public key (expected 64 hex digits)");
    return k;
}

bool verify_signature_hex(const PublicKey& key, std::string_view message, std::string_view signature_hex) {
    ensure_sodium();
    std::array<std::uint8_t, crypto_sign_BYTES> sig{};
    if (!from_hex(signature_hex, sig.data(), sig.size())) return false;
    return crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), key.bytes.data()) == 0;
}

// ---- seal / verify ----------------------------------------------------------

std::string record_sha256(const fs::path& run_dir) {
    return sha256_hex(canonical_json(json::parse(read_file(run_dir / "record.json"))));
}

std::string file_sha256(const fs::path& file) { return sha256_hex(read_file(file)); }

std::string manifest_key_id(const fs::path& run_dir) {
    try {
        const auto m = json::parse(read_file(run_dir / "manifest.json"));
        return m.value("key_id", std::string());
    } catch (const std::exception&) {
        return {};
    }
}

void seal_run_dir(const fs::path& run_dir, const SigningKey& key, const AuditLog* audit) {
    const std::string run_id = folder_run_id(run_dir);
    if (const auto rec_id = record_run_id(run_dir); rec_id && *rec_id != run_id)
        throw std::runtime_error("cannot seal " + run_dir.string() + ": record.json is run '" + *rec_id +
                                 "', the folder is '" + run_id + "'");
    const Listing listing = list_run_dir(run_dir);
    if (!listing.irregular.empty())
        throw std::runtime_error("cannot seal " + run_dir.string() + ": '" + listing.irregular.front() +
                                 "' is not a regular file");
    json files = json::object();
    for (const auto& [rel, abs] : listing.files) {
        const std::string data = read_file(abs);
        files[rel] = {{"sha256", sha256_hex(data)}, {"size", data.size()}};
    }
    json manifest = {{"format", "penrig-manifest/1"}, {"run_id", run_id},
                     {"sealed_utc", utc_now()},       {"key_id", key.public_key().id()},
                     {"public_key", key.public_key().hex()}, {"files", files}};
    if (audit != nullptr)
        if (const auto h = audit->head()) manifest["audit_head"] = {{"seq", h->seq}, {"hash", h->hash}};
    const std::string canon = canonical_json(manifest);
    // The signature goes first: a crash between the two writes leaves a
    // manifest that fails verification rather than a stale one that passes.
    write_file_atomic(run_dir / "manifest.sig", key.sign_hex(canon) + "\n");
    write_file_atomic(run_dir / "manifest.json", canon);
}

std::optional<AuditAnchor> sealed_audit_anchor(const fs::path& run_dir, const PublicKey& key) {
    try {
        const auto manifest = json::parse(read_file(run_dir / "manifest.json"));
        if (!manifest.is_object() || !manifest.contains("audit_head")) return std::nullopt;
        if (!verify_signature_hex(key, canonical_json(manifest), read_file(run_dir / "manifest.sig"))) return std::nullopt;
        const auto& h = manifest["audit_head"];
        return AuditAnchor{h.at("seq").get<std::uint64_t>(), h.at("hash").get<std::string>(),
                           "run " + manifest.value("run_id", run_dir.filename().string())};
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

const char* to_string(BundleProblemKind k) {
    switch (k) {
        case BundleProblemKind::changed: return "CHANGED";
        case BundleProblemKind::added: return "ADDED";
        case BundleProblemKind::missing: return "MISSING";
        case BundleProblemKind::bad_signature: return "BAD SIGNATURE";
        case BundleProblemKind::bad_manifest: return "BAD MANIFEST";
        case BundleProblemKind::wrong_key: return "WRONG KEY";
        case BundleProblemKind::bad_e_signature: return "BAD E-SIGNATURE";
        case BundleProblemKind::wrong_run: return "WRONG RUN";
    }
    return "?";
}

std::string VerifyResult::summary() const {
    std::ostringstream s;
    if (ok()) {
        s << "OK: " << files_checked << " files match the manifest, signature valid (key " << key_id << ")\n";
        return s.str();
    }
    for (const auto& p : problems) s << to_string(p.kind) << ' ' << p.file << ": " << p.detail << '\n';
    return s.str();
}

namespace {
void verify_e_signatures(const fs::path& run_dir, const PublicKey& key, VerifyResult& r);
}

VerifyResult verify_run_dir(const fs::path& run_dir, const PublicKey& key) {
    if (!fs::is_directory(run_dir))
        throw std::system_error(std::make_error_code(std::errc::no_such_file_or_directory),
                                "run folder " + run_dir.string());
    VerifyResult r;
    json manifest;
    std::string canon;
    try {
        manifest = json::parse(read_file(run_dir / "manifest.json"));
        if (!manifest.is_object() || manifest.value("format", "") != "penrig-manifest/1" ||
            !manifest.contains("files") || !manifest["files"].is_object())
            throw std::runtime_error("not a penrig-manifest/1 document");
        canon = canonical_json(manifest);
    } catch (const std::exception& e) {
        r.problems.push_back({BundleProblemKind::bad_manifest, "manifest.json",
                              fs::exists(run_dir / "manifest.json") ? std::string("unreadable: ") + e.what()
                                                                    : "missing: the run folder was never sealed"});
        return r;
    }
    const std::string folder_id = folder_run_id(run_dir);
    if (manifest.value("run_id", "") != folder_id)
        r.problems.push_back({BundleProblemKind::wrong_run, "manifest.json",
                              "sealed for run '" + manifest.value("run_id", "") + "', but the folder is '" + folder_id + "'"});
    if (const auto rec_id = record_run_id(run_dir); rec_id && *rec_id != folder_id)
        r.problems.push_back({BundleProblemKind::wrong_run, "record.json",
                              "records run '" + *rec_id + "', but the folder is '" + folder_id + "'"});
    r.key_id = manifest.value("key_id", "");
    if (r.key_id != key.id())
        r.problems.push_back({BundleProblemKind::wrong_key, "manifest.json",
                              "sealed with key " + r.key_id + ", verifying with key " + key.id()});

    std::string sig;
    try {
        sig = read_file(run_dir / "manifest.sig");
    } catch (const std::exception&) {
        r.problems.push_back({BundleProblemKind::bad_signature, "manifest.sig", "missing"});
    }
    if (!sig.empty() && !verify_signature_hex(key, canon, sig))
        r.problems.push_back({BundleProblemKind::bad_signature, "manifest.sig",
                              "not a valid signature of manifest.json by key " + key.id() +
                                  " (the manifest or the signature was altered or replaced)"});

    const Listing listing = list_run_dir(run_dir);
    for (const auto& [rel, entry] : manifest["files"].items()) {
        auto it = listing.files.find(rel);
        if (it == listing.files.end()) {
            r.problems.push_back({BundleProblemKind::missing, rel, "listed in the manifest but not present"});
            continue;
        }
        ++r.files_checked;
        const std::string data = read_file(it->second);
        const std::string want = entry.value("sha256", "");
        const std::string got = sha256_hex(data);
        if (got != want)
            r.problems.push_back({BundleProblemKind::changed, rel,
                                  "sha256 " + got + " (" + std::to_string(data.size()) + " bytes), manifest says " +
                                      want + " (" + std::to_string(entry.value("size", 0ULL)) + " bytes)"});
    }
    for (const auto& [rel, abs] : listing.files)
        if (!manifest["files"].contains(rel))
            r.problems.push_back({BundleProblemKind::added, rel, "present but not in the manifest"});
    for (const auto& rel : listing.irregular)
        r.problems.push_back({BundleProblemKind::added, rel, "not a regular file and not in the manifest"});
    verify_e_signatures(run_dir, key, r);
    return r;
}

namespace {
void verify_e_signatures(const fs::path& run_dir, const PublicKey& key, VerifyResult& r) {
    const auto file = run_dir / "signatures.json";
    if (!fs::exists(file)) return;
    json doc;
    try {
        doc = json::parse(read_file(file));
    } catch (const std::exception& e) {
        r.problems.push_back({BundleProblemKind::bad_e_signature, "signatures.json", std::string("unreadable: ") + e.what()});
        return;
    }
    std::string rec_hash;
    try {
        rec_hash = record_sha256(run_dir);
    } catch (const std::exception&) {
        // record.json itself is reported by the manifest check.
    }
    const auto& list = doc.contains("signatures") ? doc["signatures"] : json::array();
    std::size_t n = 0;
    for (const auto& e : list) {
        ++n;
        const std::string where = "signature #" + std::to_string(n) + " (" + e.value("name", "?") + ", " +
                                  e.value("meaning", "?") + ")";
        json body = e;
        body.erase("signature");
        if (e.value("key_id", "") != key.id() || !verify_signature_hex(key, canonical_json(body), e.value("signature", "")))
            r.problems.push_back({BundleProblemKind::bad_e_signature, "signatures.json",
                                  where + ": not signed by key " + key.id() + " over its content"});
        else if (e.value("run_id", "") != folder_run_id(run_dir))
            r.problems.push_back({BundleProblemKind::bad_e_signature, "signatures.json",
                                  where + ": made for run '" + e.value("run_id", "") + "'"});
        else if (e.value("record_sha256", "") != rec_hash)
            r.problems.push_back({BundleProblemKind::bad_e_signature, "signatures.json",
                                  where + ": bound to record " + e.value("record_sha256", "") +
                                      ", but record.json now hashes to " + rec_hash});
    }
}
}  // namespace

}  // namespace rig
