#pragma once
// A run folder as the runner leaves it, written at test time by `rig run`
// (tests/common/real_run.hpp): record.json, samples.bin, junit.xml and
// report.html, not yet sealed; its name is its run id.
#include <string>

#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/reports/signatures.hpp"

namespace rig::test {
inline std::filesystem::path make_run_folder(const TempDir& tmp, const char* scenario_rel = scenario::smoke) {
    return real_run(tmp, scenario_rel).dir;
}

/// A run folder sealed with a fresh rig key and signed once (Jane Roe,
/// approval, no audit trail).
struct SignedRun {
    std::filesystem::path dir;
    SigningKey key;
};
inline SignedRun signed_run_folder(const TempDir& tmp) {
    SignedRun r{make_run_folder(tmp), SigningKey::generate()};
    seal_run_dir(r.dir, r.key);
    sign_run(r.dir, r.key, "Jane Roe", SignatureMeaning::approval, nullptr, "jroe");
    return r;
}

/// Does verify name a problem of kind `k` with `file`?
inline bool has_problem(const VerifyResult& r, BundleProblemKind k, const std::string& file) {
    for (const auto& p : r.problems)
        if (p.kind == k && p.file == file) return true;
    return false;
}

/// Flips one bit of the byte at `offset` (from the end when negative).
inline void flip_byte(const std::filesystem::path& f, long offset) {
    std::string d = read_file(f);
    const auto i = static_cast<std::size_t>(offset >= 0 ? offset : static_cast<long>(d.size()) + offset);
    d[i] = static_cast<char>(d[i] ^ 0x01);
    write_file_atomic(f, d);
}
}  // namespace rig::test
