#include <unistd.h>

#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "fake_pwm_sysfs.hpp"
#include <atomic>
#include <cstring>
#include <functional>
#include <thread>
#include "fake_clock.hpp"
#include "fake_gpio.hpp"
#include "fake_platform.hpp"
#include "rig/hw/actuators.hpp"
#include "temp_dir.hpp"

using namespace rig;
using rig::test::FakeClock;
using rig::test::FakeGpio;
using rig::test::GpioRecord;
using rig::test::sysfs_value;

TEST_CASE("pen power and brake drive their line, and go low before release", "[hw][gpio]") {
    FakeGpio g;
    auto chip = g.chip();
    {
        hw::GpioPenPower power(chip->request_output(17, false, "power"));
        hw::GpioBrake brake(chip->request_output(27, false, "brake"));
        CHECK(g.log[0] == GpioRecord{GpioRecord::request_output, 17, false, {}});
        CHECK(power.set(true));
        CHECK(power.is_on());
        CHECK(brake.set(true));
        CHECK(brake.is_engaged());
        CHECK(g.output(17) == true);
    }
    // Destruction: a low write, then the release, for each line.
    const long low17 = g.last_index_of(GpioRecord::write, 17, false);
    const long rel17 = g.index_of(GpioRecord::release, 17);
    const long low27 = g.last_index_of(GpioRecord::write, 27, false);
    const long rel27 = g.index_of(GpioRecord::release, 27);
    REQUIRE(low17 >= 0);
    REQUIRE(low27 >= 0);
    CHECK(low17 < rel17);
    CHECK(low27 < rel27);
    SECTION("a failed write is reported, not thrown") {
        g.fail_writes[5] = true;
        hw::GpioPenPower p(chip->request_output(5, false, "p"));
        CHECK_FALSE(p.set(true));
        CHECK_FALSE(p.is_on());
    }
}

namespace {
bool wait_for(const std::function<bool()>& cond) {
    for (int i = 0; i < 2000; ++i) {
        if (cond()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return cond();
}
}  // namespace

TEST_CASE("E-stop normally closed: press, cut cable and read error stop; the watcher drives the safe state itself",
          "[hw][gpio][estop][defect5]") {
    // Defect 5: the E-stop was a contact closing to ground (a cut cable read
    // "not pressed") and only the loop polled it. Wired normally closed, the
    // closed contact holds the input low; an open circuit reads high (pull-up).
    FakeGpio g;
    auto chip = g.chip();
    g.input_level[25] = false;  // contact closed: not pressed
    std::atomic<int> safe_calls{0};
    hw::GpioEStop::Options o;
    o.contact = EStopContact::normally_closed;
    o.on_stop = [&] { ++safe_calls; };
    hw::GpioEStop e(chip->request_input(25, {hw::Bias::pull_up, hw::Edge::both}, "estop"), o);
    CHECK_FALSE(e.pressed());
    SECTION("a press (or a cut cable: the same open circuit) is acted on by the watcher, no poll needed") {
        g.drive_input(25, true);
        REQUIRE(wait_for([&] { return safe_calls.load() == 1; }));
        CHECK(e.pressed());
        g.drive_input(25, false);  // released
        REQUIRE(wait_for([&] { return !e.active(); }));
        CHECK_FALSE(e.pressed());
        // A stop that comes and goes between two polls is reported once.
        g.drive_input(25, true);
        REQUIRE(wait_for([&] { return safe_calls.load() == 2; }));
        g.drive_input(25, false);
        REQUIRE(wait_for([&] { return !e.active(); }));
        CHECK(e.pressed());
        CHECK_FALSE(e.pressed());
    }
    SECTION("a read error counts as a stop") {
        {
            std::lock_guard lk(g.mutex());
            g.fail_reads[25] = true;
        }
        g.drive_input(25, false);
        REQUIRE(wait_for([&] { return safe_calls.load() == 1; }));
        CHECK(e.pressed());
    }
}

TEST_CASE("E-stop wired normally open: a cut cable is not seen (why rig doctor fails it)", "[hw][gpio][estop]") {
    FakeGpio g;
    auto chip = g.chip();
    hw::GpioEStop::Options o;
    o.contact = EStopContact::normally_open;
    hw::GpioEStop e(chip->request_input(25, {hw::Bias::pull_up, hw::Edge::both}, "estop"), o);
    CHECK_FALSE(e.pressed());  // pulled up: "not pressed", cable or no cable
}

TEST_CASE("E-stop already open at start: safe state before anything else", "[hw][gpio][estop]") {
    FakeGpio g;
    auto chip = g.chip();
    g.input_level[25] = true;  // NC contact open (cable unplugged)
    int safe_calls = 0;
    hw::GpioEStop::Options o;
    o.on_stop = [&] { ++safe_calls; };
    hw::GpioEStop e(chip->request_input(25, {hw::Bias::pull_up, hw::Edge::both}, "estop"), o);
    CHECK(safe_calls == 1);
    CHECK(e.pressed());
}

namespace {
// A dial on a lead screw: STEP rising edges move it by one step in the DIR
// direction; the home switch (active-low) closes at or below step 0.
struct DialModel {
    FakeGpio& g;
    std::int64_t pos;
    long pulses = 0;
    DialModel(FakeGpio& gpio, std::int64_t start) : g(gpio), pos(start) {
        g.on_write[22] = [this](bool high) {
            if (!high) return;
            ++pulses;
            pos += g.output(23).value_or(false) ? 1 : -1;
            g.input_level[24] = pos > 0;  // low = closed at home
        };
        g.input_level[24] = pos > 0;
    }
};
}  // namespace

TEST_CASE("stepper: homing, steps per mm, rate limit and soft limits", "[hw][stepper]") {
    FakeGpio g;
    auto chip = g.chip();
    DialModel dial(g, 700);  // 700 steps above the home switch
    hw::StepperSettings s;
    s.steps_per_mm = 400;
    s.max_depth_mm = 2.5;
    s.max_step_rate_hz = 1000;
    s.homing_step_rate_hz = 500;
    s.homing_limit_steps = 1000;
    hw::StepperDepth st(chip->request_output(22, false, "step"), chip->request_output(23, false, "dir"),
                        chip->request_input(24, {hw::Bias::pull_up, hw::Edge::both}, "home"), s);
    CHECK_FALSE(st.move_to_mm(1.0));  // not homed: refused
    FakeClock clock;
    const auto t0 = clock.now();
    st.home(clock);
    CHECK(st.homed());
    CHECK(dial.pulses == 700);
    CHECK(dial.pos == 0);
    CHECK(clock.now() - t0 == std::chrono::milliseconds(1400));  // 700 steps at 500 Hz
    CHECK(st.position_mm() == 0.0);

    REQUIRE(st.move_to_mm(1.25));  // 500 steps out
    std::int64_t t = 0;
    int calls = 0;
    while (st.busy(t)) {
        t += 100'000;  // 10 kHz actuation ticks; the stepper paces itself at 1 kHz
        ++calls;
        REQUIRE(calls < 100'000);
    }
    CHECK(dial.pos == 500);
    CHECK(st.position_steps() == 500);
    CHECK(st.position_mm() == Approx(1.25));
    CHECK(calls >= 4990);  // 500 steps at <= 1 kHz need >= 499 ms of 0.1 ms ticks

    REQUIRE(st.move_to_mm(0.5));
    while (st.busy(t)) t += 1'000'000;
    CHECK(dial.pos == 200);

    CHECK_FALSE(st.move_to_mm(2.6));   // beyond max depth
    CHECK_FALSE(st.move_to_mm(-0.1));  // below home
    CHECK(dial.pos == 200);

    SECTION("stop() abandons a move") {
        REQUIRE(st.move_to_mm(2.0));
        t += 1'000'000;
        st.busy(t);
        st.stop();
        t += 1'000'000;
        CHECK_FALSE(st.busy(t));
        CHECK(dial.pos == 201);
    }
}

TEST_CASE("stepper: STEP pulse width and DIR set-up time as configured", "[hw][stepper][defect7]") {
    // Defect 7: the pulse was two back-to-back writes (its width whatever the
    // gap between two ioctls was) and DIR could change just before a STEP edge.
    FakeGpio g;
    auto chip = g.chip();
    DialModel dial(g, 40);
    FakeClock clock;
    hw::StepperSettings s;
    s.step_pulse = std::chrono::microseconds(5);
    s.dir_setup = std::chrono::microseconds(8);
    hw::StepperDepth st(chip->request_output(22, false, "step"), chip->request_output(23, false, "dir"),
                        chip->request_input(24, {hw::Bias::pull_up, hw::Edge::both}, "home"), s);
    st.home(clock);
    REQUIRE(st.move_to_mm(0.01));  // 16 steps away from home: DIR changes
    std::int64_t t = 0;
    while (st.busy(t)) t += 1'000'000;
    const auto rec = g.log;
    std::int64_t min_high = INT64_MAX, min_setup = INT64_MAX;
    std::int64_t last_dir_change = -1, step_high_at = -1;
    for (const auto& r : rec) {
        if (r.kind != rig::test::GpioRecord::write) continue;
        if (r.line == 23) last_dir_change = r.t_ns;
        if (r.line == 22 && r.value) {
            step_high_at = r.t_ns;
            if (last_dir_change >= 0) {
                min_setup = std::min(min_setup, r.t_ns - last_dir_change);
                last_dir_change = -1;
            }
        }
        if (r.line == 22 && !r.value && step_high_at >= 0) min_high = std::min(min_high, r.t_ns - step_high_at);
    }
    CHECK(min_high >= 5'000);
    CHECK(min_setup >= 8'000);
}

TEST_CASE("stepper: homing that never finds the switch is an error", "[hw][stepper]") {
    FakeGpio g;
    auto chip = g.chip();
    g.input_level[24] = true;  // switch never closes (disconnected)
    hw::StepperSettings s;
    s.homing_limit_steps = 300;
    hw::StepperDepth st(chip->request_output(22, false, "step"), chip->request_output(23, false, "dir"),
                        chip->request_input(24, {}, "home"), s);
    FakeClock clock;
    CHECK_THROWS_WITH(st.home(clock), Catch::Contains("home switch not found within 300 steps"));
    CHECK_FALSE(st.homed());
    long pulses = 0;
    for (const auto& r : g.of(22)) pulses += (r.kind == GpioRecord::write && r.value) ? 1 : 0;
    CHECK(pulses == 300);
}

TEST_CASE("stepper: starting on the switch backs off first", "[hw][stepper]") {
    FakeGpio g;
    auto chip = g.chip();
    DialModel dial(g, -30);  // past the switch
    hw::StepperSettings s;
    hw::StepperDepth st(chip->request_output(22, false, "step"), chip->request_output(23, false, "dir"),
                        chip->request_input(24, {}, "home"), s);
    FakeClock clock;
    st.home(clock);
    CHECK(dial.pos == 0);  // approached from above after backing off to +1
    CHECK(dial.pulses == 31 + 1);
}

TEST_CASE("prompt depth actuator waits for Enter", "[hw][prompt]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::ostringstream out;
    hw::PromptDepth p(fds[0], out, 2.5);
    CHECK_FALSE(p.move_to_mm(3.0));
    REQUIRE(p.move_to_mm(0.75));
    CHECK_THAT(out.str(), Catch::Contains("0.75 mm"));
    CHECK(p.busy(0));
    CHECK(::write(fds[1], "ok", 2) == 2);
    CHECK(p.busy(0));  // no newline yet
    CHECK(::write(fds[1], "\n", 1) == 1);
    CHECK_FALSE(p.busy(0));
    CHECK(p.position_mm() == 0.75);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("sysfs PWM on the kernel's rules: first start on a fresh export, a previous owner's duty",
          "[hw][pwm][defect3]") {
    // Defect 3: duty_cycle was written before period; the kernel refuses any
    // write while the period is 0 (a freshly exported channel): EINVAL on
    // every first start after boot.
    rig::test::TempDir tmp;
    rig::test::FakePwmSysfs kernel;
    const auto ch = tmp.path() / "pwmchip0" / "pwm0";
    hw::PwmSettings s;
    s.sysfs_root = tmp.path();
    s.period = std::chrono::microseconds(50);
    s.export_timeout = std::chrono::milliseconds(0);
    s.io = &kernel;
    SECTION("exported by us (period 0)") { rig::test::make_fake_pwm_chip(tmp.path(), 0, 2, false, &kernel); }
    SECTION("already exported, period 0") { rig::test::make_fake_pwm_chip(tmp.path(), 0, 2, true, &kernel); }
    SECTION("a previous owner left period 1 ms, duty 900 us, enabled") {
        rig::test::make_fake_pwm_chip(tmp.path(), 0, 2, false, &kernel);
        kernel.preset(ch, {1'000'000, 900'000, true});
    }
    {
        auto pwm = hw::open_sysfs_pwm(s);
        CHECK(kernel.rejected == 0);
        CHECK(kernel.channel(ch).period == 50'000);
        CHECK(kernel.channel(ch).duty == 0);
        CHECK(kernel.channel(ch).enabled);
        hw::PwmSpeed speed(std::move(pwm), 200.0);
        CHECK(speed.set_rate_hz(100.0));
        CHECK(kernel.channel(ch).duty == 25'000);
        CHECK(speed.set_rate_hz(500.0));  // clamped to full duty
        CHECK(kernel.channel(ch).duty == 50'000);
        CHECK(speed.rate_hz() == 200.0);
        CHECK(speed.set_rate_hz(-3.0));
        CHECK(kernel.channel(ch).duty == 0);
        CHECK(speed.set_rate_hz(37.0));
        CHECK(sysfs_value(ch / "duty_cycle") == "9250");
    }
    // Destroyed: duty 0 and disabled.
    CHECK(kernel.channel(ch).duty == 0);
    CHECK_FALSE(kernel.channel(ch).enabled);
    CHECK(kernel.rejected == 0);
}

TEST_CASE("the fake PWM kernel refuses what the kernel refuses", "[hw][pwm][emulator]") {
    rig::test::TempDir tmp;
    rig::test::FakePwmSysfs kernel;
    rig::test::make_fake_pwm_chip(tmp.path(), 0, 1, true, &kernel);
    const auto ch = tmp.path() / "pwmchip0" / "pwm0";
    auto w = [&](const char* f, const char* v) {
        const int fd = kernel.open_write(ch / f);
        const int e = kernel.write_at(fd, v, std::strlen(v));
        kernel.close(fd);
        return e;
    };
    CHECK(w("duty_cycle", "0\n") == EINVAL);  // period 0
    CHECK(w("enable", "1\n") == EINVAL);
    CHECK(w("period", "50000\n") == 0);
    CHECK(w("duty_cycle", "60000\n") == EINVAL);  // above the period
    CHECK(w("duty_cycle", "50000\n") == 0);
    CHECK(w("period", "40000\n") == EINVAL);  // below the duty
}

TEST_CASE("PWM chip resolved from its device (Pi 4 and Pi 5 numbering)", "[hw][pwm]") {
    rig::test::TempDir tmp;
    rig::test::FakePwmSysfs kernel;
    // A Pi 5 with the RP1 PWM0 probed after another PWM block: pwmchip2.
    kernel.add_chip(tmp.path(), 0, 4, "1f0009c000.pwm");
    kernel.add_chip(tmp.path(), 2, 4, "1f00098000.pwm");
    CHECK(hw::resolve_pwm_chip(tmp.path(), "1f00098000.pwm") == 2);
    CHECK(hw::resolve_pwm_chip(tmp.path(), "1f0009c000.pwm") == 0);
    CHECK_THROWS_WITH(hw::resolve_pwm_chip(tmp.path(), "fe20c000.pwm"),
                      Catch::Contains("fe20c000.pwm") && Catch::Contains("pwmchip2 -> 1f00098000.pwm"));
}

TEST_CASE("sysfs PWM errors name the path", "[hw][pwm]") {
    rig::test::TempDir tmp;
    hw::PwmSettings s;
    s.sysfs_root = tmp.path();
    s.export_timeout = std::chrono::milliseconds(0);
    SECTION("no chip") {
        CHECK_THROWS_WITH(hw::open_sysfs_pwm(s), Catch::Contains((tmp.path() / "pwmchip0").string()));
    }
    SECTION("export does not produce the channel") {
        rig::test::make_fake_pwm_chip(tmp.path(), 0, 1, false);
        CHECK_THROWS_WITH(hw::open_sysfs_pwm(s), Catch::Contains((tmp.path() / "pwmchip0" / "pwm0" / "duty_cycle").string()));
        CHECK(sysfs_value(tmp.path() / "pwmchip0" / "export") == "0");  // it did export
    }
    SECTION("a missing attribute") {
        rig::test::make_fake_pwm_chip(tmp.path(), 0, 1, true);
        std::filesystem::remove(tmp.path() / "pwmchip0" / "pwm0" / "enable");
        std::filesystem::create_directory(tmp.path() / "pwmchip0" / "pwm0" / "enable");  // not writable as a file
        CHECK_THROWS_WITH(hw::open_sysfs_pwm(s), Catch::Contains((tmp.path() / "pwmchip0" / "pwm0" / "enable").string()));
    }
}
