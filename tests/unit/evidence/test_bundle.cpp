#include <sys/stat.h>

#include "catch.hpp"
#include "rig/reports/bundle.hpp"
#include "run_folder.hpp"

namespace fs = std::filesystem;
using rig::BundleProblemKind;

TEST_CASE("a sealed run folder verifies", "[evidence][bundle]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::generate();
    rig::seal_run_dir(dir, key);
    const auto r = rig::verify_run_dir(dir, key.public_key());
    INFO(r.summary());
    CHECK(r.ok());
    CHECK(r.files_checked == 4);  // record, samples, junit, report
    CHECK(r.key_id == key.public_key().id());
    const auto manifest = nlohmann::json::parse(rig::read_file(dir / "manifest.json"));
    for (const char* f : {"record.json", "samples.bin", "junit.xml", "report.html"}) CHECK(manifest["files"].contains(f));
    CHECK_FALSE(manifest["files"].contains("manifest.json"));
    CHECK(manifest["files"]["samples.bin"]["sha256"] == rig::file_sha256(dir / "samples.bin"));
}

TEST_CASE("verify names a changed byte in each kind of file", "[evidence][bundle]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::generate();
    rig::seal_run_dir(dir, key);
    for (const char* f : {"record.json", "samples.bin", "junit.xml", "report.html"}) {
        DYNAMIC_SECTION("flip a byte of " << f) {
            rig::test::flip_byte(dir / f, 10);
            const auto r = rig::verify_run_dir(dir, key.public_key());
            INFO(r.summary());
            CHECK_FALSE(r.ok());
            CHECK(rig::test::has_problem(r, BundleProblemKind::changed, f));
            CHECK(r.problems.size() == 1);
            CHECK(r.summary().find(std::string("CHANGED ") + f) != std::string::npos);
        }
    }
    SECTION("flip a byte of the manifest: the signature no longer matches") {
        std::string m = rig::read_file(dir / "manifest.json");
        const auto p = m.find("\"size\":");
        m[p + 7] = m[p + 7] == '9' ? '8' : '9';
        rig::write_file_atomic(dir / "manifest.json", m);
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::bad_signature, "manifest.sig"));
    }
    SECTION("a manifest that is not JSON") {
        rig::test::flip_byte(dir / "manifest.json", 0);
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::bad_manifest, "manifest.json"));
    }
    SECTION("flip a byte of the signature") {
        rig::test::flip_byte(dir / "manifest.sig", 3);
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::bad_signature, "manifest.sig"));
    }
}

TEST_CASE("verify names an added, a missing file and a swapped signature", "[evidence][bundle]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    const auto key = rig::SigningKey::generate();
    rig::seal_run_dir(dir, key);
    SECTION("added") {
        fs::create_directories(dir / "raw");
        rig::write_file_atomic(dir / "raw" / "extra.csv", "1,2\n");
        const auto r = rig::verify_run_dir(dir, key.public_key());
        CHECK(rig::test::has_problem(r, BundleProblemKind::added, "raw/extra.csv"));
        CHECK(r.problems.size() == 1);
    }
    SECTION("missing") {
        fs::remove(dir / "junit.xml");
        const auto r = rig::verify_run_dir(dir, key.public_key());
        CHECK(rig::test::has_problem(r, BundleProblemKind::missing, "junit.xml"));
        CHECK(r.problems.size() == 1);
    }
    SECTION("the signature of another run swapped in") {
        const auto other = rig::test::make_run_folder(tmp, rig::test::scenario::stall);
        rig::seal_run_dir(other, key);
        fs::copy_file(other / "manifest.sig", dir / "manifest.sig", fs::copy_options::overwrite_existing);
        const auto r = rig::verify_run_dir(dir, key.public_key());
        CHECK(rig::test::has_problem(r, BundleProblemKind::bad_signature, "manifest.sig"));
        CHECK(r.problems.size() == 1);
    }
    SECTION("re-signed by another key") {
        const auto mallory = rig::SigningKey::generate();
        rig::test::flip_byte(dir / "samples.bin", 0);
        rig::seal_run_dir(dir, mallory);
        const auto r = rig::verify_run_dir(dir, key.public_key());
        CHECK(rig::test::has_problem(r, BundleProblemKind::wrong_key, "manifest.json"));
        CHECK(rig::test::has_problem(r, BundleProblemKind::bad_signature, "manifest.sig"));
    }
    SECTION("signature missing") {
        fs::remove(dir / "manifest.sig");
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::bad_signature, "manifest.sig"));
    }
    SECTION("never sealed") {
        fs::remove(dir / "manifest.json");
        CHECK(rig::test::has_problem(rig::verify_run_dir(dir, key.public_key()), BundleProblemKind::bad_manifest, "manifest.json"));
    }
}

TEST_CASE("a symlink in a run folder cannot be sealed", "[evidence][bundle]") {
    rig::test::TempDir tmp;
    const auto dir = rig::test::make_run_folder(tmp);
    fs::create_symlink("/etc/hostname", dir / "link");
    CHECK_THROWS_WITH(rig::seal_run_dir(dir, rig::SigningKey::generate()), Catch::Contains("'link' is not a regular file"));
}

TEST_CASE("keys: saved with a private secret, reloaded, never silently replaced", "[evidence][keys]") {
    rig::test::TempDir tmp;
    const auto keys = tmp / "keys";
    const auto key = rig::SigningKey::generate();
    key.save(keys);
    struct stat st {};
    REQUIRE(::stat((keys / "rig.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    const auto loaded = rig::SigningKey::load(keys / "rig.key");
    CHECK(loaded.public_key().hex() == key.public_key().hex());
    CHECK(rig::load_public_key(keys / "rig.pub").id() == key.public_key().id());
    const std::string sig = loaded.sign_hex("message");
    CHECK(rig::verify_signature_hex(key.public_key(), "message", sig));
    CHECK_FALSE(rig::verify_signature_hex(key.public_key(), "massage", sig));
    CHECK_FALSE(rig::verify_signature_hex(key.public_key(), "message", "zz"));

    const auto next = rig::SigningKey::generate();
    CHECK_THROWS_WITH(next.save(keys), Catch::Contains("already exists"));
    next.save(keys, true);
    CHECK(rig::load_public_key(keys / "rig.pub").id() == next.public_key().id());
    CHECK(rig::load_public_key(keys / (key.public_key().id() + ".pub")).hex() == key.public_key().hex());

    rig::write_file_atomic(keys / "bad.key", "1234\n");
    CHECK_THROWS_WITH(rig::SigningKey::load(keys / "bad.key"), Catch::Contains("bad.key"));
}
