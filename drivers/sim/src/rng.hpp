#pragma once
// Random numbers for the simulated fixture.

#include <cmath>
#include <cstdint>

namespace rig::sim {

/// xoshiro256++ seeded by splitmix64: small, fast, and the same sequence on
/// every platform (std:: distributions are not portable bit for bit).
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            w = z ^ (z >> 31);
        }
    }
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, 1).
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Standard normal (Marsaglia polar method, second value cached): no
    /// trigonometry, which matters at two draws per loop sample.
    double gauss() noexcept {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        double u = 0.0;
        double v = 0.0;
        double q = 0.0;
        do {
            u = 2.0 * uniform() - 1.0;
            v = 2.0 * uniform() - 1.0;
            q = u * u + v * v;
        } while (q >= 1.0 || q == 0.0);
        const double r = std::sqrt(-2.0 * std::log(q) / q);
        spare_ = v * r;
        have_spare_ = true;
        return u * r;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4]{};
    double spare_ = 0.0;
    bool have_spare_ = false;
};

}  // namespace rig::sim
