#pragma once
// Electronic signatures on a run (21 CFR Part 11 §11.50 manifestation,
// §11.70 signature/record linking).
//
// <run>/signatures.json: {"format":"penrig-signatures/1","signatures":[
//   {"seq":1,"name":"Jane Roe","meaning":"review","utc":"...Z","record_sha256":"<hex>",
//    "run_id":"...","key_id":"...","signature":"<hex Ed25519 over canonical JSON of the entry without 'signature'>"}]}
// Each entry is bound to SHA-256(canonical record.json) and signed with the rig
// key, so it cannot be moved to another record or edited unnoticed.
//
// Thread-safety: free functions; the caller serialises signing of one run.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"

namespace rig {

enum class SignatureMeaning { review, approval, responsibility };
const char* to_string(SignatureMeaning m);
std::optional<SignatureMeaning> signature_meaning_from_string(std::string_view s);

struct ESignature {
    int seq = 0;
    std::string name;     // printed name of the signer
    std::string meaning;  // "review", "approval", "responsibility"
    std::string utc;
    std::string record_sha256;
    std::string run_id;
    std::string key_id;
    std::string signature;
};

/// The signatures of a run in file order; empty if there is no signatures.json.
/// Throws std::runtime_error for an unreadable file.
std::vector<ESignature> read_signatures(const std::filesystem::path& run_dir);

/// Thrown when a signature is refused (the bundle does not verify, bad name).
class SignRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Signs a run: verifies the bundle with the key (refuses with SignRefused and
/// the verification summary otherwise), appends the signature, regenerates
/// report.html so it shows the signature, re-seals the bundle and writes the
/// audit entries (signature.added, report.generated, bundle.sealed) when
/// `audit` is given. `actor` is the OS or session user doing it.
ESignature sign_run(const std::filesystem::path& run_dir, const SigningKey& key, std::string_view printed_name,
                    SignatureMeaning meaning, AuditLog* audit, std::string_view actor);

}  // namespace rig
