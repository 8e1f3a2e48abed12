#pragma once
// File I/O with the guarantees penrig's evidence needs.
//
// write_file_atomic: write to a temporary file in the same folder, fsync,
// rename over the target, fsync the folder. A reader sees the old file or the
// new one, never a truncated one. The file's mode is 0666 minus the process
// umask (as open(2) would give), so a deployment's umask is respected.
// Throws std::system_error with the path.
//
// read_input_file_bounded: how every input named by a person or a client is
// read (scenarios, specs, fixtures): regular files only (a FIFO or a device
// is refused without blocking: opened O_NONBLOCK), at most `max_bytes`.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rig {

void write_file_atomic(const std::filesystem::path& path, std::string_view contents);
std::string read_file(const std::filesystem::path& path);  // throws std::system_error

/// Largest scenario, spec or fixture file penrig reads, 512 KiB (the shipped ones are < 10 KiB).
inline constexpr std::size_t kMaxInputFileBytes = 512 * 1024;

/// Why an input file was not read; what() is one sentence without the path.
class InputFileError : public std::runtime_error {
public:
    enum class Kind { missing, directory, not_regular, too_large, unreadable };
    InputFileError(Kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
    [[nodiscard]] Kind kind() const { return kind_; }

private:
    Kind kind_;
};

/// Reads a regular file of at most `max_bytes` bytes; throws InputFileError.
std::string read_input_file_bounded(const std::filesystem::path& path, std::size_t max_bytes = kMaxInputFileBytes);

}  // namespace rig
