#pragma once
// Raw samples on disk: "penrig-samples/1".
//
// Binary, little-endian (the Raspberry Pi and x86 alike), chosen over CSV
// because the run record's measurements must be reproducible bit for bit from
// it (`rig analyze`) and a 60 s run at 10 kHz is 34 MB instead of ~60 MB of
// text. `rig export-csv RUN_DIR` writes the CSV form.
//
// Layout: a 16-byte header — the 8 bytes "PENRIGS1", uint32 record size (56),
// uint32 sample count — then one 56-byte record per sample, the fields of
// rig::Sample in order: int64 t_ns, int64 lateness_ns, float64 position_mm,
// float64 force_n, float64 current_a, float64 setpoint_hz, uint32 flags,
// uint32 step_index.

#include <filesystem>
#include <span>
#include <vector>

#include "rig/core/samples.hpp"

namespace rig {

/// Writes atomically (temp + rename); returns the file's SHA-256.
std::string write_samples(const std::filesystem::path& path, std::span<const Sample> samples);
/// Reads and checks header and size; throws std::runtime_error naming the
/// problem (bad magic, truncated file).
std::vector<Sample> read_samples(const std::filesystem::path& path);
/// CSV with a header line; numbers written so that they read back exactly.
void write_samples_csv(const std::filesystem::path& path, std::span<const Sample> samples);

}  // namespace rig
