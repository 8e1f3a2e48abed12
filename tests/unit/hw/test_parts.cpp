#include <unistd.h>

#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "fake_clock.hpp"
#include "fake_gpio.hpp"
#include "fake_platform.hpp"
#include "rig/hw/actuators.hpp"
#include "temp_dir.hpp"

using namespace rig;
using rig::test::FakeClock;
using rig::test::FakeGpio;
using rig::test::GpioRecord;

namespace {
std::string first_line(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}
}  // namespace

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

TEST_CASE("E-stop: level and edges, and a read error counts as pressed", "[hw][gpio][estop]") {
    FakeGpio g;
    auto chip = g.chip();
    hw::GpioEStop e(chip->request_input(25, {hw::Bias::pull_up, hw::Edge::falling}, "estop"));
    CHECK_FALSE(e.pressed());  // pulled up, no edges
    g.input_level[25] = false;  // held down
    CHECK(e.pressed());
    CHECK(e.pressed());
    g.input_level[25] = true;
    CHECK_FALSE(e.pressed());
    g.pending_edges[25] = 1;  // a press that came and went between polls
    CHECK(e.pressed());
    CHECK_FALSE(e.pressed());  // reported once
    g.fail_reads[25] = true;
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

TEST_CASE("sysfs PWM on a fake tree: configuration, duty mapping, safe stop", "[hw][pwm]") {
    rig::test::TempDir tmp;
    rig::test::make_fake_pwm_chip(tmp.path(), 0, 2, true);
    const auto ch = tmp.path() / "pwmchip0" / "pwm0";
    std::ofstream(ch / "duty_cycle") << "999999\n";  // a previous owner's duty, above the new period
    hw::PwmSettings s;
    s.sysfs_root = tmp.path();
    s.period = std::chrono::microseconds(50);
    {
        auto pwm = hw::open_sysfs_pwm(s);
        CHECK(first_line(ch / "period") == "50000");
        CHECK(first_line(ch / "duty_cycle") == "0");
        CHECK(first_line(ch / "enable") == "1");
        hw::PwmSpeed speed(std::move(pwm), 200.0);
        CHECK(speed.set_rate_hz(100.0));
        CHECK(first_line(ch / "duty_cycle") == "25000");
        CHECK(speed.rate_hz() == 100.0);
        CHECK(speed.set_rate_hz(500.0));  // clamped to full duty
        CHECK(first_line(ch / "duty_cycle") == "50000");
        CHECK(speed.rate_hz() == 200.0);
        CHECK(speed.set_rate_hz(-3.0));
        CHECK(first_line(ch / "duty_cycle") == "0");
        CHECK(speed.set_rate_hz(37.0));
        CHECK(first_line(ch / "duty_cycle") == "9250");
    }
    // Destroyed: duty 0 and disabled.
    CHECK(first_line(ch / "duty_cycle") == "0");
    CHECK(first_line(ch / "enable") == "0");
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
        CHECK(first_line(tmp.path() / "pwmchip0" / "export") == "0");  // it did export
    }
    SECTION("a missing attribute") {
        rig::test::make_fake_pwm_chip(tmp.path(), 0, 1, true);
        std::filesystem::remove(tmp.path() / "pwmchip0" / "pwm0" / "enable");
        std::filesystem::create_directory(tmp.path() / "pwmchip0" / "pwm0" / "enable");  // not writable as a file
        CHECK_THROWS_WITH(hw::open_sysfs_pwm(s), Catch::Contains((tmp.path() / "pwmchip0" / "pwm0" / "enable").string()));
    }
}
