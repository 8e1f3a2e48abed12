#pragma once
// Parameters of the simulated pen and fixture (drivers/sim). Owned by the sim
// model; every field documents its unit and the source of its default.
// Placeholder: the sim model fills this in.

namespace rig {
struct SimParams {
    // TODO(sim): physics parameters.
    double dummy = 0.0;
};
}  // namespace rig
