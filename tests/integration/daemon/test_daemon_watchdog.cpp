// The heartbeat watchdog end to end: a fixture whose clock stops returning
// (as a stuck acquisition loop would) makes the daemon put the fixture in its
// safe state from its own thread and mark the run ERROR.
#include <condition_variable>
#include <mutex>

#include "catch.hpp"
#include "daemon_harness.hpp"
#include "rig/daemon/client.hpp"
#include "rig/daemon/daemon.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "temp_dir.hpp"

using namespace rig;
using namespace std::chrono_literals;

namespace {

/// Shared between the test and the fixture the daemon builds.
struct HangControl {
    std::mutex m;
    std::condition_variable cv;
    bool released = false;
    std::atomic<bool> hung{false};
    std::atomic<int> safe_calls{0};
};

/// A sim fixture whose clock hangs in sleep_until after `hang_after` wakes.
class HangingFixture final : public Fixture {
public:
    HangingFixture(std::unique_ptr<Fixture> inner, std::shared_ptr<HangControl> ctl, int hang_after)
        : inner_(std::move(inner)), ctl_(std::move(ctl)), clock_(*this, hang_after) {}
    const FixtureConfig& config() const override { return inner_->config(); }
    Clock& clock() override { return clock_; }
    PenPower& power() override { return inner_->power(); }
    SpeedCommand& speed() override { return inner_->speed(); }
    DepthActuator& depth() override { return inner_->depth(); }
    StallBrake& brake() override { return inner_->brake(); }
    PositionEncoder& encoder() override { return inner_->encoder(); }
    LoadCell& load_cell() override { return inner_->load_cell(); }
    CurrentSense& current() override { return inner_->current(); }
    EStop& estop() override { return inner_->estop(); }
    FaceReferenceDrive& reference() override { return inner_->reference(); }
    void safe_state() noexcept override {
        ctl_->safe_calls.fetch_add(1);
        inner_->safe_state();
    }
    bool inject_fault(const FaultInjection& f) noexcept override { return inner_->inject_fault(f); }
    const GroundTruth* ground_truth() const noexcept override { return inner_->ground_truth(); }
    void prepare_run(std::chrono::nanoseconds d) override { inner_->prepare_run(d); }

private:
    class HangClock final : public Clock {
    public:
        HangClock(HangingFixture& f, int hang_after) : f_(f), left_(hang_after) {}
        Nanos now() const override { return f_.inner_->clock().now(); }
        Nanos sleep_until(Nanos deadline) noexcept override {
            if (--left_ == 0) {
                f_.ctl_->hung.store(true);
                std::unique_lock lk(f_.ctl_->m);
                f_.ctl_->cv.wait(lk, [&] { return f_.ctl_->released; });
            }
            return f_.inner_->clock().sleep_until(deadline);
        }
        bool is_real_time() const override { return false; }

    private:
        HangingFixture& f_;
        int left_;
    };
    std::unique_ptr<Fixture> inner_;
    std::shared_ptr<HangControl> ctl_;
    HangClock clock_;
};

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (p()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return p();
}

}  // namespace

TEST_CASE("a stuck acquisition loop: safe state from the daemon thread, run ERROR", "[daemon][watchdog][safety]") {
    int hang_after = 0;  // the loop's clock hangs in its n-th sleep
    std::string expected;
    SECTION("a loop that hangs 0.5 s into the run") {
        hang_after = 5000;
        expected = "did not advance";
    }
    SECTION("a loop that hangs before its first iteration (watched from the run's start)") {
        hang_after = 1;
        expected = "no first iteration";
    }
    test::TempDir tmp;
    auto ctl = std::make_shared<HangControl>();
    daemon::DaemonConfig cfg;
    cfg.socket_path = tmp / "rig.sock";
    cfg.state_dir = tmp / "state";
    cfg.lock_dir = tmp / "lock";
    std::filesystem::create_directories(cfg.lock_dir);
    cfg.fixture_file = test::source_dir() / "fixtures" / "sim.yaml";
    cfg.heartbeat_timeout = 400ms;
    cfg.heartbeat_period = 50ms;
    cfg.make_fixture = [ctl, hang_after](const FixtureConfig& fc, std::uint64_t seed) -> std::unique_ptr<Fixture> {
        return std::make_unique<HangingFixture>(make_sim_fixture(fc, seed), ctl, hang_after);
    };
    daemon::Daemon d(cfg);
    int rc = -1;
    std::thread serve([&] { rc = d.run(); });
    struct Joiner {
        std::thread& t;
        std::shared_ptr<HangControl> c;
        ~Joiner() {
            {
                std::lock_guard lk(c->m);
                c->released = true;
            }
            c->cv.notify_all();
            if (t.joinable()) t.join();
        }
    } joiner{serve, ctl};
    REQUIRE(eventually([&] { return std::filesystem::exists(cfg.socket_path); }, 10s));
    daemon::Client c(cfg.socket_path);
    const auto sub = c.request(test::Rig::submission(test::source_dir() / "scenarios" / "smoke.yaml"));
    INFO(sub.dump());
    REQUIRE(sub["ok"] == true);
    const std::string run_id = sub["run_id"];

    REQUIRE(eventually([&] { return ctl->hung.load(); }, 10s));
    const int safe_before = ctl->safe_calls.load();
    // Within the heartbeat timeout (plus a margin), the daemon makes the fixture safe itself.
    REQUIRE(eventually([&] { return ctl->safe_calls.load() > safe_before; }, 5s));
    const auto health = c.request({{"op", "health"}});
    CHECK(health["watchdog"]["loop_stuck"] == true);

    // The loop comes back: it sees the abort and the run ends ERROR, not PASS.
    {
        std::lock_guard lk(ctl->m);
        ctl->released = true;
    }
    ctl->cv.notify_all();
    nlohmann::json st;
    REQUIRE(eventually([&] {
        st = c.request({{"op", "status"}, {"run_id", run_id}});
        return st["run"]["state"] == "done";
    }, 20s));
    INFO(st.dump());
    CHECK(st["run"]["verdict"] == "ERROR");
    CHECK_THAT(st["run"]["reason"].get<std::string>(), Catch::Contains("stuck"));
    CHECK_THAT(st["run"]["reason"].get<std::string>(), Catch::Contains(expected));
    // Once the released loop has ended the run (the daemon no longer holds it
    // as current), the record is closed ERROR whatever the loop reported.
    CHECK(eventually([&] { return c.request({{"op", "health"}})["current_run"].is_null(); }, 20s));
    const auto rec = c.request({{"op", "record"}, {"run_id", run_id}});
    CHECK(rec["record"]["complete"] == true);
    CHECK(rec["record"]["verdict"] == "ERROR");
    CHECK_THAT(rec["record"]["verdict_reason"].get<std::string>(), Catch::Contains("stuck"));

    c.request({{"op", "shutdown"}});
    serve.join();
    CHECK(rc == 0);
}
