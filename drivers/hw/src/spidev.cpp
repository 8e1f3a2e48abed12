#include <fcntl.h>
#include <linux/spi/spidev.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "rig/hw/spi.hpp"

namespace rig::hw {
namespace {

class SpiCategory final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "spi"; }
    [[nodiscard]] std::string message(int c) const override {
        switch (static_cast<spi_errc>(c)) {
            case spi_errc::short_transfer: return "short transfer (fewer bytes moved than asked)";
            case spi_errc::too_many_segments: return "too many segments in one transaction";
            case spi_errc::length_mismatch: return "segment rx length differs from tx length";
        }
        return "unknown SPI error";
    }
};

class Spidev final : public SpiDevice {
public:
    Spidev(std::string path, const SpiSettings& s) : path_(std::move(path)), speed_hz_(s.speed_hz), bits_(s.bits_per_word) {
        fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
        if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "opening " + path_);
        auto fail = [&](const char* what) {
            const int e = errno;
            ::close(fd_);
            fd_ = -1;
            throw std::system_error(e, std::generic_category(), std::string(what) + " on " + path_);
        };
        std::uint8_t mode = s.mode;
        if (::ioctl(fd_, SPI_IOC_WR_MODE, &mode) < 0) fail("SPI_IOC_WR_MODE");
        std::uint8_t bits = s.bits_per_word;
        if (::ioctl(fd_, SPI_IOC_WR_BITS_PER_WORD, &bits) < 0) fail("SPI_IOC_WR_BITS_PER_WORD");
        std::uint32_t speed = s.speed_hz;
        if (::ioctl(fd_, SPI_IOC_WR_MAX_SPEED_HZ, &speed) < 0) fail("SPI_IOC_WR_MAX_SPEED_HZ");
    }
    Spidev(const Spidev&) = delete;
    Spidev& operator=(const Spidev&) = delete;
    ~Spidev() override {
        if (fd_ >= 0) ::close(fd_);
    }

    std::error_code transfer(std::span<const SpiSegment> segments) noexcept override {
        if (segments.size() > max_segments || segments.empty()) return spi_errc::too_many_segments;
        std::array<spi_ioc_transfer, max_segments> xfer{};
        std::size_t expected = 0;
        for (std::size_t i = 0; i < segments.size(); ++i) {
            const auto& s = segments[i];
            if (!s.rx.empty() && s.rx.size() != s.tx.size()) return spi_errc::length_mismatch;
            xfer[i].tx_buf = reinterpret_cast<std::uintptr_t>(s.tx.data());  // NOLINT: the uAPI takes addresses as u64
            xfer[i].rx_buf = s.rx.empty() ? 0 : reinterpret_cast<std::uintptr_t>(s.rx.data());  // NOLINT
            xfer[i].len = static_cast<std::uint32_t>(s.tx.size());
            xfer[i].speed_hz = speed_hz_;
            xfer[i].bits_per_word = bits_;
            xfer[i].delay_usecs = static_cast<std::uint16_t>(s.delay_after.count());
            expected += s.tx.size();
        }
        // SPI_IOC_MESSAGE(n) encodes the size in the request number, so n must
        // be a constant expression.
        int r = -1;
        switch (segments.size()) {
            case 1: r = ::ioctl(fd_, SPI_IOC_MESSAGE(1), xfer.data()); break;
            case 2: r = ::ioctl(fd_, SPI_IOC_MESSAGE(2), xfer.data()); break;
            case 3: r = ::ioctl(fd_, SPI_IOC_MESSAGE(3), xfer.data()); break;
            case 4: r = ::ioctl(fd_, SPI_IOC_MESSAGE(4), xfer.data()); break;
            case 5: r = ::ioctl(fd_, SPI_IOC_MESSAGE(5), xfer.data()); break;
            default: r = ::ioctl(fd_, SPI_IOC_MESSAGE(6), xfer.data()); break;
        }
        if (r < 0) return {errno, std::generic_category()};
        if (static_cast<std::size_t>(r) != expected) return spi_errc::short_transfer;
        return {};
    }
    [[nodiscard]] const std::string& name() const noexcept override { return path_; }

private:
    std::string path_;
    std::uint32_t speed_hz_;
    std::uint8_t bits_;
    int fd_ = -1;
};

}  // namespace

const std::error_category& spi_category() noexcept {
    static const SpiCategory cat;
    return cat;
}

void SpiDevice::transfer_or_throw(std::span<const SpiSegment> segments, const char* what) {
    if (auto ec = transfer(segments)) throw std::system_error(ec, std::string(what) + " on " + name());
}

std::unique_ptr<SpiDevice> open_spidev(const std::string& path, const SpiSettings& settings) {
    return std::make_unique<Spidev>(path, settings);
}

}  // namespace rig::hw
