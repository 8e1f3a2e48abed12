#pragma once
// Runs the real `rig` binary to completion (bounded) with captured output.
#include "child_process.hpp"

namespace rig::test {

struct ProcResult {
    int exit_code = -1;
    int signal = 0;
    std::string out, err;
};

inline ProcResult finish(Proc& p, std::chrono::milliseconds timeout = 120s) {
    const auto e = p.wait(timeout);
    if (!e) throw std::runtime_error("child did not finish in time");
    return {e->code, e->signal, p.out(), p.err()};
}

/// `env`: NAME=value entries for the child (see Proc).
inline ProcResult run_rig(const std::vector<std::string>& args, const std::filesystem::path& dir,
                          const std::vector<std::string>& env = {}) {
    static int n = 0;
    std::vector<std::string> a{PENRIG_RIG_EXE};
    a.insert(a.end(), args.begin(), args.end());
    Proc p(a, dir / ("rig-" + std::to_string(n++)), env);
    return finish(p);
}

}  // namespace rig::test
