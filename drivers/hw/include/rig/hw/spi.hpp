#pragma once
// SPI behind a small interface, so the chip protocol code (LS7366R, ADS1256)
// runs in tests against chip emulators that implement the same interface.
//
// A transaction is one chip-select assertion made of segments; each segment is
// full duplex (tx and rx of equal length, rx may be empty to discard) and may
// ask for a pause after it with chip select still asserted, which the ADS1256
// needs between a read command and its data (t6). On Linux this is one
// SPI_IOC_MESSAGE(n) ioctl on /dev/spidevB.C (spidev.cpp).
//
// Errors: transfer() is noexcept and returns an std::error_code (the real-time
// path must not throw); a transfer that moved fewer bytes than asked is
// spi_errc::short_transfer. Setup code uses transfer_or_throw(), which throws
// std::system_error naming the device.
//
// Ownership: a SpiDevice owns its file descriptor (RAII, move-only).
// Thread-safety: one thread at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>

namespace rig::hw {

enum class spi_errc {
    short_transfer = 1,   // the controller moved fewer bytes than asked
    too_many_segments,    // more segments than one transaction carries
    length_mismatch,      // a segment's rx is neither empty nor as long as its tx
};
const std::error_category& spi_category() noexcept;
inline std::error_code make_error_code(spi_errc e) noexcept { return {static_cast<int>(e), spi_category()}; }

struct SpiSegment {
    std::span<const std::uint8_t> tx;
    std::span<std::uint8_t> rx{};               // empty: received bytes discarded
    std::chrono::microseconds delay_after{0};  // pause after this segment, chip select held
};

/// SPI clock polarity/phase mode (0..3) and clock.
struct SpiSettings {
    std::uint8_t mode = 0;
    std::uint32_t speed_hz = 1'000'000;
    std::uint8_t bits_per_word = 8;
};

class SpiDevice {
public:
    static constexpr std::size_t max_segments = 6;
    virtual ~SpiDevice() = default;
    /// One transaction (chip select asserted across all segments).
    [[nodiscard]] virtual std::error_code transfer(std::span<const SpiSegment> segments) noexcept = 0;
    /// The device path ("/dev/spidev0.0") or an emulator's name, for messages.
    [[nodiscard]] virtual const std::string& name() const noexcept = 0;

    /// Single-segment full-duplex transfer.
    [[nodiscard]] std::error_code transfer(std::span<const std::uint8_t> tx, std::span<std::uint8_t> rx) noexcept {
        const SpiSegment seg{tx, rx, {}};
        return transfer(std::span<const SpiSegment>(&seg, 1));
    }
    /// transfer(), throwing std::system_error("<what> on <name>") on failure.
    void transfer_or_throw(std::span<const SpiSegment> segments, const char* what);
};

/// Opens /dev/spidevB.C and applies mode, bits per word and max speed
/// (SPI_IOC_WR_MODE / _BITS_PER_WORD / _MAX_SPEED_HZ). Throws
/// std::system_error naming the path.
std::unique_ptr<SpiDevice> open_spidev(const std::string& path, const SpiSettings& settings);

}  // namespace rig::hw

template <>
struct std::is_error_code_enum<rig::hw::spi_errc> : std::true_type {};
