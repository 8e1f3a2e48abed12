#include "evidence_commands.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <vector>

#include "rig/calibration/calibration.hpp"
#include "rig/core/diagnostics.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/reports/signatures.hpp"
#include "rig/session/run_session.hpp"

namespace rig {
namespace fs = std::filesystem;

namespace {

// Bad input that the user can fix: exit code 2.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string os_user() {
    if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) return pw->pw_name;
    return "uid:" + std::to_string(::getuid());
}

// Runs one subcommand body, mapping failures to exit codes and messages.
void guarded(EvidenceOptions& o, const std::function<int()>& body) {
    try {
        o.exit_code = body();
    } catch (const BadInput& e) {
        *o.err << "error: " << e.what() << "\n";
        o.exit_code = 2;
    } catch (const SignRefused& e) {
        *o.err << "error: " << e.what();
        o.exit_code = 1;
    } catch (const std::exception& e) {
        *o.err << "error: " << e.what() << "\n";
        o.exit_code = 2;
    }
}

void require_run_dir(const fs::path& d) {
    if (!fs::is_directory(d)) throw BadInput("no run folder " + d.string());
    if (!fs::exists(d / "record.json")) throw BadInput(d.string() + " holds no record.json");
}

AuditLog audit_of(const EvidenceOptions& o) { return AuditLog(resolve_state_dir(o.state_dir) / "audit.jsonl"); }

PublicKey public_key_for(const EvidenceOptions& o, const fs::path& run_dir, const std::string& explicit_pub) {
    if (!explicit_pub.empty()) return load_public_key(explicit_pub);
    const fs::path keys = resolve_state_dir(o.state_dir) / "keys";
    // A bundle sealed with a key replaced since is verified with that key,
    // which keygen --force kept as keys/<id>.pub.
    const std::string id = manifest_key_id(run_dir);
    if (!id.empty() && fs::exists(keys / (id + ".pub"))) return load_public_key(keys / (id + ".pub"));
    if (!fs::exists(keys / "rig.pub")) throw BadInput("no public key: " + (keys / "rig.pub").string() + " (run `rig keygen` or pass --pub)");
    return load_public_key(keys / "rig.pub");
}

SigningKey signing_key(const EvidenceOptions& o) {
    const fs::path f = resolve_state_dir(o.state_dir) / "keys" / "rig.key";
    if (!fs::exists(f)) throw BadInput("no rig key: " + f.string() + " (run `rig keygen`)");
    return SigningKey::load(f);
}

// The audit heads carried by the signed manifests of the run folders found in
// `runs_dirs` (default ./runs) and named by the log's own entries. Only
// manifests validly signed by a key of the state folder count.
std::vector<AuditAnchor> sealed_run_anchors(const EvidenceOptions& o, const AuditLog& log,
                                            std::vector<std::string> runs_dirs) {
    const fs::path keys = resolve_state_dir(o.state_dir) / "keys";
    std::vector<AuditAnchor> out;
    if (!fs::exists(keys / "rig.pub")) return out;
    std::set<fs::path> dirs;
    std::error_code ec;
    if (runs_dirs.empty() && fs::is_directory("runs", ec)) runs_dirs.emplace_back("runs");
    for (const auto& parent : runs_dirs)
        for (const auto& e : fs::directory_iterator(parent, ec))
            if (e.is_directory(ec)) dirs.insert(fs::weakly_canonical(e.path(), ec));
    std::vector<AuditEntry> entries;
    try {
        entries = log.read();
    } catch (const std::exception&) {
        // A damaged log is verify()'s finding; its run folders are then unknown.
    }
    for (const auto& e : entries)
        if (e.new_value.is_object() && e.new_value.contains("dir") && e.new_value["dir"].is_string()) {
            const fs::path d = e.new_value["dir"].get<std::string>();
            if (fs::is_directory(d, ec)) dirs.insert(fs::weakly_canonical(d, ec));
        }
    for (const auto& d : dirs) {
        const std::string id = manifest_key_id(d);
        if (id.empty()) continue;
        const fs::path pub = fs::exists(keys / (id + ".pub")) ? keys / (id + ".pub") : keys / "rig.pub";
        if (auto anchor = sealed_audit_anchor(d, load_public_key(pub))) out.push_back(std::move(*anchor));
    }
    return out;
}

void add_state_option(CLI::App* sub, EvidenceOptions& o) {
    sub->add_option("--state-dir", o.state_dir,
                    "State folder with keys/, audit.jsonl and calibration/ (default: $PENRIG_STATE_DIR, else ./.penrig)")
        ->envname("PENRIG_STATE_DIR");
}

struct CalibrateArgs {
    std::string fixture = "fixtures/sim.yaml";
    std::string operator_name;
    std::string today;
    int interval_days = 365;
    int samples = 200;
    double tolerance_pct = 0.5;
    double tolerance_um = 2.0;
};

int run_calibration(EvidenceOptions& o, const CalibrateArgs& a, bool load_cell) {
    Diagnostics diags;
    auto config = load_fixture(a.fixture, diags);
    if (!config) {
        diags.print(*o.err);
        throw BadInput("fixture file " + a.fixture + " is not valid");
    }
    std::unique_ptr<Fixture> fx = o.fixture_factory ? o.fixture_factory(*config) : make_fixture(*config, 0);
    WorkflowOptions w;
    w.operator_name = a.operator_name.empty() ? os_user() : a.operator_name;
    w.today = a.today;
    w.interval_days = a.interval_days;
    w.samples_per_point = a.samples;
    w.tolerance_pct = a.tolerance_pct;
    w.tolerance_mm = a.tolerance_um / 1000.0;
    CalibrationHistory history(resolve_state_dir(o.state_dir) / "calibration" / "history.jsonl");
    AuditLog audit = audit_of(o);
    WorkflowIo io{*o.in, *o.out};
    OperatorPlacedStandard manual;
    WorkflowResult r;
    if (load_cell) {
        auto ref = o.reference_load ? o.reference_load(*fx) : nullptr;
        r = run_load_cell_calibration(*fx, ref ? *ref : static_cast<ReferenceLoad&>(manual), io, w, &history, &audit);
    } else {
        auto g = o.gauge_block ? o.gauge_block(*fx) : nullptr;
        r = run_encoder_check(*fx, g ? *g : static_cast<GaugeBlock&>(manual), io, w, &history, &audit);
    }
    if (r.accepted) return 0;
    return r.result == "aborted" ? 2 : 1;
}

}  // namespace

void add_evidence_commands(CLI::App& app, EvidenceOptions& o) {
    // Heap-held argument storage lives as long as the callbacks that use it.
    struct Args {
        std::string run_dir, pub, name, meaning, operator_name, report_out;
        std::vector<std::string> runs_dirs;
        bool force = false, json = false;
        std::size_t last = 0;
        CalibrateArgs cal;
    };
    auto a = std::make_shared<Args>();

    auto* report = app.add_subcommand("report", "Write RUN_DIR/report.html from the run record: a self-contained HTML "
                                                "report (header, results by requirement, plots, scope) that prints to PDF");
    report->add_option("RUN_DIR", a->run_dir, "Run folder holding record.json")->required();
    report->add_option("-o,--output", a->report_out,
                       "Write the report to this file instead of RUN_DIR/report.html (needed for a sealed run folder, "
                       "whose signed manifest covers report.html; outside that folder)");
    add_state_option(report, o);
    report->callback([&o, a] {
        guarded(o, [&] {
            require_run_dir(a->run_dir);
            // A sealed folder is never changed behind its manifest: a rewritten
            // report.html (or a new file beside it) would make `rig verify`
            // fail on an intact run. Its report goes elsewhere; `rig sign`
            // re-renders and re-seals with the rig key.
            const fs::path dir(a->run_dir);
            const bool sealed = fs::exists(dir / "manifest.json");
            fs::path out;
            if (a->report_out.empty()) {
                if (sealed)
                    throw BadInput(dir.string() + " is sealed (manifest.json): rewriting its report.html would break the "
                                   "signed manifest and `rig verify`; write the report elsewhere with --output FILE "
                                   "(`rig sign` re-renders the report and re-seals the folder)");
                out = write_html_report(dir);
            } else {
                out = a->report_out;
                const auto parent = fs::weakly_canonical(fs::absolute(out)).parent_path();
                if (sealed && parent == fs::weakly_canonical(fs::absolute(dir)))
                    throw BadInput(dir.string() + " is sealed (manifest.json): a file written into it fails `rig "
                                   "verify`; choose --output outside the run folder");
                out = write_html_report(dir, out);
            }
            audit_of(o).append(os_user(), "report.generated", out.string(), nullptr, {{"sha256", file_sha256(out)}});
            *o.out << out.string() << "\n";
            return 0;
        });
    });

    auto* verify = app.add_subcommand("verify", "Check every file of RUN_DIR against its signed manifest and the "
                                                "e-signatures; name each file changed, added or missing. Exit 1 on any mismatch");
    verify->add_option("RUN_DIR", a->run_dir, "Run folder")->required();
    verify->add_option("--pub", a->pub, "Public key file (default: the state folder's key that sealed the run)");
    add_state_option(verify, o);
    verify->callback([&o, a] {
        guarded(o, [&] {
            if (!fs::is_directory(a->run_dir)) throw BadInput("no run folder " + a->run_dir);
            const auto key = public_key_for(o, a->run_dir, a->pub);
            const auto r = verify_run_dir(a->run_dir, key);
            (r.ok() ? *o.out : *o.err) << r.summary();
            return r.ok() ? 0 : 1;
        });
    });

    auto* keygen = app.add_subcommand("keygen", "Create the rig's Ed25519 signing key: keys/rig.key (mode 0600, for the "
                                                "daemon's user only) and keys/rig.pub in the state folder");
    keygen->add_flag("--force", a->force, "Replace an existing key (the old public key is kept as keys/<id>.pub)");
    add_state_option(keygen, o);
    keygen->callback([&o, a] {
        guarded(o, [&] {
            const auto key = SigningKey::generate();
            try {
                key.save(resolve_state_dir(o.state_dir) / "keys", a->force);
            } catch (const std::runtime_error& e) {
                throw BadInput(e.what());
            }
            audit_of(o).append(os_user(), "key.generated", (resolve_state_dir(o.state_dir) / "keys" / "rig.pub").string(), nullptr,
                               {{"key_id", key.public_key().id()}, {"public_key", key.public_key().hex()}});
            *o.out << "key " << key.public_key().id() << " written to " << (resolve_state_dir(o.state_dir) / "keys").string() << "\n";
            return 0;
        });
    });

    auto* sign = app.add_subcommand("sign", "Sign RUN_DIR electronically: bound to the record's SHA-256, signed with the "
                                            "rig key, shown in the report, recorded in the audit trail. Refused (exit 1) "
                                            "when the bundle does not verify");
    sign->add_option("RUN_DIR", a->run_dir, "Run folder")->required();
    sign->add_option("--name", a->name, "Printed name of the signer, as it shall appear on the report")->required();
    sign->add_option("--meaning", a->meaning, "What the signature means: review, approval or responsibility")
        ->required()
        ->check(CLI::IsMember({"review", "approval", "responsibility"}));
    add_state_option(sign, o);
    sign->callback([&o, a] {
        guarded(o, [&] {
            require_run_dir(a->run_dir);
            const auto meaning = signature_meaning_from_string(a->meaning);
            if (!meaning) throw BadInput("--meaning must be review, approval or responsibility");
            const auto key = signing_key(o);
            AuditLog audit = audit_of(o);
            try {
                const auto s = sign_run(a->run_dir, key, a->name, *meaning, &audit, os_user());
                *o.out << "signed " << a->run_dir << " #" << s.seq << " by " << s.name << " (" << s.meaning << ") at "
                       << s.utc << "\n";
            } catch (const SignRefused& e) {
                if (std::string(e.what()).rfind("refusing", 0) != 0) throw BadInput(e.what());
                throw;
            }
            return 0;
        });
    });

    auto* audit = app.add_subcommand("audit", "The audit trail: an append-only, hash-chained log of every action that "
                                              "creates or changes a record");
    audit->require_subcommand(1);
    auto* averify = audit->add_subcommand(
        "verify", "Check the whole chain, its signed head, and the audit head that every sealed run carries in its "
                  "signed manifest; exit 1 and name the first bad entry if an entry was removed, reordered or edited, "
                  "the log was cut, deleted, recomputed or replaced by an older copy");
    averify->add_option("--runs-dir", a->runs_dirs,
                        "Folder of run folders whose manifests anchor the log (repeatable; default: ./runs if present, "
                        "plus every run folder the log names)");
    add_state_option(averify, o);
    averify->callback([&o, a] {
        guarded(o, [&] {
            const AuditLog log = audit_of(o);
            const auto anchors = sealed_run_anchors(o, log, a->runs_dirs);
            const auto r = log.verify(anchors);
            (r.ok ? *o.out : *o.err) << (r.ok ? "OK: " : "AUDIT TRAIL DAMAGED: ") << r.message << "; "
                                     << anchors.size() << " sealed run(s) anchor it\n";
            return r.ok ? 0 : 1;
        });
    });
    auto* ashow = audit->add_subcommand("show", "Print the audit trail (oldest first)");
    ashow->add_option("--last", a->last, "Only the last N entries");
    ashow->add_flag("--json", a->json, "Print the stored JSON lines");
    add_state_option(ashow, o);
    ashow->callback([&o, a] {
        guarded(o, [&] {
            const auto entries = audit_of(o).read();
            const std::size_t from = a->last > 0 && a->last < entries.size() ? entries.size() - a->last : 0;
            for (std::size_t i = from; i < entries.size(); ++i) {
                const auto& e = entries[i];
                if (a->json) {
                    *o.out << to_json(e).dump() << "\n";
                    continue;
                }
                *o.out << e.seq << "  " << e.utc << "  " << e.actor << "  " << e.action << "  " << e.subject << "\n";
                if (!e.old_value.is_null()) *o.out << "      old: " << e.old_value.dump() << "\n";
                if (!e.new_value.is_null()) *o.out << "      new: " << e.new_value.dump() << "\n";
            }
            return 0;
        });
    });

    auto* cal = app.add_subcommand("calibrate", "Calibrate an instrument of the fixture with reference standards; the "
                                                "result goes to calibration/history.jsonl and the audit trail");
    cal->require_subcommand(1);
    auto add_cal_options = [&o, a](CLI::App* s) {
        s->add_option("--fixture", a->cal.fixture, "Fixture file")->capture_default_str();
        s->add_option("--operator", a->cal.operator_name, "Who performs the calibration (default: the OS user)");
        s->add_option("--date", a->cal.today, "Calibration date YYYY-MM-DD (default: today, UTC)");
        s->add_option("--interval-days", a->cal.interval_days, "Calibration interval: due date = date + interval")
            ->capture_default_str()
            ->check(CLI::Range(1, 3650));
        s->add_option("--samples", a->cal.samples, "Readings averaged per point")->capture_default_str()->check(CLI::Range(1, 100000));
        add_state_option(s, o);
    };
    auto* lc = cal->add_subcommand("load-cell", "Tare and span the load cell with reference weights (prompts on the "
                                                "terminal); records as-found and as-left errors");
    add_cal_options(lc);
    lc->add_option("--tolerance", a->cal.tolerance_pct, "Max residual after adjustment, % of the largest weight")
        ->capture_default_str();
    lc->callback([&o, a] { guarded(o, [&] { return run_calibration(o, a->cal, true); }); });
    auto* enc = cal->add_subcommand("encoder", "Check the encoder scale against a gauge block (prompts on the terminal)");
    add_cal_options(enc);
    enc->add_option("--tolerance-um", a->cal.tolerance_um, "Max |measured - gauge|, micrometres")->capture_default_str();
    enc->callback([&o, a] { guarded(o, [&] { return run_calibration(o, a->cal, false); }); });
}

}  // namespace rig
