// libFuzzer: the samples.bin reader (versions 1, 2 and 3). Any file gives
// samples or a std::runtime_error naming the problem; memory stays bounded by
// the file; reading in small chunks (older versions' shorter records widened
// in place, chunk by chunk) gives exactly what reading it whole gives.
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "fuzz_input.hpp"
#include "rig/runner/samples_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto f = rig::fuzz::as_file("samples.bin", rig::fuzz::as_text(data, size));
    try {
        const auto samples = rig::read_samples(f);
        if (samples.size() * sizeof(rig::Sample) > size * 4 + 4096) __builtin_trap();  // allocation beyond the file
        std::size_t i = 0;
        rig::for_each_samples_chunk(f, 3, [&](std::span<const rig::Sample> c) {
            for (const auto& s : c) {
                if (i >= samples.size() || std::memcmp(&s, &samples[i], sizeof s) != 0) __builtin_trap();
                ++i;
            }
        });
        if (i != samples.size()) __builtin_trap();
    } catch (const std::runtime_error&) {
    }
    return 0;
}
