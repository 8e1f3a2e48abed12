// One final verdict: the console summary, junit.xml, the exit code, the
// result the daemon reports and record.json all say the same, and it is only
// PASS once the record is durably closed.
#include <signal.h>
#include <sys/resource.h>

#include <sstream>

#include "rig/reports/summary.hpp"
#include "run_helpers.hpp"

using namespace rig;

namespace {

/// A file size limit for this process (the kernel refuses writes beyond it
/// with EFBIG, as a full disk refuses them with ENOSPC): real failed writes,
/// no fake writer. Restored on scope exit.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::signal(SIGXFSZ, SIG_IGN);  // a failed write, not a killed process
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_) == 0);
        rlimit l = old_;
        l.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &l) == 0);
    }
    ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old_); }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit old_{};
};

void check_error_everywhere(const RunResult& r) {
    CHECK(r.verdict == Verdict::error);
    CHECK(exit_code(r.verdict) == 2);
    CHECK(r.record["verdict"] == "ERROR");
    std::ostringstream summary;
    print_summary(summary, r.record, false);
    CHECK_THAT(summary.str(), Catch::Contains("\nERROR  "));
    CHECK_THAT(summary.str(), !Catch::Contains("\nPASS  "));
    const auto on_disk = nlohmann::json::parse(read_file(r.dir / "record.json"));
    CHECK(on_disk["verdict"] != "PASS");
    if (std::filesystem::exists(r.dir / "junit.xml")) {
        const auto junit = read_file(r.dir / "junit.xml");
        CHECK_THAT(junit, !Catch::Contains("errors=\"0\""));
        CHECK_THAT(junit, !Catch::Contains("value=\"PASS\""));
    }
}

}  // namespace

TEST_CASE("final verdict: a samples.bin the disk refuses is ERROR in the summary, junit.xml, exit code and record",
          "[runner][sim][io]") {
    test::SimRun run;
    const auto sc = test::load_shipped("scenarios/smoke.yaml");
    RunResult r;
    {
        // The record (a few tens of kB) fits; the samples (about 5 MB) do not.
        FileSizeLimit limit(1 << 20);
        r = run.run(sc);
    }
    INFO(r.reason);
    CHECK_THAT(r.reason, Catch::Contains("samples.bin"));
    check_error_everywhere(r);
    // The record could still be written: it is closed ERROR, with the reason.
    const auto on_disk = nlohmann::json::parse(read_file(r.dir / "record.json"));
    CHECK(on_disk["verdict"] == "ERROR");
    CHECK_THAT(on_disk["verdict_reason"].get<std::string>(), Catch::Contains("samples.bin"));
    CHECK_FALSE(std::filesystem::exists(r.dir / "samples.bin"));
}

TEST_CASE("final verdict: a record the disk refuses stays INCOMPLETE and the run is ERROR", "[runner][sim][io]") {
    // Once the run has started, files may grow to a little more than the
    // record written at the start: the closed record (with its measurements
    // and stroke series) does not fit, nor do the samples.
    struct LimitAfterStart final : RunObserver {
        std::unique_ptr<FileSizeLimit> limit;
        void on_started(const std::string&, const std::filesystem::path& d) override {
            const auto size = std::filesystem::file_size(d / "record.json");
            limit = std::make_unique<FileSizeLimit>(static_cast<rlim_t>(size + size / 5));
        }
    } obs;
    test::SimRun run;
    const auto r = run.run(test::load_shipped("scenarios/smoke.yaml"), &obs);
    obs.limit.reset();
    INFO(r.reason);
    check_error_everywhere(r);
    const auto on_disk = nlohmann::json::parse(read_file(r.dir / "record.json"));
    CHECK(on_disk["complete"] == false);
    CHECK(on_disk["verdict"] == "INCOMPLETE");
}

TEST_CASE("final verdict: a failing finish hook (report, seal) makes the run ERROR everywhere", "[runner][sim][io]") {
    test::TempDir dir;
    const auto sc = test::load_shipped("scenarios/smoke.yaml");
    auto fx = make_sim_fixture(sc.fixture, sc.seed);
    std::atomic<bool> abort{false};
    RunOptions o;
    o.runs_root = dir.path();
    o.on_finished = [](const std::filesystem::path&) { throw std::runtime_error("No space left on device"); };
    Runner runner(sc, *fx, o, abort);
    const auto r = runner.run();
    CHECK_THAT(r.reason, Catch::Contains("No space left on device"));
    check_error_everywhere(r);
    CHECK(nlohmann::json::parse(read_file(r.dir / "record.json"))["verdict"] == "ERROR");
}
