// Scenario validation off the I/O thread: a submission is parsed, expanded
// and checked here while the daemon keeps answering everyone else. Inputs are
// bounded (request and file size, plan size and duration computed before
// expansion), so one validation is bounded in time too.
#include <spdlog/spdlog.h>

#include "daemon_impl.hpp"

namespace rig::daemon {

void Daemon::Impl::validator_main() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lk(vm);
            vcv.wait(lk, [this] { return !vjobs.empty() || vstop; });
            if (vjobs.empty()) return;
            job = std::move(vjobs.front());
            vjobs.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            spdlog::error("validation failed: {}", e.what());
        }
    }
}

void Daemon::Impl::validate_async(std::function<void()> job) {
    {
        std::lock_guard lk(vm);
        vjobs.push_back(std::move(job));
    }
    vcv.notify_one();
}

void Daemon::Impl::stop_validator() {
    {
        std::lock_guard lk(vm);
        vstop = true;
    }
    vcv.notify_all();
    if (validator.joinable()) validator.join();
}

}  // namespace rig::daemon
