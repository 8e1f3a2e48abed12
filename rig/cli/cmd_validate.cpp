#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig::cli {

void add_validate_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::vector<std::string> files;
        std::string fixture;
    };
    auto opts = std::make_shared<Opts>();
    auto* sub = app.add_subcommand("validate",
                                   "Check scenario, pen-spec and fixture files; report every problem as "
                                   "file:line:col: message. Nothing moves. Exit 0 if clean, 2 on any error.");
    sub->add_option("files", opts->files, "Files to check (a scenario is checked with its spec and fixture)")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_option("--fixture", opts->fixture, "Check scenarios against this fixture instead of their own");
    sub->callback([&cmds, opts] {
        cmds.run = [opts] {
            Diagnostics diags;
            LoadOptions lo;
            lo.default_fixture = default_fixture();
            if (!opts->fixture.empty()) lo.fixture_override = opts->fixture;
            std::size_t bad = 0;
            for (const auto& f : opts->files) {
                if (!validate_file(f, diags, lo)) ++bad;
            }
            diags.print(std::cerr);
            const std::size_t ok = opts->files.size() - bad;
            std::cout << ok << " of " << opts->files.size() << " file(s) valid";
            if (diags.error_count() > 0) std::cout << ", " << diags.error_count() << " error(s)";
            std::cout << '\n';
            return diags.has_errors() ? exit_error : exit_pass;
        };
    });
}

}  // namespace rig::cli
