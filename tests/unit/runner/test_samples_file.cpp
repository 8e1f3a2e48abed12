// samples.bin: format 3 carries each ADC value's age; versions 2 and 1 still read.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "rig/runner/samples_file.hpp"
#include "run_helpers.hpp"

using namespace rig;

namespace {
std::vector<Sample> some_samples(std::size_t n) {
    std::vector<Sample> v(n);
    for (std::size_t i = 0; i < n; ++i) {
        v[i].t_ns = static_cast<std::int64_t>(i) * 200'000;
        v[i].position_mm = 0.001 * static_cast<double>(i);
        v[i].force_n = 1.5;
        v[i].current_a = 0.25;
        v[i].flags = i % 4 == 0 ? 0u : static_cast<std::uint32_t>(sample_force_held);
        v[i].step_index = static_cast<std::uint32_t>(i / 10);
        v[i].force_age_ns = static_cast<std::int32_t>(100'000 + 200'000 * (i % 4));
        v[i].current_age_ns = 333'000;
    }
    return v;
}
std::string read_text(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("samples.bin format 3: ADC ages round-trip, in whole files and killed prefixes", "[runner][samples]") {
    test::TempDir dir;
    const auto path = dir.path() / "samples.bin";
    const auto in = some_samples(1000);
    write_samples(path, in);
    const auto info = inspect_samples(path);
    CHECK(info.version == 3);
    CHECK(info.record_size == 64);
    CHECK(info.complete);
    const auto out = read_samples(path);
    REQUIRE(out.size() == in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        CHECK(out[i].force_age_ns == in[i].force_age_ns);
        CHECK(out[i].current_age_ns == in[i].current_age_ns);
        CHECK(out[i].force_t_ns() == in[i].t_ns - in[i].force_age_ns);
    }
    // A run killed while writing: no trailer, whole records of the prefix.
    {
        SamplesWriter w(dir.path() / "killed.bin");
        w.append(std::span<const Sample>(in).first(37));
    }
    const auto prefix = read_samples(dir.path() / "killed.bin.part");
    REQUIRE(prefix.size() == 37);
    CHECK(prefix[36].force_age_ns == in[36].force_age_ns);

    write_samples_csv(path, dir.path() / "samples.csv");
    const auto csv = read_text(dir.path() / "samples.csv");
    CHECK(csv.rfind("t_ns,lateness_ns,position_mm,force_n,current_a,setpoint_hz,flags,step,force_age_ns,current_age_ns\n", 0) == 0);
    CHECK(csv.find(",300000,333000\n") != std::string::npos);  // sample 1: held force converted 300 us before
}

TEST_CASE("samples.bin format 2 still reads: ADC values at the sample time (age 0)", "[runner][samples]") {
    // tests/fuzz/corpus/fuzz_samples/valid-v2-8.bin: a format 2 file (56-byte
    // records, trailer "PENRIGE2") of 8 samples, t = i x 100 us, current 0.4 A.
    const auto v2 = test::source_dir() / "tests" / "fuzz" / "corpus" / "fuzz_samples" / "valid-v2-8.bin";
    REQUIRE(std::filesystem::exists(v2));
    const auto info = inspect_samples(v2);
    CHECK(info.version == 2);
    CHECK(info.record_size == 56);
    CHECK(info.count == 8);
    std::vector<Sample> chunked;
    for_each_samples_chunk(v2, 3, [&](std::span<const Sample> c) { chunked.insert(chunked.end(), c.begin(), c.end()); });
    const auto all = read_samples(v2);
    REQUIRE(all.size() == 8);
    REQUIRE(chunked.size() == 8);
    for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(all[i].t_ns == static_cast<std::int64_t>(i) * 100'000);
        CHECK(all[i].lateness_ns == 1000 + static_cast<std::int64_t>(i));
        CHECK(all[i].current_a == 0.4);
        CHECK(all[i].setpoint_hz == 150.0);
        CHECK(all[i].force_age_ns == 0);
        CHECK(all[i].current_age_ns == 0);
        CHECK(chunked[i].t_ns == all[i].t_ns);
        CHECK(chunked[i].flags == all[i].flags);
    }
    // A format 3 header with format 2's record size is refused, naming both.
    test::TempDir dir;
    auto bytes = read_text(v2);
    bytes[7] = '3';
    std::ofstream(dir.path() / "bad.bin", std::ios::binary) << bytes;
    CHECK_THROWS_WITH(inspect_samples(dir.path() / "bad.bin"), Catch::Contains("record size 56, expected 64"));
}
