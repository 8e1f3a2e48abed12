#pragma once
// Runs the real `rig` binary as a child process with captured output; every
// wait is bounded.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace rig::test {

struct ProcResult {
    int exit_code = -1;
    int signal = 0;
    std::string out, err;
};

class Child {
public:
    Child(const std::vector<std::string>& args, const std::filesystem::path& dir, std::vector<std::string> env = {})
        : out_(dir / ("out-" + std::to_string(counter()))), err_(dir / ("err-" + std::to_string(counter()))) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<std::string> envs;
        for (char** e = environ; *e != nullptr; ++e) envs.emplace_back(*e);
        for (auto& e : env) envs.push_back(e);
        std::vector<char*> envp;
        for (auto& e : envs) envp.push_back(e.data());
        envp.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data()) != 0) {
            throw std::runtime_error("cannot start " + args[0]);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    ProcResult wait(std::chrono::seconds timeout = std::chrono::seconds(120)) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        int status = 0;
        while (true) {
            const pid_t r = ::waitpid(pid_, &status, WNOHANG);
            if (r == pid_) break;
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                pid_ = -1;
                throw std::runtime_error("child did not finish in time");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
        ProcResult res;
        if (WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) res.signal = WTERMSIG(status);
        res.out = slurp(out_);
        res.err = slurp(err_);
        return res;
    }
    /// Waits until the child's stdout contains `text`.
    bool wait_for_output(const std::string& text, std::chrono::seconds timeout) const {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (slurp(out_).find(text) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }

private:
    static int counter() {
        static int n = 0;
        return n++;
    }
    static std::string slurp(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    pid_t pid_ = -1;
    std::filesystem::path out_, err_;
};

inline ProcResult run_rig(const std::vector<std::string>& args, const std::filesystem::path& dir,
                          std::vector<std::string> env = {}) {
    std::vector<std::string> a{PENRIG_RIG_EXE};
    a.insert(a.end(), args.begin(), args.end());
    Child c(a, dir, std::move(env));
    return c.wait();
}

}  // namespace rig::test
