#pragma once
// A fresh temporary folder per test, removed on destruction.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace rig::test {
class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "penrig-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        if (std::getenv("PENRIG_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

private:
    std::filesystem::path path_;
};

inline std::filesystem::path source_dir() { return PENRIG_SOURCE_DIR; }
}  // namespace rig::test
