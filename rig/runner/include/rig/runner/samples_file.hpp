#pragma once
// Raw samples on disk: "penrig-samples/3" (written), versions 2 and 1 (read).
//
// Binary, little-endian (the Raspberry Pi and x86 alike), chosen over CSV
// because the run record's measurements must be reproducible bit for bit from
// it (`rig analyze`) and a 60 s run at 10 kHz is 38 MB instead of ~60 MB of
// text. `rig export-csv RUN_DIR` writes the CSV form.
//
// Version 3 (written while the run goes on, for runs of any length):
//   header  16 bytes: "PENRIGS3", uint32 record size (64), uint32 0 (reserved)
//   records 64 bytes each, the fields of rig::Sample in order:
//           int64 t_ns, int64 lateness_ns, float64 position_mm, float64 force_n,
//           float64 current_a, float64 setpoint_hz, uint32 flags (SampleFlag
//           bits; bits 10-31 free for new conditions), uint32 step_index,
//           int32 force_age_ns, int32 current_age_ns (each ADC value's
//           conversion completed (DRDY) that long before t_ns)
//   trailer 16 bytes: uint64 sample count, "PENRIGE3"
// The count is in a trailer, not the header, so the file is written strictly
// front to back (its SHA-256 computed as it is written, never by re-reading)
// and a run killed outright leaves a readable prefix: header and whole
// records, no trailer. The count is 64-bit.
// Version 2: the same with "PENRIGS2"/"PENRIGE2" and 56-byte records (no
// ages: read as age 0, the ADC value taken at t_ns, as it was analysed then).
// Version 1: a 16-byte header "PENRIGS1", uint32 record size (56), uint32
// count (wraps after 119 h at 10 kHz), then 56-byte records.
// A new field goes at the end of the record with a new version; the reader
// keeps every older one.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rig/core/samples.hpp"

namespace rig {

inline constexpr std::string_view kSamplesFormat = "penrig-samples/3";
inline constexpr std::string_view kSamplesPartialSuffix = ".part";

/// Streams samples to `final_path + ".part"` as they come, with the SHA-256
/// of everything written; finish() writes the trailer, syncs and renames to
/// `final_path`. Memory: one fixed buffer. Errors (a full disk, EFBIG) throw
/// std::system_error naming the file; after a throw the writer is dead and
/// the partial file stays (a readable prefix).
/// Thread-safety: one thread.
class SamplesWriter {
public:
    /// `sync_every`: bytes between fsyncs (a power loss loses at most this much).
    explicit SamplesWriter(std::filesystem::path final_path, std::size_t sync_every = 8u << 20);
    ~SamplesWriter();
    SamplesWriter(const SamplesWriter&) = delete;
    SamplesWriter& operator=(const SamplesWriter&) = delete;

    void append(const Sample& s);
    void append(std::span<const Sample> s);
    /// Trailer, fsync, rename into place, directory fsync. Returns the file's SHA-256 (hex).
    std::string finish();

    [[nodiscard]] std::uint64_t count() const { return count_; }
    [[nodiscard]] const std::filesystem::path& partial_path() const { return part_; }

private:
    void put(const void* p, std::size_t n);
    void flush(bool sync);
    struct Hash;
    std::filesystem::path final_, part_;
    int fd_ = -1;
    std::vector<char> buf_;
    std::size_t used_ = 0, since_sync_ = 0, sync_every_;
    std::uint64_t count_ = 0;
    std::unique_ptr<Hash> hash_;
};

/// Writes a whole recording (format 3) through SamplesWriter; returns its SHA-256.
std::string write_samples(const std::filesystem::path& path, std::span<const Sample> samples);

/// What a samples file holds.
struct SamplesFileInfo {
    int version = 0;              // 1, 2 or 3
    std::uint64_t count = 0;      // samples readable
    bool complete = true;         // false: a version 2/3 prefix without its trailer (run killed)
    std::size_t data_offset = 16; // byte offset of the first record
    std::size_t record_size = 64; // bytes per record on disk (56 for versions 1 and 2)
};
/// Checks header and size; throws std::runtime_error naming the problem (bad
/// magic, truncated file, count mismatch).
SamplesFileInfo inspect_samples(const std::filesystem::path& path);

/// Reads every sample (a prefix's whole records when the file is incomplete).
std::vector<Sample> read_samples(const std::filesystem::path& path);

/// Calls `fn` with consecutive chunks of at most `chunk` samples, in order,
/// in bounded memory (one chunk buffer).
void for_each_samples_chunk(const std::filesystem::path& path, std::size_t chunk,
                            const std::function<void(std::span<const Sample>)>& fn);

/// CSV with a header line; numbers written so that they read back exactly.
/// Streams from `in` (any version, prefixes too) in bounded memory.
void write_samples_csv(const std::filesystem::path& in, const std::filesystem::path& out);
/// The same from samples in memory.
void write_samples_csv(const std::filesystem::path& path, std::span<const Sample> samples);

}  // namespace rig
