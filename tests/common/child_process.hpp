#pragma once
// A child process with stdout and stderr in files, for tests that run the
// real `rig` binary. Every wait is bounded; a child still running when its
// Proc is destroyed is killed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace rig::test {

using namespace std::chrono_literals;

#ifndef PENRIG_TEST_TIME_SCALE
#define PENRIG_TEST_TIME_SCALE 1
#endif
/// A bound on a child's time as the test states it natively, scaled under an
/// emulator (tests/CMakeLists.txt sets the factor: qemu-aarch64 runs the same
/// work several times slower). Only bounds scale: a test's own timing does not.
inline std::chrono::milliseconds scaled(std::chrono::milliseconds bound) {
    return bound * PENRIG_TEST_TIME_SCALE;
}

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

struct Exit {
    int code = -1;    // exit status, or -1 when killed by a signal
    int signal = 0;
};

/// A child process with stdout/stderr in files.
class Proc {
public:
    /// `env`: NAME=value entries added to (or replacing those of) this process's environment.
    Proc(const std::vector<std::string>& args, const std::filesystem::path& log_prefix,
         const std::vector<std::string>& env = {})
        : out_(log_prefix.string() + ".out"), err_(log_prefix.string() + ".err") {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<std::string> envs;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string kv = *e;
            const auto name = kv.substr(0, kv.find('=') + 1);
            bool replaced = false;
            for (const auto& x : env) replaced = replaced || x.rfind(name, 0) == 0;
            if (!replaced) envs.push_back(kv);
        }
        envs.insert(envs.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& x : envs) envp.push_back(x.data());
        envp.push_back(nullptr);
        const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
    }
    ~Proc() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Proc(const Proc&) = delete;
    Proc& operator=(const Proc&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    void signal(int sig) const {
        if (pid_ > 0) ::kill(pid_, sig);
    }
    /// Exit status, or nullopt if it is still running after `timeout`.
    std::optional<Exit> wait(std::chrono::milliseconds timeout) {
        if (pid_ <= 0) return exit_;
        const auto until = std::chrono::steady_clock::now() + scaled(timeout);
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) {
                pid_ = -1;
                exit_ = Exit{WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
                return exit_;
            }
            if (std::chrono::steady_clock::now() >= until) return std::nullopt;
            std::this_thread::sleep_for(10ms);
        }
    }
    [[nodiscard]] std::string out() const { return slurp(out_); }
    [[nodiscard]] std::string err() const { return slurp(err_); }

private:
    pid_t pid_ = -1;
    std::optional<Exit> exit_;
    std::filesystem::path out_, err_;
};

/// Waits until the child's stdout contains `text`.
inline bool wait_for_output(const Proc& p, const std::string& text, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + scaled(timeout);
    while (std::chrono::steady_clock::now() < until) {
        if (p.out().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

}  // namespace rig::test
