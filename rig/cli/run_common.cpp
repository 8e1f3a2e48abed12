#include "run_common.hpp"

#include <signal.h>

#include <csignal>
#include <cstdlib>

#include "cli_common.hpp"

namespace rig::cli {
namespace {
std::atomic<bool> g_abort{false};
extern "C" void on_signal(int) { g_abort.store(true); }
constexpr int kAbort[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
}  // namespace

std::atomic<bool>& abort_flag() { return g_abort; }

SignalGuard::SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : kAbort) ::sigaction(s, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

SignalGuard::~SignalGuard() {
    for (int s : kAbort) std::signal(s, SIG_DFL);
}

Identity resolve_identity(const std::string& op) {
    if (!op.empty()) return {op, "--operator"};
    for (const char* var : {"PENRIG_OPERATOR", "GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID"}) {
        if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return {v, std::string("env:") + var};
    }
    if (const char* ci = std::getenv("CI"); ci != nullptr && *ci != '\0') {
        const char* job = std::getenv("CI_JOB_ID");
        return {std::string("ci") + (job ? ":" + std::string(job) : ""), "env:CI"};
    }
    for (const char* var : {"USER", "LOGNAME"}) {
        if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return {v, std::string("env:") + var};
    }
    if (auto login = login_name()) return {*login, "getpwuid"};
    return {"unknown", "none"};
}

}  // namespace rig::cli
