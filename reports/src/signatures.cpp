#include "rig/reports/signatures.hpp"

#include <algorithm>
#include <cctype>

#include "rig/core/atomic_file.hpp"
#include "rig/core/enum_names.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/utc_time.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr EnumName<SignatureMeaning> kMeanings[] = {
    {SignatureMeaning::review, "review"},
    {SignatureMeaning::approval, "approval"},
    {SignatureMeaning::responsibility, "responsibility"},
};
}  // namespace

const char* to_string(SignatureMeaning m) { return enum_name(kMeanings, m).data(); }

std::optional<SignatureMeaning> signature_meaning_from_string(std::string_view s) {
    return enum_from_name(kMeanings, s);
}

// signatures.json entries; a missing key reads as the member's default.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ESignature, seq, name, meaning, utc, record_sha256, run_id, key_id,
                                                signature)

std::vector<ESignature> read_signatures(const fs::path& run_dir) {
    std::vector<ESignature> out;
    const auto file = run_dir / "signatures.json";
    if (!fs::exists(file)) return out;
    json doc;
    try {
        doc = json::parse(read_file(file));
    } catch (const std::exception& e) {
        throw std::runtime_error(file.string() + ": " + e.what());
    }
    if (doc.contains("signatures"))
        for (const auto& e : doc["signatures"]) out.push_back(e.get<ESignature>());
    return out;
}

ESignature sign_run(const fs::path& run_dir, const SigningKey& key, std::string_view printed_name,
                    SignatureMeaning meaning, AuditLog* audit, std::string_view actor) {
    const std::string subject = run_dir.string();
    std::string name(printed_name);
    name.erase(name.begin(), std::find_if(name.begin(), name.end(), [](unsigned char c) { return !std::isspace(c); }));
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    if (name.empty()) throw SignRefused("a signature needs the signer's printed name (--name)");

    const VerifyResult vr = verify_run_dir(run_dir, key.public_key());
    if (!vr.ok()) {
        if (audit != nullptr)
            audit->append(actor, "signature.refused", subject, nullptr,
                          {{"name", name}, {"meaning", to_string(meaning)}, {"reason", vr.summary()}});
        throw SignRefused("refusing to sign " + subject + ": the bundle does not verify:\n" + vr.summary());
    }

    auto sigs = read_signatures(run_dir);
    const json record = json::parse(read_file(run_dir / "record.json"));
    ESignature s;
    s.seq = static_cast<int>(sigs.size()) + 1;
    s.name = name;
    s.meaning = to_string(meaning);
    s.utc = utc_now();
    s.record_sha256 = record_sha256(run_dir);
    s.run_id = record.value("run_id", run_dir.filename().string());
    s.key_id = key.public_key().id();
    json body = s;
    body.erase("signature");
    s.signature = key.sign_hex(canonical_json(body));
    sigs.push_back(s);

    json doc = {{"format", "penrig-signatures/1"}, {"signatures", json::array()}};
    for (const auto& e : sigs) doc["signatures"].push_back(e);
    write_file_atomic(run_dir / "signatures.json", doc.dump(2) + "\n");

    // The report shows the signatures, so it changes; the rig re-seals the
    // bundle it has just verified, so the manifest stays the single proof.
    const std::string old_manifest_sha = file_sha256(run_dir / "manifest.json");
    write_html_report(run_dir);
    if (audit != nullptr) {
        audit->append(actor, "signature.added", subject, nullptr, json(s));
        audit->append(actor, "report.generated", (run_dir / "report.html").string(), nullptr,
                      {{"reason", "signature added"}});
    }
    // Sealed after those entries: the new manifest anchors the audit trail
    // with the signature in it.
    seal_run_dir(run_dir, key, audit);
    if (audit != nullptr)
        audit->append(actor, "bundle.sealed", (run_dir / "manifest.json").string(), json{{"manifest_sha256", old_manifest_sha}},
                      {{"manifest_sha256", file_sha256(run_dir / "manifest.json")}, {"key_id", s.key_id}});
    return s;
}

}  // namespace rig
