#include "run_hooks.hpp"

#include <cstdlib>

namespace rig::cli {

std::filesystem::path state_dir(const std::string& option) {
    if (!option.empty()) return option;
    if (const char* e = std::getenv("PENRIG_STATE_DIR"); e != nullptr && *e != '\0') return e;
    return ".penrig";
}

std::unique_ptr<Fixture> make_run_fixture(const FixtureConfig& cfg, std::uint64_t seed, bool /*realtime*/) {
    return make_fixture(cfg, seed);
}

void install_run_hooks(RunOptions& /*ro*/, const std::filesystem::path& /*state*/, bool /*sign*/, bool /*realtime*/) {}

void audit_refused(const std::filesystem::path&, const std::string&, const Scenario&, const std::string&) {}

}  // namespace rig::cli
