// The cartridge-face reference by the LS7366R index on the hardware fixture
// (drivers/hw/README.md "Cartridge-face reference"): the real HwFixture,
// acquisition loop and runner against the datasheet LS7366R emulator. The
// truth is the emulator's own position (the count the test moved it to when
// INDEX went active), never the driver's reading.
#include <cmath>
#include <fstream>
#include <numbers>

#include "hw_bench.hpp"
#include "rig/runner/runner.hpp"
#include "rig/scenario/scenario.hpp"
#include "rig/reports/json_schema.hpp"

using namespace rig;
using rig::test::Bench;

namespace {

// The example file's mark (fixtures/examples/reference-index.yaml).
constexpr double kProtrusionMm = -0.250;
constexpr double kMarkUncertaintyMm = 0.002;

// pi4-reference.yaml with the example reference.index block
// (fixtures/examples/reference-index.yaml), written to `dir`.
std::filesystem::path index_fixture(const std::filesystem::path& dir) {
    std::stringstream text;
    for (const char* f : {"fixtures/pi4-reference.yaml", "fixtures/examples/reference-index.yaml"}) {
        std::ifstream in(rig::test::source_dir() / f);
        REQUIRE(in);
        text << in.rdbuf() << "\n";
    }
    const auto path = dir / "pi4-index.yaml";
    std::ofstream(path) << text.str();
    return path;
}

// The pen as the encoder sees it, advanced on every sleep of the fixture's
// clock: while pen power (GPIO 17) is on, the needle follows the cam at the
// PWM's commanded rate, x = rest + stroke/2 (1 - cos phase) counts; with the
// power off it stays where it is. The INDEX input is active while the needle
// is on the mark's count (an edge at every arrival, either direction).
class PenClock final : public Clock {
public:
    PenClock(Bench& b, std::int64_t rest, std::int64_t stroke, std::optional<std::int64_t> mark)
        : b_(b), rest_(rest), stroke_(stroke), mark_(mark), pos_(rest) {}
    [[nodiscard]] Nanos now() const override { return b_.clock.now(); }
    Nanos sleep_until(Nanos deadline) noexcept override {
        const Nanos before = b_.clock.now();
        const Nanos t = b_.clock.sleep_until(deadline);
        if (b_.gpio.pin_level(17) && rate_ != nullptr) {
            phase_ += 2.0 * std::numbers::pi * rate_() * static_cast<double>((t - before).count()) * 1e-9;
        }
        if (on_tick) on_tick();
        go_to(rest_ + std::llround(static_cast<double>(stroke_) / 2.0 * (1.0 - std::cos(phase_))));
        return t;
    }
    [[nodiscard]] bool is_real_time() const override { return false; }
    std::function<double()> rate_;  // the commanded rate (the fixture's PWM), Hz
    std::function<void()> on_tick;
    std::int64_t index_edges = 0;

private:
    void go_to(std::int64_t target) {
        if (target == pos_) return;
        if (mark_ && ((pos_ < *mark_ && target >= *mark_) || (pos_ > *mark_ && target <= *mark_))) {
            b_.counter.move(*mark_ - pos_);
            pos_ = *mark_;
            b_.counter.index(true);
            ++index_edges;
        }
        if (target != pos_) {
            b_.counter.move(target - pos_);
            pos_ = target;
            b_.counter.index(false);
        }
    }
    Bench& b_;
    std::int64_t rest_, stroke_;
    std::optional<std::int64_t> mark_;
    std::int64_t pos_;
    double phase_ = 0.0;
};

void require_schema_valid(const nlohmann::json& rec) {
    std::ifstream in(rig::test::source_dir() / "reports" / "schema" / "run-record.schema.json");
    const auto schema = nlohmann::json::parse(in);
    const auto errors = validate_json_schema(schema, rec);
    INFO([&] { std::string s; for (auto& e : errors) s += e + "\n"; return s; }());
    REQUIRE(errors.empty());
}

struct IndexRun {
    Bench b;
    std::filesystem::path fixture_path = index_fixture(b.tmp.path());
    PenClock* pen = nullptr;
    std::unique_ptr<hw::HwFixture> fx;

    // rest/stroke/mark: emulator counts (1 um each by the encoder calibration).
    IndexRun(std::int64_t rest, std::int64_t stroke, std::optional<std::int64_t> mark) {
        Diagnostics d;
        auto cfg = load_fixture(fixture_path, d);
        INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
        REQUIRE(cfg);
        auto clock = std::make_unique<PenClock>(b, rest, stroke, mark);
        pen = clock.get();
        fx = b.make(*cfg, std::move(clock));
        b.counter.move(rest);  // the needle rests `rest` counts from where the counter started
        pen->rate_ = [this] { return fx->speed().rate_hz(); };
    }
    RunResult run(const std::string& steps) {
        const std::string text = "id: IDX-REF-01\ntitle: index reference\nversion: \"1.0\"\n"
                                 "spec: " + (rig::test::source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string() +
                                 "\nfixture: " + fixture_path.string() + "\nsteps:\n" + steps;
        Diagnostics d;
        auto sc = load_scenario_text("index.yaml", text, b.tmp.path(), d);
        INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
        REQUIRE(sc);
        std::atomic<bool> abort{false};
        RunOptions o;
        o.out_dir = b.tmp.path() / "run";
        o.today = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{11}, std::chrono::day{30}};
        Runner runner(*sc, *fx, o, abort);
        return runner.run();
    }
};

const std::string kDepthSteps = R"(  - reference: index
  - set_depth: 0.5 mm
  - set_level: 3
  - power: on
  - hold: 1 s
  - measure: {what: protrusion_depth, id: depth, window: 1 s, limits: {low: 0.3 mm, high: 0.6 mm}}
  - power: off
)";

}  // namespace

TEST_CASE("index reference: the latch at the mark gives the face; depth is BDC minus it", "[hw][index]") {
    // Needle at rest 4321 counts from the counter's start, 1000-count stroke,
    // the mark 300 counts into it.
    IndexRun r(4321, 1000, 4621);
    const auto res = r.run(kDepthSteps);
    REQUIRE(res.run_record.references.size() == 1);
    const auto& ref = res.run_record.references[0];
    INFO(ref.reason);
    REQUIRE(ref.valid);
    CHECK(ref.method == "index");
    CHECK_THAT(ref.mark_calibration, Catch::StartsWith("EXAMPLE-ONLY"));
    // Truth from the emulator: the count at the mark x 1 um - the mark's protrusion.
    const double face_truth_mm = 4621 * 1e-3 - kProtrusionMm;
    REQUIRE(ref.value_mm);
    CHECK(*ref.value_mm == Approx(face_truth_mm).margin(1e-9));
    REQUIRE(ref.uncertainty_mm);
    CHECK(*ref.uncertainty_mm == Approx(std::hypot(kMarkUncertaintyMm, 1e-3)).epsilon(1e-9));
    CHECK(r.pen->index_edges >= 1);
    // Depth: BDC (rest + stroke, the emulator's own count) minus the face.
    const Measurement* depth = nullptr;
    for (const auto& m : res.measurements) {
        if (m.id == "depth") depth = &m;
    }
    REQUIRE(depth != nullptr);
    INFO(depth->message);
    REQUIRE(depth->value);
    CHECK(*depth->value == Approx((4321 + 1000) * 1e-3 - face_truth_mm).margin(0.002));
    // The reference entry as written, unchanged in the record's JSON.
    CHECK(res.record.at("references").at(0).at("method") == "index");
    CHECK(res.record.at("references").at(0).at("value_mm").get<double>() == Approx(face_truth_mm).margin(1e-9));
    require_schema_valid(res.record);
    // Index mode disabled again, pen off, brake released.
    CHECK(r.b.counter.mdr0() == hw::ls7366r::mdr0_config);
    CHECK(r.b.gpio.pin_level(17) == false);
    CHECK(r.b.gpio.pin_level(27) == false);
}

TEST_CASE("index reference: nothing reads the counter between the index mode and its restore", "[hw][index]") {
    IndexRun r(4321, 1000, 4621);
    (void)r.run("  - reference: index\n");
    const auto& ins = r.b.counter.instructions();
    using hw::ls7366r::instruction;
    using hw::ls7366r::Op;
    using hw::ls7366r::Reg;
    // The pass: from the WR MDR0 that selects "load OTR" to the one that
    // restores it (configure() writes MDR0 first: the second and third write).
    std::size_t writes = 0;
    std::size_t begin = ins.size(), end = ins.size();
    for (std::size_t i = 0; i < ins.size(); ++i) {
        if (ins[i] != instruction(Op::wr, Reg::mdr0)) continue;
        ++writes;
        if (writes == 2) begin = i;
        if (writes == 3) end = i;
    }
    REQUIRE(begin < end);
    REQUIRE(end < ins.size());
    std::size_t otr_reads = 0;
    for (std::size_t i = begin; i < end; ++i) {
        CHECK(ins[i] != instruction(Op::rd, Reg::cntr));      // would overwrite OTR (Table 1)
        CHECK(ins[i] != instruction(Op::load, Reg::otr));
        if (ins[i] == instruction(Op::rd, Reg::otr)) ++otr_reads;
    }
    CHECK(otr_reads >= 1);
    // The loop resumed reading the counter after the restore.
    CHECK(std::find(ins.begin() + static_cast<std::ptrdiff_t>(end), ins.end(), instruction(Op::rd, Reg::cntr)) != ins.end());
}

TEST_CASE("index reference: no mark within the pass: no reference, depth ERROR naming the encoder", "[hw][index]") {
    IndexRun r(4321, 1000, std::nullopt);
    const auto res = r.run(kDepthSteps);
    REQUIRE(res.run_record.references.size() == 1);
    const auto& ref = res.run_record.references[0];
    CHECK_FALSE(ref.valid);
    CHECK_FALSE(ref.value_mm);
    CHECK_THAT(ref.reason, Catch::StartsWith("encoder:") && Catch::Contains("no index mark") &&
                               Catch::Contains("/dev/spidev0.1"));
    const Measurement* depth = nullptr;
    for (const auto& m : res.measurements) {
        if (m.id == "depth") depth = &m;
    }
    REQUIRE(depth != nullptr);
    CHECK(depth->outcome == Outcome::error);
    CHECK_FALSE(depth->value);
    CHECK_THAT(depth->message, Catch::Contains("encoder"));
    CHECK(res.verdict == Verdict::error);
    require_schema_valid(res.record);
    CHECK(r.b.counter.mdr0() == hw::ls7366r::mdr0_config);
    CHECK(r.b.gpio.pin_level(17) == false);
    CHECK(r.b.gpio.pin_level(27) == false);
}

TEST_CASE("index reference: a counter that fails during the pass leaves the pen off, the brake released, depth ERROR",
          "[hw][index][safety]") {
    IndexRun r(4321, 1000, 4621);
    // The chip stops answering once the pen is running in the pass.
    r.pen->on_tick = [&] {
        if (r.b.gpio.pin_level(17)) r.b.counter.absent = true;
    };
    const auto res = r.run(kDepthSteps);
    CHECK(res.verdict == Verdict::error);
    for (const auto& ref : res.run_record.references) CHECK_FALSE(ref.valid);
    for (const auto& m : res.measurements) {
        if (m.id == "depth") CHECK(m.outcome == Outcome::error);
    }
    CHECK(r.b.gpio.pin_level(17) == false);
    CHECK(r.b.gpio.pin_level(27) == false);
}

TEST_CASE("index reference: validation accepts it only on a fixture that declares reference.index", "[hw][index]") {
    Bench b;
    const auto with_index = index_fixture(b.tmp.path());
    auto scenario = [&](const std::filesystem::path& fixture) {
        return "id: IDX-V\ntitle: v\nversion: \"1.0\"\nspec: " +
               (rig::test::source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string() +
               "\nfixture: " + fixture.string() + "\nsteps:\n  - reference: index\n";
    };
    Diagnostics ok;
    CHECK(load_scenario_text("a.yaml", scenario(with_index), b.tmp.path(), ok));
    Diagnostics refused;
    CHECK_FALSE(load_scenario_text("b.yaml", scenario(rig::test::source_dir() / "fixtures" / "pi4-reference.yaml"),
                                   b.tmp.path(), refused));
    std::ostringstream o;
    refused.print(o);
    CHECK_THAT(o.str(), Catch::Contains("has no 'index' method"));
    Diagnostics sim;
    CHECK_FALSE(load_scenario_text("c.yaml", scenario(rig::test::source_dir() / "fixtures" / "sim.yaml"),
                                   b.tmp.path(), sim));
}
