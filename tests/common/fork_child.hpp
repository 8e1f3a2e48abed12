#pragma once
// Runs a piece of a test in a forked child, for what must not touch the test
// process itself: dropping privileges, locking memory, changing rlimits. The
// child's function fills `out` (bytes for the parent) and returns its exit
// code; an exception becomes "exception: <what>" in `out` and exit code 99.
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <functional>
#include <string>

#include "catch.hpp"

namespace rig::test {

struct ChildResult {
    std::string out;  // everything the child wrote
    int status = 0;   // as waitpid() returns it
};

inline ChildResult in_child(const std::function<int(std::string& out)>& fn) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::string out;
        int code = 0;
        try {
            code = fn(out);
        } catch (const std::exception& e) {
            out += std::string("exception: ") + e.what();
            code = 99;
        }
        for (std::size_t done = 0; done < out.size();) {
            const ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        ::_exit(code);
    }
    ::close(fds[1]);
    ChildResult r;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    REQUIRE(::waitpid(pid, &r.status, 0) == pid);
    return r;
}

}  // namespace rig::test
