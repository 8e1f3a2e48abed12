// libFuzzer: the samples.bin reader. Any file gives samples or a
// std::runtime_error naming the problem; memory stays bounded by the file.
#include <cstdint>
#include <stdexcept>

#include "fuzz_input.hpp"
#include "rig/runner/samples_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto f = rig::fuzz::as_file("samples.bin", rig::fuzz::as_text(data, size));
    try {
        const auto samples = rig::read_samples(f);
        if (samples.size() * sizeof(rig::Sample) > size * 4 + 4096) __builtin_trap();  // allocation beyond the file
    } catch (const std::runtime_error&) {
    }
    return 0;
}
