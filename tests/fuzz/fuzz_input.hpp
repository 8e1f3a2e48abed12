#pragma once
// Shared by the fuzz harnesses: a private temp folder per process for loaders
// that read from a path, and the repository's shipped files.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace rig::fuzz {

inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::string t = (std::filesystem::temp_directory_path() / "penrig-fuzz-XXXXXX").string();
        if (::mkdtemp(t.data()) == nullptr) std::abort();
        return std::filesystem::path(t);
    }();
    return dir;
}

/// Writes the input to `<scratch>/<name>` (overwriting) and returns the path.
inline std::filesystem::path as_file(const std::string& name, std::string_view data) {
    const auto p = scratch_dir() / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(data.data(), static_cast<std::streamsize>(data.size()));
    return p;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

inline std::filesystem::path source_dir() { return PENRIG_SOURCE_DIR; }

}  // namespace rig::fuzz
