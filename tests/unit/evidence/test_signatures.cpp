#include "catch.hpp"
#include "rig/reports/signatures.hpp"
#include "run_folder.hpp"

namespace fs = std::filesystem;

TEST_CASE("signing binds to the record, shows in the report, re-seals and audits", "[evidence][sign]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::generate();
    rig::seal_run_dir(dir, key);
    rig::AuditLog audit(tmp / "audit.jsonl");
    CHECK(rig::read_file(dir / "report.html").find("id=\"unreviewed\"") != std::string::npos);

    const auto s = rig::sign_run(dir, key, "  Jane Roe ", rig::SignatureMeaning::review, &audit, "jroe");
    CHECK(s.seq == 1);
    CHECK(s.name == "Jane Roe");
    CHECK(s.record_sha256 == rig::record_sha256(dir));
    const std::string html = rig::read_file(dir / "report.html");
    CHECK(html.find("id=\"unreviewed\"") == std::string::npos);
    CHECK(html.find("<b>Jane Roe</b></td><td>" + s.utc + "</td><td>review</td>") != std::string::npos);
    const auto r = rig::verify_run_dir(dir, key.public_key());
    INFO(r.summary());
    CHECK(r.ok());  // re-sealed after the report changed

    const auto s2 = rig::sign_run(dir, key, "John Doe", rig::SignatureMeaning::approval, &audit, "jdoe");
    CHECK(s2.seq == 2);
    CHECK(rig::read_signatures(dir).size() == 2);
    CHECK(rig::verify_run_dir(dir, key.public_key()).ok());

    const auto entries = audit.read();
    std::size_t added = 0;
    for (const auto& e : entries) added += e.action == "signature.added";
    CHECK(added == 2);
    CHECK(entries.front().actor == "jroe");
    CHECK(audit.verify().ok);
}

TEST_CASE("signing a run whose bundle does not verify is refused and audited", "[evidence][sign]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::generate();
    rig::AuditLog audit(tmp / "audit.jsonl");
    SECTION("never sealed") {
        CHECK_THROWS_AS(rig::sign_run(dir, key, "Jane Roe", rig::SignatureMeaning::approval, &audit, "jroe"), rig::SignRefused);
    }
    SECTION("tampered") {
        rig::seal_run_dir(dir, key);
        rig::test::flip_byte(dir / "samples.bin", 5);
        CHECK_THROWS_WITH(rig::sign_run(dir, key, "Jane Roe", rig::SignatureMeaning::approval, &audit, "jroe"),
                          Catch::Contains("CHANGED samples.bin"));
    }
    CHECK_FALSE(fs::exists(dir / "signatures.json"));
    REQUIRE(audit.read().size() == 1);
    CHECK(audit.read()[0].action == "signature.refused");
    rig::seal_run_dir(dir, key);
    CHECK_THROWS_WITH(rig::sign_run(dir, key, "   ", rig::SignatureMeaning::review, nullptr, "x"), Catch::Contains("printed name"));
}

TEST_CASE("a forged or moved e-signature is named by verify", "[evidence][sign]") {
    rig::test::TempDir tmp;
    const auto [dir, key] = rig::test::signed_run_folder(tmp);
    auto doc = nlohmann::json::parse(rig::read_file(dir / "signatures.json"));
    SECTION("meaning edited") {
        doc["signatures"][0]["meaning"] = "review";
    }
    SECTION("copied from another run") {
        doc["signatures"][0]["record_sha256"] = std::string(64, 'a');
    }
    rig::write_file_atomic(dir / "signatures.json", doc.dump());
    const auto r = rig::verify_run_dir(dir, key.public_key());
    CHECK_FALSE(r.ok());
    CHECK(r.summary().find("BAD E-SIGNATURE signatures.json: signature #1 (Jane Roe") != std::string::npos);
}
