#pragma once
// Atomic file writes: write to a temporary file in the same folder, fsync,
// rename over the target, fsync the folder. A reader sees the old file or the
// new one, never a truncated one. The file's mode is 0666 less the process
// umask (as open(2) would create it). Throws std::system_error with the path.
#include <filesystem>
#include <string_view>

namespace rig {
void write_file_atomic(const std::filesystem::path& path, std::string_view contents);
std::string read_file(const std::filesystem::path& path);  // throws std::system_error
}  // namespace rig
