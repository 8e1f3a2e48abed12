#pragma once
// Tamper-evident run bundle (21 CFR Part 11 §11.10(a),(c)): a manifest of the
// SHA-256 of every file in a run folder, signed with the rig's Ed25519 key.
//
// Files in the run folder:
//   manifest.json    {"format":"penrig-manifest/1","run_id","sealed_utc","key_id","public_key",
//                     "audit_head":{"seq","hash"} (when sealed with the audit trail),
//                     "files":{"<relative path>":{"sha256","size"}}}, written as canonical JSON
//   manifest.sig     hex Ed25519 detached signature over canonical_json(manifest)
// Every other regular file, in sub-folders too, is listed in the manifest,
// signatures.json (e-signatures, signatures.hpp) included: signing re-seals,
// so removing or replacing it is found like any other file.
//
// The run id binds the three names of a run: the folder's name, record.json's
// run_id and the manifest's run_id must be equal. A sealed folder copied or
// renamed into another run's place does not verify and cannot be sealed.
//
// Keys: <state>/keys/rig.key (secret key, hex, mode 0600, readable only by the
// daemon's user) and rig.pub (public key, hex). The key id is the first 16 hex
// digits of SHA-256(public key).
//
// Thread-safety: free functions, no shared state. Sealing and verifying the
// same folder concurrently is the caller's problem (the daemon serialises it).

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <optional>
#include <vector>

#include "rig/reports/audit_log.hpp"

namespace rig {

inline constexpr std::size_t ed25519_public_key_bytes = 32;
inline constexpr std::size_t ed25519_secret_key_bytes = 64;
inline constexpr std::size_t ed25519_signature_bytes = 64;

struct PublicKey {
    std::array<std::uint8_t, ed25519_public_key_bytes> bytes{};
    [[nodiscard]] std::string id() const;   // 16 hex digits
    [[nodiscard]] std::string hex() const;
};

/// The rig's signing key. Move-only; the secret is wiped on destruction.
class SigningKey {
public:
    SigningKey() = default;
    ~SigningKey();
    SigningKey(SigningKey&& other) noexcept;
    SigningKey& operator=(SigningKey&& other) noexcept;
    SigningKey(const SigningKey&) = delete;
    SigningKey& operator=(const SigningKey&) = delete;

    /// A fresh random key pair (libsodium crypto_sign_keypair).
    static SigningKey generate();
    /// Reads a secret key file written by save(); throws std::runtime_error /
    /// std::system_error with the path on a missing or malformed file, and
    /// refuses a file that the group or others may read or write (mode & 077):
    /// a leaked key signs forged evidence.
    static SigningKey load(const std::filesystem::path& secret_key_file);

    [[nodiscard]] const PublicKey& public_key() const { return public_; }
    /// Ed25519 detached signature of `message`, hex.
    [[nodiscard]] std::string sign_hex(std::string_view message) const;

    /// Writes `<dir>/rig.key` (0600) and `<dir>/rig.pub`, creating `dir`
    /// (0700). Refuses (std::runtime_error) to overwrite an existing key unless
    /// `overwrite`; the replaced public key is kept as `<dir>/<old id>.pub` so
    /// that bundles sealed with it still verify.
    void save(const std::filesystem::path& dir, bool overwrite = false) const;

private:
    std::array<std::uint8_t, ed25519_secret_key_bytes> secret_{};
    PublicKey public_;
};

/// Reads a public key file (hex). Throws std::runtime_error on a bad file.
PublicKey load_public_key(const std::filesystem::path& file);
/// Checks a hex Ed25519 detached signature; false for malformed hex too.
bool verify_signature_hex(const PublicKey& key, std::string_view message, std::string_view signature_hex);

/// Writes manifest.json and manifest.sig for `run_dir` (atomically). With
/// `audit`, the manifest carries the audit trail's head at sealing time (an
/// anchor for AuditLog::verify). Throws std::runtime_error if the folder holds
/// something other than regular files and folders (e.g. a symlink), which
/// could not be verified later, or if record.json's run_id is not the folder's name.
void seal_run_dir(const std::filesystem::path& run_dir, const SigningKey& key, const AuditLog* audit = nullptr);

/// The audit head a sealed run's manifest carries, if its signature by `key`
/// is valid (only the manifest is checked, not the files: cheap over many runs).
std::optional<AuditAnchor> sealed_audit_anchor(const std::filesystem::path& run_dir, const PublicKey& key);

enum class BundleProblemKind {
    changed,        // a listed file's content differs from its hash
    added,          // a file present but not in the manifest
    missing,        // a listed file no longer present
    bad_signature,  // manifest.sig missing, malformed or not made by the key over this manifest
    bad_manifest,   // manifest.json missing or unreadable
    wrong_key,      // the manifest names another key than the one verified with
    bad_e_signature,// an entry of signatures.json is forged or bound to another record
    wrong_run       // the folder's name, the manifest's and the record's run id differ
};
const char* to_string(BundleProblemKind k);

struct BundleProblem {
    BundleProblemKind kind;
    std::string file;    // relative path in the run folder
    std::string detail;  // human explanation
};

struct VerifyResult {
    std::vector<BundleProblem> problems;
    std::size_t files_checked = 0;
    std::string key_id;   // the key the manifest names
    [[nodiscard]] bool ok() const { return problems.empty(); }
    /// One line per problem ("CHANGED samples.bin: sha256 ... != ..."), or "OK: ...".
    [[nodiscard]] std::string summary() const;
};

/// Checks every hash, the file list, the manifest's signature and the
/// e-signatures in signatures.json, and names every problem. Never throws for
/// a tampered folder; throws std::system_error only if `run_dir` is missing.
VerifyResult verify_run_dir(const std::filesystem::path& run_dir, const PublicKey& key);

/// SHA-256 of a record as hashed and signed: of canonical_json(record.json).
/// Throws on an unreadable or invalid record.
std::string record_sha256(const std::filesystem::path& run_dir);

/// SHA-256 (hex) of a file's bytes. Throws std::system_error if unreadable.
std::string file_sha256(const std::filesystem::path& file);

/// The key id a run folder's manifest names, or "" if none can be read.
std::string manifest_key_id(const std::filesystem::path& run_dir);

}  // namespace rig
