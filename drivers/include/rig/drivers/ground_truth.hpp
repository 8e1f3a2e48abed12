#pragma once
// What really happened in a model, recorded beside the measurements so that
// the rig's own accuracy is tested and reported. Times are ns on the fixture
// clock's epoch minus the run's t0 is applied by the runner (see Runner).

#include <cstdint>
#include <vector>

namespace rig {

struct TrueStroke {
    std::int64_t t_bdc_ns = 0;  // true bottom-dead-centre time (model clock)
    double depth_mm = 0.0;      // true protrusion at BDC, mm
    double peak_force_n = 0.0;  // true peak phantom force during the stroke, N
};

struct TrueStall {
    std::int64_t onset_ns = 0;   // rotor stopped (needle motion ceased)
    std::int64_t cutoff_ns = -1; // firmware cut the drive (-1 = never)
    std::int64_t retry_ns = -1;  // firmware re-applied drive after the cut (-1 = never)
};

/// The true, noise-free signals at one acquisition-loop read: the same
/// measurement definitions applied to these give the true value of a
/// measurement defined on signals (stall onset and cut-off), so that the
/// difference is the rig's own error (quantisation, sampling, sensor lag).
struct TrueChannels {
    std::int64_t t_ns = 0;     // model clock, the time of the read
    double position_mm = 0.0;  // true protrusion
    double current_a = 0.0;    // true motor current
};

/// The needle tip reaching the cartridge face during a touch-off (a
/// `reference:` step), from the model's state: what the encoder would read
/// with the tip exactly at the face at that instant. A reference step's
/// result is compared with the last of these in its span.
struct TrueFace {
    std::int64_t t_ns = 0;      // model clock
    double encoder_mm = 0.0;    // the encoder's reading at protrusion 0
};

struct GroundTruth {
    std::vector<TrueStroke> strokes;
    std::vector<TrueStall> stalls;
    /// Recorded from each brake engagement for a few seconds (bounded memory,
    /// reserved up front: the acquisition loop does not allocate for it).
    std::vector<TrueChannels> channels;
    /// Face crossings of touch-offs (reserved up front, bounded).
    std::vector<TrueFace> faces;
};

}  // namespace rig
