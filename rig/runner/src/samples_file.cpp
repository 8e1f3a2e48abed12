#include "rig/runner/samples_file.hpp"

#include <bit>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"

namespace rig {
namespace {
static_assert(std::endian::native == std::endian::little, "samples.bin is little-endian; add byte swapping");
static_assert(sizeof(Sample) == 56);
constexpr char kMagic[8] = {'P', 'E', 'N', 'R', 'I', 'G', 'S', '1'};
}  // namespace

std::string write_samples(const std::filesystem::path& path, std::span<const Sample> samples) {
    std::string buf;
    buf.resize(16 + samples.size() * sizeof(Sample));
    std::memcpy(buf.data(), kMagic, 8);
    const std::uint32_t rec = sizeof(Sample);
    const auto count = static_cast<std::uint32_t>(samples.size());
    std::memcpy(buf.data() + 8, &rec, 4);
    std::memcpy(buf.data() + 12, &count, 4);
    if (!samples.empty()) std::memcpy(buf.data() + 16, samples.data(), samples.size() * sizeof(Sample));
    write_file_atomic(path, buf);
    return sha256_hex(buf);
}

std::vector<Sample> read_samples(const std::filesystem::path& path) {
    const std::string buf = read_file(path);
    if (buf.size() < 16 || std::memcmp(buf.data(), kMagic, 8) != 0) {
        throw std::runtime_error(path.string() + ": not a penrig-samples/1 file (bad header)");
    }
    std::uint32_t rec = 0, count = 0;
    std::memcpy(&rec, buf.data() + 8, 4);
    std::memcpy(&count, buf.data() + 12, 4);
    if (rec != sizeof(Sample)) {
        throw std::runtime_error(path.string() + ": record size " + std::to_string(rec) + ", expected 56");
    }
    if (buf.size() != 16 + static_cast<std::size_t>(count) * rec) {
        throw std::runtime_error(path.string() + ": truncated or padded: header says " + std::to_string(count) +
                                 " samples, file holds " + std::to_string((buf.size() - 16) / rec));
    }
    std::vector<Sample> out(count);
    if (count > 0) std::memcpy(out.data(), buf.data() + 16, static_cast<std::size_t>(count) * rec);
    return out;
}

void write_samples_csv(const std::filesystem::path& path, std::span<const Sample> samples) {
    std::string out = "t_ns,lateness_ns,position_mm,force_n,current_a,setpoint_hz,flags,step\n";
    out.reserve(samples.size() * 96 + 64);
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
        put(s.step_index, '\n');
    }
    write_file_atomic(path, out);
}

}  // namespace rig
