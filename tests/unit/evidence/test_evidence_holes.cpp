// Regression tests for the holes an attacker with the state folder but without
// the rig key found in the evidence chain: each TEST_CASE is one finding.
#include <sys/stat.h>

#include <sstream>

#include "catch.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/signatures.hpp"
#include "run_folder.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using rig::BundleProblemKind;

namespace {

std::vector<std::string> lines_of(const fs::path& f) {
    std::vector<std::string> v;
    std::istringstream in(rig::read_file(f));
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}
void write_lines(const fs::path& f, const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    rig::write_file_atomic(f, s);
}

// A state folder with a rig key and an audit log of `n` entries.
struct KeyedState {
    fs::path state;
    rig::AuditLog log;
    explicit KeyedState(const rig::test::TempDir& tmp, int n = 5)
        : state(tmp / "state"), log(state / "audit.jsonl") {
        rig::SigningKey::generate().save(state / "keys");
        for (int i = 0; i < n; ++i) log.append("ci", "run.started", "runs/r" + std::to_string(i), nullptr, {{"i", i}});
    }
};

// What someone without the key can do: recompute every hash of a chain of
// (possibly edited) entries and write an unsigned head that matches it.
void recompute_chain(const fs::path& log, std::vector<std::string> lines) {
    std::string prev(64, '0');
    std::string text;
    std::uint64_t seq = 0;
    for (auto& l : lines) {
        auto e = rig::audit_entry_from_json(json::parse(l));
        e.seq = ++seq;
        e.prev_hash = prev;
        e.hash = rig::audit_entry_hash(e);
        prev = e.hash;
        text += rig::canonical_json(rig::to_json(e)) + "\n";
    }
    rig::write_file_atomic(log, text);
    rig::write_file_atomic(fs::path(log.string() + ".head"),
                           json{{"seq", seq}, {"hash", prev}, {"bytes", text.size()}}.dump() + "\n");
}
}  // namespace

TEST_CASE("deleting signatures.json from a signed run fails verify", "[evidence][holes]") {
    rig::test::TempDir tmp;
    const auto [dir, key] = rig::test::signed_run_folder(tmp);
    REQUIRE(rig::verify_run_dir(dir, key.public_key()).ok());
    const auto manifest = json::parse(rig::read_file(dir / "manifest.json"));
    CHECK(manifest["files"].contains("signatures.json"));
    SECTION("deleted") {
        fs::remove(dir / "signatures.json");
        const auto r = rig::verify_run_dir(dir, key.public_key());
        CHECK(rig::test::has_problem(r, BundleProblemKind::missing, "signatures.json"));
    }
    SECTION("replaced by an earlier, validly signed version (one signature fewer)") {
        const std::string one = rig::read_file(dir / "signatures.json");
        rig::sign_run(dir, key, "John Doe", rig::SignatureMeaning::review, nullptr, "jdoe");
        rig::write_file_atomic(dir / "signatures.json", one);
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::changed, "signatures.json"));
    }
}

TEST_CASE("a sealed bundle copied into another run folder neither verifies nor can be sealed or signed", "[evidence][holes]") {
    rig::test::TempDir tmp;
    const auto a = rig::test::make_run_folder(tmp, rig::test::scenario::smoke);
    const auto b = rig::test::make_run_folder(tmp, rig::test::scenario::stall);
    REQUIRE(a.filename() != b.filename());
    const auto key = rig::SigningKey::generate();
    rig::seal_run_dir(a, key);
    rig::seal_run_dir(b, key);
    SECTION("every file of run A copied over run B") {
        for (const auto& e : fs::directory_iterator(b)) fs::remove(e.path());
        for (const auto& e : fs::directory_iterator(a)) fs::copy_file(e.path(), b / e.path().filename());
        const auto r = rig::verify_run_dir(b, key.public_key());
        INFO(r.summary());
        CHECK(rig::test::has_problem(r, BundleProblemKind::wrong_run, "manifest.json"));
        CHECK(rig::test::has_problem(r, BundleProblemKind::wrong_run, "record.json"));
        CHECK(r.summary().find("WRONG RUN") != std::string::npos);
        CHECK_THROWS_WITH(rig::seal_run_dir(b, key), Catch::Contains("record.json is run '" + a.filename().string()));
        CHECK_THROWS_AS(rig::sign_run(b, key, "Jane Roe", rig::SignatureMeaning::approval, nullptr, "jroe"), rig::SignRefused);
    }
    SECTION("run A's folder renamed") {
        const auto moved = tmp / "runs" / "20991231T000000Z-OTHER-0000";
        fs::rename(a, moved);
        CHECK(rig::test::has_problem(rig::verify_run_dir(moved, key.public_key()), BundleProblemKind::wrong_run, "manifest.json"));
    }
    SECTION("an e-signature moved with its record into another run's folder") {
        rig::sign_run(a, key, "Jane Roe", rig::SignatureMeaning::approval, nullptr, "jroe");
        auto doc = json::parse(rig::read_file(a / "signatures.json"));
        doc["signatures"][0]["run_id"] = "20991231T000000Z-OTHER-0000";
        rig::write_file_atomic(a / "signatures.json", doc.dump());
        CHECK(rig::verify_run_dir(a, key.public_key()).summary().find("BAD E-SIGNATURE") != std::string::npos);
    }
}

TEST_CASE("a rig key readable by the group or others is refused", "[evidence][holes][keys]") {
    rig::test::TempDir tmp;
    rig::SigningKey::generate().save(tmp / "keys");
    const auto f = tmp / "keys" / "rig.key";
    CHECK_NOTHROW(rig::SigningKey::load(f));
    for (const auto mode : {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write}) {
        fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write | mode, fs::perm_options::replace);
        CHECK_THROWS_WITH(rig::SigningKey::load(f), Catch::Contains("refusing it"));
    }
}

TEST_CASE("the audit head is signed with the rig key on every append", "[evidence][holes][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    const auto head = s.log.head();
    REQUIRE(head);
    CHECK(head->seq == 5);
    CHECK(head->key_id == rig::load_public_key(s.state / "keys" / "rig.pub").id());
    CHECK(head->sig.size() == 128);
    CHECK(head->bytes == fs::file_size(s.log.path()));
    CHECK(s.log.verify().ok);
}

TEST_CASE("audit: cutting the last entries and rewriting the head is detected", "[evidence][holes][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    auto lines = lines_of(s.log.path());
    lines.resize(3);
    SECTION("head recomputed, unsigned") {
        recompute_chain(s.log.path(), lines);
        const auto r = s.log.verify();
        CHECK_FALSE(r.ok);
        CHECK(r.message.find("not signed") != std::string::npos);
    }
    SECTION("head signed with another key") {
        recompute_chain(s.log.path(), lines);
        auto head = json::parse(rig::read_file(s.log.path().string() + ".head"));
        const auto mallory = rig::SigningKey::generate();
        head["key_id"] = rig::load_public_key(s.state / "keys" / "rig.pub").id();
        head["sig"] = mallory.sign_hex("anything");
        rig::write_file_atomic(s.log.path().string() + ".head", head.dump());
        const auto r = s.log.verify();
        CHECK_FALSE(r.ok);
        CHECK(r.message.find("signature is not valid") != std::string::npos);
    }
    SECTION("and append refuses to build on it") {
        write_lines(s.log.path(), lines);  // head still says 5
        CHECK_THROWS_WITH(s.log.append("x", "run.started", "runs/x", nullptr, nullptr), Catch::Contains("head records seq 5"));
    }
}

TEST_CASE("audit: deleting the log and its head is detected", "[evidence][holes][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    fs::remove(s.log.path());
    fs::remove(s.log.path().string() + ".head");
    const auto r = s.log.verify();
    CHECK_FALSE(r.ok);
    CHECK(r.message.find("the rig has a key") != std::string::npos);
    // Without a key and without anchors, an absent log is simply empty.
    CHECK(rig::AuditLog(tmp / "elsewhere" / "audit.jsonl").verify().ok);
    CHECK_FALSE(rig::AuditLog(tmp / "elsewhere" / "audit.jsonl").verify({{3, std::string(64, 'a'), "run X"}}).ok);
}

TEST_CASE("audit: recomputing the whole chain after an edit is detected", "[evidence][holes][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    auto lines = lines_of(s.log.path());
    auto j = json::parse(lines[1]);
    j["actor"] = "someone-else";
    lines[1] = j.dump();
    recompute_chain(s.log.path(), lines);
    const auto r = s.log.verify();
    CHECK_FALSE(r.ok);
    CHECK(r.message.find("not signed") != std::string::npos);
}

TEST_CASE("audit: an older copy of the log is caught by the runs sealed since", "[evidence][holes][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    const std::string old_log = rig::read_file(s.log.path()), old_head = rig::read_file(s.log.path().string() + ".head");
    s.log.append("ci", "run.ended", "runs/r4", nullptr, {{"verdict", "FAIL"}});
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::load(s.state / "keys" / "rig.key");
    rig::seal_run_dir(dir, key, &s.log);
    const auto anchor = rig::sealed_audit_anchor(dir, key.public_key());
    REQUIRE(anchor);
    CHECK(anchor->seq == s.log.head()->seq);
    CHECK(s.log.verify({*anchor}).ok);
    // Roll the log back: it is consistent and its head validly signed...
    rig::write_file_atomic(s.log.path(), old_log);
    rig::write_file_atomic(s.log.path().string() + ".head", old_head);
    CHECK(s.log.verify().ok);
    // ...but the run sealed after it says the log was longer.
    const auto r = s.log.verify({*anchor});
    CHECK_FALSE(r.ok);
    CHECK(r.message.find("removed from the end") != std::string::npos);
    // An anchor whose entry differs: the log was rewritten.
    CHECK_FALSE(s.log.verify({{2, std::string(64, 'b'), "run Y"}}).ok);
    // A forged manifest (not signed by the rig key) anchors nothing.
    const auto mallory = rig::SigningKey::generate();
    CHECK_FALSE(rig::sealed_audit_anchor(dir, mallory.public_key()));
}

TEST_CASE("audit append reads only the head and the last line", "[evidence][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    auto lines = lines_of(s.log.path());
    lines[1] = "damage in the middle is verify's finding, not append's";
    write_lines(s.log.path(), lines);
    auto head = json::parse(rig::read_file(s.log.path().string() + ".head"));
    head["bytes"] = fs::file_size(s.log.path());  // as if the middle had always been this long
    rig::write_file_atomic(s.log.path().string() + ".head", head.dump());
    CHECK_NOTHROW(s.log.append("x", "run.started", "runs/x", nullptr, nullptr));
    CHECK(s.log.verify().first_bad_line == 2);
}

TEST_CASE("audit: a crash between the entry and its head is recovered by the next append", "[evidence][audit]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    const std::string head5 = rig::read_file(s.log.path().string() + ".head");
    s.log.append("ci", "run.ended", "runs/r4", nullptr, nullptr);
    rig::write_file_atomic(s.log.path().string() + ".head", head5);  // the head write was lost
    CHECK_FALSE(s.log.verify().ok);
    const auto e = s.log.append("ci", "run.started", "runs/r5", nullptr, nullptr);
    CHECK(e.seq == 7);
    CHECK(s.log.verify().ok);
}

TEST_CASE("audit: an unusable key leaves the entry in and the head visibly unsigned", "[evidence][audit][keys]") {
    rig::test::TempDir tmp;
    KeyedState s(tmp);
    fs::permissions(s.state / "keys" / "rig.key", fs::perms::others_read, fs::perm_options::add);
    CHECK_THROWS_WITH(s.log.append("x", "run.started", "runs/x", nullptr, nullptr), Catch::Contains("not signed"));
    CHECK(s.log.read().size() == 6);
    CHECK_FALSE(s.log.verify().ok);
}
