#include <sstream>

#include "catch.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/audit_log.hpp"
#include "temp_dir.hpp"

using nlohmann::json;

namespace {
std::vector<std::string> lines_of(const std::filesystem::path& f) {
    std::vector<std::string> v;
    std::istringstream in(rig::read_file(f));
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}
void write_lines(const std::filesystem::path& f, const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    rig::write_file_atomic(f, s);
}

// A log of five entries with deterministic times.
rig::AuditLog five(const rig::test::TempDir& tmp) {
    int n = 0;
    rig::AuditLog log(tmp / "state" / "audit.jsonl", [&n] { return "2025-11-25T10:00:0" + std::to_string(n++) + ".000Z"; });
    log.append("ci", "run.submitted", "runs/a", nullptr, {{"scenario", "level.yaml"}});
    log.append("ci", "run.started", "runs/a", nullptr, {{"seed", 1}});
    log.append("ci", "run.ended", "runs/a", {{"verdict", nullptr}}, {{"verdict", "PASS"}});
    log.append("jroe", "signature.added", "runs/a", nullptr, {{"meaning", "review"}});
    log.append("qa", "fixture.changed", "fixtures/pi4.yaml", {{"sha256", "aa"}}, {{"sha256", "bb"}});
    return log;
}
}  // namespace

TEST_CASE("audit entries chain and verify", "[evidence][audit]") {
    rig::test::TempDir tmp;
    const auto log = five(tmp);
    const auto entries = log.read();
    REQUIRE(entries.size() == 5);
    CHECK(entries[0].seq == 1);
    CHECK(entries[0].prev_hash == std::string(64, '0'));
    for (std::size_t i = 1; i < entries.size(); ++i) {
        CHECK(entries[i].seq == i + 1);
        CHECK(entries[i].prev_hash == entries[i - 1].hash);
        CHECK(entries[i].hash == rig::audit_entry_hash(entries[i]));
    }
    CHECK(entries[2].old_value == json{{"verdict", nullptr}});
    CHECK(entries[2].new_value == json{{"verdict", "PASS"}});
    CHECK(entries[3].actor == "jroe");
    const auto r = log.verify();
    CHECK(r.ok);
    CHECK(r.entries == 5);
    CHECK(rig::AuditLog(tmp / "none.jsonl").verify().ok);
}

TEST_CASE("audit verify detects a removed, reordered or edited entry and names the first bad seq", "[evidence][audit]") {
    rig::test::TempDir tmp;
    const auto log = five(tmp);
    auto lines = lines_of(log.path());
    // The log rewritten with `lines`: verify fails, first at `seq`, and says `says`.
    auto broken_at = [&](std::uint64_t seq, const char* says) {
        write_lines(log.path(), lines);
        const auto r = log.verify();
        CHECK_FALSE(r.ok);
        CHECK(r.first_bad_seq == seq);
        CHECK(r.message.find(says) != std::string::npos);
        return r;
    };
    SECTION("removed from the middle") {
        lines.erase(lines.begin() + 2);
        CHECK(broken_at(3, "removed").first_bad_line == 3);
    }
    SECTION("removed from the end") {
        lines.pop_back();
        broken_at(5, "removed from the end");
    }
    SECTION("removed first") {
        lines.erase(lines.begin());
        broken_at(1, "");
    }
    SECTION("reordered") {
        std::swap(lines[1], lines[3]);
        broken_at(2, "");
    }
    SECTION("edited (value changed, hash kept)") {
        auto j = json::parse(lines[2]);
        j["new"]["verdict"] = "FAIL";
        lines[2] = j.dump();
        broken_at(3, "edited");
    }
    SECTION("edited and re-hashed: the next entry's link breaks") {
        auto e = rig::audit_entry_from_json(json::parse(lines[1]));
        e.actor = "someone-else";
        e.hash = rig::audit_entry_hash(e);
        lines[1] = rig::to_json(e).dump();
        broken_at(3, "");
    }
    SECTION("garbage line") {
        lines[4] = "not json";
        broken_at(5, "");
    }
}

TEST_CASE("append refuses to extend a log whose last entry was edited", "[evidence][audit]") {
    rig::test::TempDir tmp;
    auto log = five(tmp);
    auto lines = lines_of(log.path());
    auto j = json::parse(lines.back());
    j["subject"] = "elsewhere";
    lines.back() = j.dump();
    write_lines(log.path(), lines);
    CHECK_THROWS_WITH(log.append("x", "run.started", "runs/b", nullptr, nullptr), Catch::Contains("seq 5"));
}
