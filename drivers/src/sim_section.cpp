// Placeholder: parsing of the fixture file's `sim:` section (owned by the sim model).
#include "rig/drivers/fixture_config.hpp"
namespace rig {
void parse_sim_section(MapReader& sim, SimParams& /*out*/, std::vector<FaultInjection>& faults) {
    if (auto f = sim.map("faults", Need::optional)) {
        for (const auto& kv : f->node()) {
            if (auto fi = parse_fault(kv.first.Scalar(), kv.second, f->file(), f->diags())) faults.push_back(*fi);
            f->accept({});
        }
    }
}
}  // namespace rig
