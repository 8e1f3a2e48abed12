// libFuzzer: the YAML loaders of scenarios, pen specs and fixture files.
// The first byte picks the loader (0 scenario, 1 spec, 2 fixture); the rest is
// the file. Any input must give a value or diagnostics: never a crash, a hang
// or an exception escaping the loader.
#include <cstdint>
#include <string>

#include "fuzz_input.hpp"
#include "rig/core/diagnostics.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/scenario/scenario.hpp"
#include "rig/scenario/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string text(rig::fuzz::as_text(data + 1, size - 1));
    rig::Diagnostics diags;
    switch (data[0] % 3) {
        case 0: {
            // Relative spec/fixture paths resolve against the shipped scenarios,
            // so a mutated scenario still reaches spec and fixture validation.
            rig::LoadOptions lo;
            lo.default_fixture = rig::fuzz::source_dir() / "fixtures" / "sim.yaml";
            (void)rig::load_scenario_text("fuzz.yaml", text, rig::fuzz::source_dir() / "scenarios", diags, lo);
            break;
        }
        case 1: (void)rig::load_spec(rig::fuzz::as_file("spec.yaml", text), diags); break;
        default: (void)rig::load_fixture(rig::fuzz::as_file("fixture.yaml", text), diags); break;
    }
    return 0;
}
