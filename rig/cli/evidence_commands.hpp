#pragma once
// `rig` subcommands for QA and regulatory evidence: report, verify, keygen,
// sign, audit (verify, show), calibrate (load-cell, encoder).
//
// Exit codes (in EvidenceOptions::exit_code after app.parse): 0 ok, 1
// verification failed / mismatch / refused, 2 bad input (missing folder, bad
// key file, bad option value).
//
// State folder: --state-dir, else $PENRIG_STATE_DIR, else ./.penrig. It holds
// keys/rig.key (0600), keys/rig.pub, audit.jsonl (+ .head) and
// calibration/history.jsonl.
//
// Streams and the fixture used by `calibrate` are injectable for tests.
// Lifetime: `opts` must outlive `app` (the callbacks hold a reference).

#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "rig/calibration/workflow.hpp"

namespace rig {

struct EvidenceOptions {
    std::string state_dir;           // set by --state-dir / $PENRIG_STATE_DIR; "" = ./.penrig
    std::istream* in = &std::cin;
    std::ostream* out = &std::cout;
    std::ostream* err = &std::cerr;
    int exit_code = 0;

    /// Builds the fixture `calibrate` works on; default: make_fixture(config, 0).
    std::function<std::unique_ptr<Fixture>(const FixtureConfig&)> fixture_factory;
    /// How reference weights and gauge blocks get placed; default: by the
    /// operator (the prompt is the action). The sim needs a model hook here.
    std::function<std::unique_ptr<ReferenceLoad>(Fixture&)> reference_load;
    std::function<std::unique_ptr<GaugeBlock>(Fixture&)> gauge_block;
};

void add_evidence_commands(CLI::App& app, EvidenceOptions& opts);

}  // namespace rig
