#include "rig/runner/samples_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstddef>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "rig/core/atomic_file.hpp"

namespace rig {
namespace {
static_assert(std::endian::native == std::endian::little, "samples.bin is little-endian; add byte swapping");
static_assert(sizeof(Sample) == 64, "a new Sample field needs a new samples.bin version");
static_assert(offsetof(Sample, force_age_ns) == 56 && offsetof(Sample, current_age_ns) == 60);
constexpr char kMagic1[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'S', '1'};
constexpr char kMagic2[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'S', '2'};
constexpr char kEnd2[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'E', '2'};
constexpr char kMagic3[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'S', '3'};
constexpr char kEnd3[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'E', '3'};
constexpr std::size_t kHeader = 16, kTrailer = 16;
constexpr std::size_t kRecord12 = 56;  // versions 1 and 2: Sample without the ADC ages

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p, int err = errno) {
    throw std::system_error(err, std::generic_category(), what + " " + p.string());
}

void sync_dir(const std::filesystem::path& p) {
    const auto dir = p.has_parent_path() ? p.parent_path() : std::filesystem::path(".");
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}
}  // namespace

struct SamplesWriter::Hash {
    crypto_hash_sha256_state st{};
};

SamplesWriter::SamplesWriter(std::filesystem::path final_path, std::size_t sync_every)
    : final_(std::move(final_path)), part_(final_.string() + std::string(kSamplesPartialSuffix)),
      buf_(1u << 20), sync_every_(sync_every), hash_(std::make_unique<Hash>()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    crypto_hash_sha256_init(&hash_->st);
    fd_ = ::open(part_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create", part_);
    char h[kHeader] = {};
    std::memcpy(h, kMagic3, 8);
    const std::uint32_t rec = sizeof(Sample);
    std::memcpy(h + 8, &rec, 4);
    put(h, sizeof h);
}

SamplesWriter::~SamplesWriter() {
    if (fd_ >= 0) {
        // Not finished (an error or an abandoned run): keep what is written, a prefix.
        try {
            flush(true);
        } catch (...) {
        }
        ::close(fd_);
    }
}

void SamplesWriter::put(const void* p, std::size_t n) {
    if (fd_ < 0) throw std::runtime_error("samples writer is closed: " + part_.string());
    crypto_hash_sha256_update(&hash_->st, static_cast<const unsigned char*>(p), n);
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        const std::size_t k = std::min(n, buf_.size() - used_);
        std::memcpy(buf_.data() + used_, c, k);
        used_ += k;
        c += k;
        n -= k;
        if (used_ == buf_.size()) flush(false);
    }
}

void SamplesWriter::flush(bool sync) {
    std::size_t off = 0;
    while (off < used_) {
        const ssize_t w = ::write(fd_, buf_.data() + off, used_ - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            used_ = 0;
            ::close(fd_);
            fd_ = -1;
            fail("cannot write", part_, e);
        }
        off += static_cast<std::size_t>(w);
    }
    since_sync_ += used_;
    used_ = 0;
    if (sync || since_sync_ >= sync_every_) {
        if (::fdatasync(fd_) != 0) {
            const int e = errno;
            ::close(fd_);
            fd_ = -1;
            fail("cannot sync", part_, e);
        }
        since_sync_ = 0;
    }
}

void SamplesWriter::append(const Sample& s) {
    put(&s, sizeof s);
    ++count_;
}

void SamplesWriter::append(std::span<const Sample> s) {
    put(s.data(), s.size_bytes());
    count_ += s.size();
}

std::string SamplesWriter::finish() {
    char t[kTrailer];
    std::memcpy(t, &count_, 8);
    std::memcpy(t + 8, kEnd3, 8);
    put(t, sizeof t);
    flush(true);
    if (::close(fd_) != 0) {
        fd_ = -1;
        fail("cannot close", part_);
    }
    fd_ = -1;
    if (::rename(part_.c_str(), final_.c_str()) != 0) fail("cannot rename into", final_);
    sync_dir(final_);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&hash_->st, h);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return hex;
}

std::string write_samples(const std::filesystem::path& path, std::span<const Sample> samples) {
    SamplesWriter w(path);
    w.append(samples);
    return w.finish();
}

SamplesFileInfo inspect_samples(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path);
    struct stat st {};
    char h[kHeader] = {};
    const bool ok = ::fstat(fd, &st) == 0 && ::pread(fd, h, kHeader, 0) == static_cast<ssize_t>(kHeader);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    SamplesFileInfo info;
    char t[kTrailer] = {};
    const bool has_end = ok && size >= kHeader + kTrailer &&
                         ::pread(fd, t, kTrailer, static_cast<off_t>(size - kTrailer)) == static_cast<ssize_t>(kTrailer);
    ::close(fd);
    if (!ok) throw std::runtime_error(path.string() + ": not a penrig samples file (no header)");
    std::uint32_t rec = 0;
    std::memcpy(&rec, h + 8, 4);
    const char* end_magic = kEnd3;
    if (std::memcmp(h, kMagic1, 8) == 0) {
        info.version = 1;
    } else if (std::memcmp(h, kMagic2, 8) == 0) {
        info.version = 2;
        end_magic = kEnd2;
    } else if (std::memcmp(h, kMagic3, 8) == 0) {
        info.version = 3;
        end_magic = kEnd3;
    } else {
        throw std::runtime_error(path.string() + ": not a penrig-samples/1, /2 or /3 file (bad header)");
    }
    info.record_size = info.version == 3 ? sizeof(Sample) : kRecord12;
    if (rec != info.record_size) {
        throw std::runtime_error(path.string() + ": record size " + std::to_string(rec) + ", expected " +
                                 std::to_string(info.record_size) + " for version " + std::to_string(info.version));
    }
    if (info.version == 1) {
        std::uint32_t count = 0;
        std::memcpy(&count, h + 12, 4);
        info.count = count;
        if (size != kHeader + static_cast<std::uint64_t>(count) * rec) {
            throw std::runtime_error(path.string() + ": truncated or padded: header says " + std::to_string(count) +
                                     " samples, file holds " + std::to_string((size - kHeader) / rec));
        }
        return info;
    }
    if (has_end && std::memcmp(t + 8, end_magic, 8) == 0) {
        std::memcpy(&info.count, t, 8);
        // Compared by division: count * rec can wrap a forged count around
        // 2^64 onto the real size (found by fuzz_samples).
        const std::uint64_t body = size - kHeader - kTrailer;
        if (body % rec != 0 || info.count != body / rec) {
            throw std::runtime_error(path.string() + ": trailer says " + std::to_string(info.count) +
                                     " samples, the file's size does not match");
        }
        return info;
    }
    // A run killed while writing: whole records of the prefix.
    info.complete = false;
    info.count = (size - kHeader) / rec;
    return info;
}

void for_each_samples_chunk(const std::filesystem::path& path, std::size_t chunk,
                            const std::function<void(std::span<const Sample>)>& fn) {
    const auto info = inspect_samples(path);
    chunk = std::max<std::size_t>(chunk, 1);
    std::vector<Sample> buf(static_cast<std::size_t>(std::min<std::uint64_t>(chunk, std::max<std::uint64_t>(info.count, 1))));
    // Older versions' records are shorter: read into the end of the buffer
    // and widen in place, front to back (record k lands at or before where
    // its bytes were read, so nothing unread is overwritten).
    const std::size_t rec = info.record_size;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open", path);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    std::uint64_t done = 0;
    try {
        while (done < info.count) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), info.count - done));
            const auto bytes = n * rec;
            char* const base = reinterpret_cast<char*>(buf.data());
            char* const dst = base + n * sizeof(Sample) - bytes;
            std::size_t got = 0;
            while (got < bytes) {
                const ssize_t r = ::pread(fd, dst + got, bytes - got,
                                          static_cast<off_t>(info.data_offset + done * rec + got));
                if (r < 0 && errno == EINTR) continue;
                if (r <= 0) fail("cannot read", path, r < 0 ? errno : EIO);
                got += static_cast<std::size_t>(r);
            }
            if (rec != sizeof(Sample)) {
                for (std::size_t k = 0; k < n; ++k) {
                    Sample s;  // ages 0: not recorded
                    std::memcpy(static_cast<void*>(&s), dst + k * rec, rec);
                    buf[k] = s;
                }
            }
            fn(std::span<const Sample>(buf.data(), n));
            done += n;
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

std::vector<Sample> read_samples(const std::filesystem::path& path) {
    const auto info = inspect_samples(path);
    std::vector<Sample> out;
    out.reserve(static_cast<std::size_t>(info.count));
    for_each_samples_chunk(path, 1u << 16, [&](std::span<const Sample> c) { out.insert(out.end(), c.begin(), c.end()); });
    return out;
}

namespace {
void csv_rows(std::string& out, std::span<const Sample> samples) {
    char num[64];
    auto put = [&](auto v, char sep) {
        auto [p, ec] = std::to_chars(num, num + sizeof num, v);  // shortest round-trip form
        (void)ec;
        out.append(num, p);
        out.push_back(sep);
    };
    for (const auto& s : samples) {
        put(s.t_ns, ',');
        put(s.lateness_ns, ',');
        put(s.position_mm, ',');
        put(s.force_n, ',');
        put(s.current_a, ',');
        put(s.setpoint_hz, ',');
        put(s.flags, ',');
        put(s.step_index, ',');
        put(s.force_age_ns, ',');
        put(s.current_age_ns, '\n');
    }
}
constexpr std::string_view kCsvHeader =
    "t_ns,lateness_ns,position_mm,force_n,current_a,setpoint_hz,flags,step,force_age_ns,current_age_ns\n";
}  // namespace

void write_samples_csv(const std::filesystem::path& path, std::span<const Sample> samples) {
    std::string out(kCsvHeader);
    out.reserve(samples.size() * 96 + 64);
    csv_rows(out, samples);
    write_file_atomic(path, out);
}

void write_samples_csv(const std::filesystem::path& in, const std::filesystem::path& out_path) {
    // Streamed: one chunk of samples and one chunk of text at a time, into a
    // temporary file renamed into place (a reader never sees half a CSV).
    const auto tmp = std::filesystem::path(out_path.string() + ".tmp");
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) fail("cannot create", tmp);
    f << kCsvHeader;
    std::string text;
    for_each_samples_chunk(in, 1u << 15, [&](std::span<const Sample> c) {
        text.clear();
        csv_rows(text, c);
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!f) fail("cannot write", tmp);
    });
    f.close();
    if (!f) fail("cannot write", tmp);
    std::filesystem::rename(tmp, out_path);
}

}  // namespace rig
