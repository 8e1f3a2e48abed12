// rig db migrate, rig publish: the fleet database (rig/fleet).
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/fleet/fleet_db.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {

namespace fs = std::filesystem;

void add_fleet_commands(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string url, state_dir, pub;
        std::vector<std::string> dirs;
        bool outbox = false;
    };
    auto o = std::make_shared<Opts>();
    auto* db = app.add_subcommand("db", "The fleet database (PostgreSQL)");
    db->require_subcommand(1);
    auto* mig = db->add_subcommand("migrate", "Apply the missing schema migrations (tables, views, roles, the immutability trigger)");
    mig->add_option("--db", o->url, "PostgreSQL URL, e.g. postgresql://host/penrig")->required()->envname("PENRIG_DB");
    mig->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            fleet::Db d(o->url);
            std::cout << "fleet database at schema version " << fleet::migrate(d) << "\n";
            return exit_pass;
        };
    });
    auto* pub = app.add_subcommand(
        "publish", "Publish sealed run folders to the fleet database: each bundle verified with the rig's public key "
                   "first; idempotent on run id + record hash. Runs that cannot be sent now (database unreachable) "
                   "stay in <state>/outbox and are sent by the next publish. Exit 0, 1 when a run was refused or "
                   "stays queued, 2 on bad input.");
    pub->add_option("run_dirs", o->dirs, "Run folders")->check(CLI::ExistingDirectory);
    pub->add_option("--db", o->url, "PostgreSQL URL")->required()->envname("PENRIG_DB");
    pub->add_option("--state-dir", o->state_dir, "State folder (keys/rig.pub, outbox/; default: $PENRIG_STATE_DIR or ./.penrig)");
    pub->add_option("--pub", o->pub, "Public key to verify with (default: <state>/keys/rig.pub)");
    pub->add_flag("--outbox", o->outbox, "Also send what waits in the outbox");
    pub->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            const fs::path state = resolve_state_dir(o->state_dir);
            const auto key = load_public_key(o->pub.empty() ? state / "keys" / "rig.pub" : fs::path(o->pub));
            for (const auto& d : o->dirs) fleet::enqueue(state, d);
            const auto rep = fleet::flush_outbox(state, o->url, key);
            std::cout << rep.published << " published, " << rep.already << " already published, " << rep.rejected
                      << " refused (outbox/rejected), " << rep.pending << " waiting in the outbox\n";
            if (!rep.error.empty()) std::cerr << "rig publish: " << rep.error << "\n";
            return rep.rejected == 0 && rep.pending == 0 ? exit_pass : exit_fail;
        };
    });
}

}  // namespace rig::cli
