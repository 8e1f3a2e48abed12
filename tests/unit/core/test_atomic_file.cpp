// write_file_atomic: the new file's mode follows the process umask (a daemon
// with UMask=0027 must not leave world-readable records), and a rewrite
// replaces the content whole.
#include <sys/stat.h>

#include "catch.hpp"
#include "rig/core/atomic_file.hpp"
#include "temp_dir.hpp"

namespace {
unsigned mode_of(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777u;
}
}  // namespace

TEST_CASE("write_file_atomic respects the umask", "[core][atomic_file]") {
    rig::test::TempDir tmp;
    const mode_t saved = ::umask(027);
    rig::write_file_atomic(tmp / "a", "one");
    ::umask(077);
    rig::write_file_atomic(tmp / "b", "two");
    ::umask(022);
    rig::write_file_atomic(tmp / "c", "three");
    rig::write_file_atomic(tmp / "a", "four");  // a rewrite takes today's umask too
    ::umask(saved);
    CHECK(mode_of(tmp / "b") == 0600u);
    CHECK(mode_of(tmp / "c") == 0644u);
    CHECK(mode_of(tmp / "a") == 0644u);
    CHECK(rig::read_file(tmp / "a") == "four");
    std::size_t leftovers = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path())) leftovers += e.path().filename().string()[0] == '.';
    CHECK(leftovers == 0);
}

// The text read is kept (a queued scenario in the daemon holds its fixture and
// spec texts until the run ends): it must cost the file's size, not the
// 512 KiB limit, or 64 queued runs hold 32 MiB of empty buffer.
TEST_CASE("read_input_file_bounded holds the file's size, not the limit", "[core][atomic_file]") {
    rig::test::TempDir tmp;
    const std::string text(3000, 'x');
    rig::write_file_atomic(tmp / "f.yaml", text);
    const auto got = rig::read_input_file_bounded(tmp / "f.yaml");
    CHECK(got == text);
    CHECK(got.capacity() < 2 * text.size());
    rig::write_file_atomic(tmp / "empty.yaml", "");
    CHECK(rig::read_input_file_bounded(tmp / "empty.yaml").empty());
    // The limit still holds, to the byte.
    rig::write_file_atomic(tmp / "big.yaml", std::string(rig::kMaxInputFileBytes, 'y'));
    CHECK(rig::read_input_file_bounded(tmp / "big.yaml").size() == rig::kMaxInputFileBytes);
    rig::write_file_atomic(tmp / "bigger.yaml", std::string(rig::kMaxInputFileBytes + 1, 'y'));
    CHECK_THROWS_AS(rig::read_input_file_bounded(tmp / "bigger.yaml"), rig::InputFileError);
}
