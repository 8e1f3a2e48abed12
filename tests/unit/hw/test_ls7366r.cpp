#include <cerrno>
#include <limits>

#include "catch.hpp"
#include "ls7366r_emulator.hpp"
#include "rig/hw/ls7366r.hpp"

using namespace rig;
using rig::test::Ls7366rEmulator;

TEST_CASE("LS7366R instruction bytes follow the datasheet encoding", "[hw][ls7366r]") {
    using namespace hw::ls7366r;
    CHECK(instruction(Op::wr, Reg::mdr0) == 0x88);
    CHECK(instruction(Op::wr, Reg::mdr1) == 0x90);
    CHECK(instruction(Op::clr, Reg::cntr) == 0x20);
    CHECK(instruction(Op::rd, Reg::cntr) == 0x60);
    CHECK(instruction(Op::rd, Reg::otr) == 0x68);
    CHECK(instruction(Op::load, Reg::otr) == 0xE8);
    CHECK(instruction(Op::clr, Reg::str) == 0x30);
}

TEST_CASE("LS7366R configuration: x4, free-running, index off, 4 bytes, counting, cleared", "[hw][ls7366r]") {
    Ls7366rEmulator emu;
    emu.set_cntr(12345);  // left over from a previous run
    hw::Ls7366r chip(emu);
    chip.configure();
    CHECK(emu.mdr0() == 0x03);
    CHECK(emu.mdr1() == 0x00);
    CHECK(emu.cntr() == 0);
    CHECK(emu.instructions() == std::vector<std::uint8_t>{0x88, 0x90, 0x20, 0x30, 0x48, 0x50});
    emu.move(40);
    CHECK(chip.read_counter() == 40);
    emu.move(-100);
    CHECK(chip.read_counter() == -60);  // sign of the 32-bit count
    CHECK(emu.otr() == static_cast<std::uint32_t>(-60));  // RD CNTR went through OTR
}

TEST_CASE("LS7366R encoder accumulates across 32-bit wrap in both directions", "[hw][ls7366r]") {
    Ls7366rEmulator emu;
    hw::Ls7366rEncoder enc(emu, 1e-6, 0.0);  // 1 um per count
    SECTION("upward through +2^31 and 2^32") {
        emu.set_cntr(0x7FFF'FF00u);
        // The jump set_cntr made is itself one read step; start counting from here.
        REQUIRE(enc.read_mm());
        const std::int64_t base = enc.counts();
        emu.move(0x200);  // crosses INT32_MAX -> INT32_MIN
        REQUIRE(enc.read_mm());
        CHECK(enc.counts() - base == 0x200);
        emu.set_cntr(0xFFFF'FFF0u);
        REQUIRE(enc.read_mm());
        const std::int64_t b2 = enc.counts();
        emu.move(0x20);  // crosses 2^32 -> 0
        CHECK((emu.str() & 0x80) != 0);  // the chip flags the carry
        REQUIRE(enc.read_mm());
        CHECK(enc.counts() - b2 == 0x20);
    }
    SECTION("downward through 0 and -2^31") {
        emu.move(5);
        REQUIRE(enc.read_mm());
        emu.move(-10);  // 0 -> 0xFFFFFFFB
        CHECK((emu.str() & 0x40) != 0);  // borrow
        auto mm = enc.read_mm();
        REQUIRE(mm);
        CHECK(enc.counts() == -5);
        CHECK(*mm == Approx(-0.005));
        emu.set_cntr(0x8000'0010u);
        REQUIRE(enc.read_mm());
        const std::int64_t base = enc.counts();
        emu.move(-0x40);  // crosses INT32_MIN -> INT32_MAX
        REQUIRE(enc.read_mm());
        CHECK(enc.counts() - base == -0x40);
    }
    SECTION("many wraps forward accumulate beyond 32 bits") {
        for (int i = 0; i < 10; ++i) {
            emu.move(1'000'000'000);
            REQUIRE(enc.read_mm());
        }
        CHECK(enc.counts() == 10'000'000'000LL);
    }
}

TEST_CASE("LS7366R encoder scales counts through the calibration record", "[hw][ls7366r]") {
    Ls7366rEmulator emu;
    // scale 1 um/count, offset +0.25 mm (the face is 250 um behind count 0)
    hw::Ls7366rEncoder enc(emu, 1e-6, 0.25e-3);
    CHECK(*enc.read_mm() == Approx(0.25));
    emu.move(1500);
    CHECK(*enc.read_mm() == Approx(1.75));
}

TEST_CASE("LS7366R error paths", "[hw][ls7366r]") {
    Ls7366rEmulator emu;
    SECTION("a failed transfer during configuration throws naming the device") {
        emu.fail_next(std::error_code(EIO, std::generic_category()));
        hw::Ls7366r chip(emu);
        CHECK_THROWS_WITH(chip.configure(), Catch::Contains("emulated LS7366R") && Catch::Contains("MDR0"));
    }
    SECTION("a short transfer during configuration throws") {
        emu.short_next();
        hw::Ls7366r chip(emu);
        CHECK_THROWS_WITH(chip.configure(), Catch::Contains("short transfer"));
    }
    SECTION("an absent chip fails the read-back check") {
        emu.absent = true;
        hw::Ls7366r chip(emu);
        CHECK_THROWS_WITH(chip.configure(), Catch::Contains("MDR0=0x00") && Catch::Contains("absent"));
    }
    SECTION("in the loop a failed or short read is std::nullopt, and the position survives it") {
        hw::Ls7366rEncoder enc(emu, 1e-6, 0.0);
        emu.move(100);
        emu.fail_next(std::error_code(EIO, std::generic_category()));
        CHECK_FALSE(enc.read_mm());
        emu.short_next();
        CHECK_FALSE(enc.read_mm());
        emu.move(23);
        CHECK(*enc.read_mm() == Approx(0.123));
    }
}

TEST_CASE("LS7366R emulator: the INDEX input does what MDR0 bits 5:4 select (datasheet MDR0)", "[hw][ls7366r][index]") {
    // Each mode written through the real driver, the edge applied to the
    // emulated INDEX input, the result read through SPI.
    Ls7366rEmulator emu;
    hw::Ls7366r chip(emu);
    chip.configure();
    emu.move(500);
    SECTION("00: disabled - nothing happens") {
        chip.set_index_mode(hw::ls7366r::IndexMode::disabled);
        emu.index(true);
        CHECK(chip.read_counter() == 500);
    }
    SECTION("01: load CNTR from DTR") {
        const std::array<std::uint8_t, 5> wr_dtr{0x98, 0x00, 0x00, 0x01, 0x00};  // WR DTR = 256
        REQUIRE(!emu.transfer(wr_dtr, {}));
        chip.set_index_mode(hw::ls7366r::IndexMode::load_cntr);
        emu.index(true);
        CHECK(chip.read_counter() == 256);
    }
    SECTION("10: reset CNTR") {
        chip.set_index_mode(hw::ls7366r::IndexMode::reset_cntr);
        emu.index(true);
        emu.move(7);
        CHECK(chip.read_counter() == 7);
    }
    SECTION("11: load OTR - the count at the edge, while the counter keeps counting") {
        chip.set_index_mode(hw::ls7366r::IndexMode::load_otr);
        CHECK(emu.mdr0() == 0x33);
        emu.index(true);
        emu.move(40);
        emu.index(false);
        emu.move(40);  // no edge: the latch keeps the first crossing
        CHECK(chip.read_latched() == 500);
        CHECK(chip.read_counter() == 580);
        // RD CNTR goes through OTR (datasheet Table 1): the latch is gone.
        CHECK(chip.read_latched() == 580);
    }
    SECTION("STR bit 4 (IDX) follows the input's level") {
        emu.index(true);
        CHECK((chip.read_register(hw::ls7366r::Reg::str) & 0x10) != 0);
        emu.index(false);
        CHECK((chip.read_register(hw::ls7366r::Reg::str) & 0x10) == 0);
    }
}

TEST_CASE("LS7366R set_index_mode refuses a chip that does not take the mode", "[hw][ls7366r][index]") {
    Ls7366rEmulator emu;
    hw::Ls7366r chip(emu);
    chip.configure();
    emu.absent = true;  // MISO floats low: MDR0 reads back 0
    CHECK_THROWS_WITH(chip.set_index_mode(hw::ls7366r::IndexMode::load_otr),
                      Catch::Matchers::Contains("MDR0 read back 0x00"));
}
