// The request handlers: one per operation of the protocol (protocol.hpp,
// README.md), with the per-operation authorisation and the audit entries.
#include <spdlog/spdlog.h>

#include "daemon_impl.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/core/version.hpp"

namespace rig::daemon {

bool Daemon::Impl::may_administer(const Peer& p) const { return p.known && (p.uid == 0 || p.uid == own_uid); }

bool Daemon::Impl::may_control(const Peer& p, const RunEntry& e) const {
    return may_administer(p) || (p.known && p.uid == e.submission.submitter_uid);
}

void Daemon::Impl::handle_line(const std::shared_ptr<Session>& s, std::string_view line) {
    auto req = parse_request(line);
    if (!req.error.is_null()) {
        s->send(req.error);
        return;
    }
    nlohmann::json reply;
    try {
        const auto& op = req.op;
        if (op == "submit") {
            op_submit(s->caller(), req.id, req.body);
        } else if (op == "queue") {
            reply = op_queue(req.id);
        } else if (op == "status") {
            reply = op_status(req.id, req.body);
        } else if (op == "watch") {
            op_watch(s, req.id, req.body);
        } else if (op == "abort") {
            reply = op_abort(s->peer, req.id, req.body);
        } else if (op == "record") {
            reply = op_record(req.id, req.body);
        } else if (op == "health") {
            reply = op_health(req.id);
        } else if (op == "ping") {
            reply = ok_reply(req.id, {{"version", std::string(software_version())}});
        } else if (op == "shutdown") {
            if (!may_administer(s->peer)) {
                reply = error_reply(req.id, errc::forbidden,
                                    "only the daemon's own user and root may stop it; you are " + s->peer.actor());
            } else {
                const bool wait = req.body.value("wait", false);
                s->send(ok_reply(req.id, {{"state", "stopping"},
                                          {"aborting", (active && !wait) ? nlohmann::json(active->run_id) : nlohmann::json()}}));
                audit(s->peer.actor(), "daemon.stop", fixture.name, {{"wait", wait}});
                begin_shutdown(!wait, "shutdown requested by " + s->peer.actor() + " (" + s->peer.source() + ")");
            }
        } else {
            std::string known;
            for (auto k : known_ops()) known += (known.empty() ? "" : ", ") + std::string(k);
            const auto near = closest_match(op, known_ops());
            reply = error_reply(req.id, errc::unknown_op,
                                "unknown operation " + quote_token(op) + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                    " (known: " + known + ")");
        }
    } catch (const BadRequest& e) {
        reply = error_reply(req.id, errc::bad_request, e.what());
    } catch (const nlohmann::json::exception& e) {
        reply = error_reply(req.id, errc::bad_request, e.what());
    } catch (const std::exception& e) {
        spdlog::error("request '{}' failed: {}", req.op, e.what());
        reply = error_reply(req.id, errc::internal, e.what());
    }
    if (!reply.is_null()) s->send(reply);
}

namespace {
std::string limit_text(std::size_t n) { return std::to_string(n); }
}  // namespace

void Daemon::Impl::op_submit(const Caller& c, const nlohmann::json& id, const nlohmann::json& b) {
    if (shutting_down) {
        c.send(error_reply(id, errc::shutting_down, "the daemon is stopping; submit again once it is back"));
        return;
    }
    if (b.contains("scenario_path")) {
        // The daemon reads no file a client names: it would read it with the
        // daemon's rights, not the client's.
        throw BadRequest("the daemon does not open client paths: send the file's text as \"scenario_text\" "
                         "(`rig submit FILE` does, with the files it includes)");
    }
    Submission sub;
    sub.scenario_text = need_string(b, "scenario_text");
    if (sub.scenario_text.size() > kMaxInputFileBytes) {
        c.send(error_reply(id, errc::limit, "the scenario is " + std::to_string(sub.scenario_text.size()) +
                                                 " bytes; the limit is " + limit_text(kMaxInputFileBytes) + " bytes"));
        return;
    }
    sub.scenario_name = opt_string(b, "name").value_or("submitted.yaml");
    sub.base_dir = opt_string(b, "base_dir").value_or("/");
    if (!std::filesystem::path(sub.base_dir).is_absolute()) throw BadRequest("\"base_dir\" must be absolute");
    if (const auto inc = b.find("includes"); inc != b.end() && !inc->is_null()) {
        if (!inc->is_object()) throw BadRequest("\"includes\" must be an object of file name -> text");
        if (inc->size() > kMaxIncludes) {
            c.send(error_reply(id, errc::limit, "a submission may include at most " + limit_text(kMaxIncludes) + " files"));
            return;
        }
        for (const auto& [k, v] : inc->items()) {
            if (!v.is_string()) throw BadRequest("\"includes\" must be an object of file name -> text");
            if (v.get_ref<const std::string&>().size() > kMaxInputFileBytes) {
                c.send(error_reply(id, errc::limit, "included file " + quote_token(k) + " is larger than the limit of " +
                                                         limit_text(kMaxInputFileBytes) + " bytes"));
                return;
            }
            sub.includes[k] = v.get<std::string>();
        }
    }
    sub.dut = opt_string(b, "dut").value_or("");
    sub.lot = opt_string(b, "lot").value_or("");
    sub.submitter_uid = c.peer.uid;
    sub.submitter = c.peer.actor();
    if (auto op = opt_string(b, "operator"); op && !op->empty()) {
        sub.operator_name = *op;
        sub.operator_source = "daemon:" + c.peer.source() + " (" + c.peer.login + ")";
    } else {
        // Attributable without asking: the peer's login name from SO_PEERCRED.
        sub.operator_name = c.peer.known ? c.peer.login : "unknown";
        sub.operator_source = "daemon:" + c.peer.source();
    }
    if (const auto t = b.find("tags"); t != b.end() && !t->is_null()) {
        if (!t->is_array()) throw BadRequest("\"tags\" must be an array of strings");
        if (t->size() > kMaxTags) {
            c.send(error_reply(id, errc::limit, "at most " + limit_text(kMaxTags) + " tags per submission"));
            return;
        }
        for (const auto& x : *t) {
            if (!x.is_string()) throw BadRequest("\"tags\" must be an array of strings");
            if (x.get_ref<const std::string&>().size() > kMaxTagChars) {
                c.send(error_reply(id, errc::limit, "a tag may hold at most " + limit_text(kMaxTagChars) + " characters"));
                return;
            }
            sub.tags.push_back(x.get<std::string>());
        }
    }
    if (const auto sd = b.find("seed"); sd != b.end() && !sd->is_null()) {
        if (!sd->is_number_unsigned()) throw BadRequest("\"seed\" must be a non-negative integer");
        sub.seed = sd->get<std::uint64_t>();
    }
    if (queue_length() + validating >= cfg.max_queue) {
        c.send(error_reply(id, errc::limit, "the queue is full (" + limit_text(cfg.max_queue) +
                                                 " runs, the daemon's queue limit); nothing was queued"));
        return;
    }
    if (queued_by(c.peer.uid) >= cfg.max_queue_per_user) {
        c.send(error_reply(id, errc::limit, c.peer.actor() + " has " + limit_text(cfg.max_queue_per_user) +
                                                 " runs queued (the per-user queue limit); nothing was queued"));
        return;
    }
    ++validating;
    const LoadOptions lo = load_options(sub);
    validate_async([this, c, id, sub = std::move(sub), lo]() mutable {
        Diagnostics diags;
        std::optional<Scenario> sc;
        try {
            sc = load_scenario_text(sub.scenario_name, sub.scenario_text, sub.base_dir, diags, lo);
        } catch (const std::exception& e) {
            diags.error({sub.scenario_name, 0, 0}, std::string("cannot validate: ") + e.what());
            sc.reset();
        }
        asio::post(io, [this, c, id, sub = std::move(sub), sc = std::move(sc), diags = std::move(diags)]() mutable {
            --validating;
            finish_submit(c, id, std::move(sub), std::move(sc), std::move(diags));
        });
    });
}

void Daemon::Impl::finish_submit(const Caller& c, const nlohmann::json& id, Submission sub, std::optional<Scenario> sc,
                                 Diagnostics diags) {
    if (c.gone()) {
        // Nobody would hear the acknowledgement: queue nothing.
        spdlog::info("submission from {} dropped: the client left before it was validated", sub.submitter);
        return;
    }
    if (shutting_down) {
        c.send(error_reply(id, errc::shutting_down, "the daemon is stopping; submit again once it is back"));
        return;
    }
    std::vector<std::string> lines;
    for (const auto& d : diags.sorted()) lines.push_back(d.str());
    if (!sc) {
        c.send(error_reply(id, errc::invalid_scenario,
                            std::to_string(diags.error_count()) + " error(s) in " + sub.scenario_name + "; nothing was queued",
                            std::move(lines)));
        return;
    }
    const auto gate = gate_run(*sc, cfg.today());
    if (!gate.may_start) {
        auto detail = gate.audit_detail();
        detail["scenario"] = sc->id;
        detail["fixture"] = fixture.name;
        audit_refusal(cfg.state_dir, sub.submitter, sub.scenario_name, detail);
        std::vector<std::string> why;
        for (const auto& d : gate.diagnostics.sorted()) why.push_back(d.str());
        c.send(error_reply(id, errc::calibration_expired,
                            "a certification run cannot be queued while an instrument it uses is not calibrated",
                            std::move(why)));
        return;
    }
    for (const auto& d : gate.diagnostics.sorted()) lines.push_back(d.str());
    if (queue_length() >= cfg.max_queue || queued_by(sub.submitter_uid) >= cfg.max_queue_per_user) {
        c.send(error_reply(id, errc::limit, "the queue filled while the scenario was validated; nothing was queued"));
        return;
    }

    RunEntry e;
    do {
        e.run_id = new_run_id(sc->id);
    } while (find(e.run_id) != nullptr);
    e.scenario_id = sc->id;
    e.seed = sub.seed.value_or(sc->seed);
    e.submission = std::move(sub);
    e.submitted_utc = utc_now();
    const std::size_t position = (active ? 1u : 0u) + queue_length();
    runs.push_back(std::move(e));
    const std::string run_id = runs.back().run_id;
    const std::string actor = runs.back().submission.submitter;
    // Acknowledged only once durably queued: a run the daemon could lose on a
    // restart is refused now, not answered "queued".
    try {
        save_state();
    } catch (const std::exception& ex) {
        runs.pop_back();
        spdlog::error("submission refused: cannot save the daemon state: {}", ex.what());
        c.send(error_reply(id, errc::not_saved,
                            std::string("the daemon cannot save its queue (") + ex.what() + "); nothing was queued"));
        return;
    }
    scenarios[run_id] = std::make_shared<const Scenario>(std::move(*sc));
    audit(actor, "run.queued", run_id, {{"scenario", runs.back().scenario_id}, {"position", position}});
    spdlog::info("run {} queued by {} at position {}", run_id, actor, position);
    nlohmann::json body = {{"run_id", run_id}, {"position", position}};
    if (!lines.empty()) body["warnings"] = lines;
    c.send(ok_reply(id, body));
    dispatch();
}

nlohmann::json Daemon::Impl::op_queue(const nlohmann::json& id) {
    nlohmann::json running = nullptr;
    nlohmann::json queued = nlohmann::json::array();
    for (const auto& e : runs) {
        if (e.state == RunState::running) running = entry_json(e);
        if (e.state == RunState::queued) queued.push_back(entry_json(e));
    }
    return ok_reply(id, {{"running", running}, {"queued", queued}});
}

nlohmann::json Daemon::Impl::op_status(const nlohmann::json& id, const nlohmann::json& b) {
    if (auto run_id = opt_string(b, "run_id")) {
        const RunEntry* e = find(*run_id);
        if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + quote_token(*run_id) + " is known to this daemon");
        return ok_reply(id, {{"run", entry_json(*e)}});
    }
    nlohmann::json body = {{"state", shutting_down ? "stopping" : active ? "running" : "idle"},
                           {"queue_length", queue_length()},
                           {"fixture", fixture.name}};
    if (active) {
        if (const RunEntry* e = find(active->run_id)) body["run"] = entry_json(*e);
    }
    return ok_reply(id, body);
}

void Daemon::Impl::op_watch(const std::shared_ptr<Session>& s, const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    const RunEntry* e = find(run_id);
    if (e == nullptr) {
        s->send(error_reply(id, errc::unknown_run, "no run " + quote_token(run_id) + " is known to this daemon"));
        return;
    }
    s->send(ok_reply(id, {{"run", entry_json(*e)}}));
    if (e->state == RunState::done || e->state == RunState::incomplete) {
        // Finished already: the stream is just its verdict.
        s->send({{"id", id}, {"event", "verdict"}, {"run_id", run_id}, {"verdict", e->verdict}, {"reason", e->reason},
                 {"dir", e->dir}, {"exit_code", exit_code_of(e->verdict)}});
        return;
    }
    if (s->watches.size() >= kMaxTags) throw BadRequest("at most " + std::to_string(kMaxTags) + " watches per connection");
    s->watches.emplace(run_id, id);
}

nlohmann::json Daemon::Impl::op_abort(const Peer& p, const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    RunEntry* e = find(run_id);
    if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + quote_token(run_id) + " is known to this daemon");
    if ((e->state == RunState::queued || e->state == RunState::running) && !may_control(p, *e)) {
        audit(p.actor(), "run.abort_denied", run_id, {{"submitter", e->submission.submitter}});
        return error_reply(id, errc::forbidden, "run " + run_id + " was submitted by " + e->submission.submitter +
                                                    "; only its submitter, the daemon's user and root may abort it");
    }
    if (e->state == RunState::queued) {
        finish_entry(*e, RunState::done, "ABORTED", "removed from the queue by " + p.actor());
        audit(p.actor(), "run.removed", run_id, {{"submitter", e->submission.submitter}});
        spdlog::info("run {} removed from the queue by {}", run_id, p.actor());
        broadcast_verdict(*e);
        persist();
        update_status();
        return ok_reply(id, {{"run_id", run_id}, {"state", "done"}, {"verdict", "ABORTED"}});
    }
    if (e->state == RunState::running && active && active->run_id == run_id) {
        active->abort.store(true);
        audit(p.actor(), "run.abort_requested", run_id, {{"submitter", e->submission.submitter}});
        spdlog::info("run {} abort requested by {} ({})", run_id, p.actor(), p.source());
        return ok_reply(id, {{"run_id", run_id}, {"state", "aborting"}});
    }
    return error_reply(id, errc::not_active, "run " + run_id + " has already finished (" + e->verdict + ")");
}

nlohmann::json Daemon::Impl::op_record(const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    const RunEntry* e = find(run_id);
    if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + quote_token(run_id) + " is known to this daemon");
    const auto path = std::filesystem::path(e->dir) / "record.json";
    std::error_code ec;
    if (e->dir.empty() || !std::filesystem::exists(path, ec)) {
        return error_reply(id, errc::no_record, "run " + run_id + " has no record (it never started)");
    }
    return ok_reply(id, {{"run_id", run_id}, {"record", nlohmann::json::parse(read_file(path))}});
}

nlohmann::json Daemon::Impl::op_health(const nlohmann::json& id) {
    const auto today = cfg.today();
    nlohmann::json cal = nlohmann::json::array();
    for (const auto& c : fixture.calibration) {
        cal.push_back({{"instrument", c.instrument}, {"id", c.id}, {"due", c.due}, {"status", to_string(record_state(c, today))}});
    }
    const auto up = std::chrono::duration<double>(SteadyClock::now() - started).count();
    return ok_reply(
        id, {{"version", std::string(software_version())},
             {"today", format_iso_date(today)},
             {"fixture", {{"name", fixture.name}, {"backend", fixture.backend == Backend::sim ? "sim" : "hardware"},
                          {"file", cfg.fixture_file.string()}, {"lock", lock->path().string()}}},
             {"calibration", cal},
             {"loop", last_loop},
             {"current_run", active ? nlohmann::json(active->run_id) : nlohmann::json()},
             {"watchdog", {{"heartbeat_timeout_ms", cfg.heartbeat_timeout.count()},
                           {"loop_stuck", active && active->stuck.load()},
                           {"systemd_watchdog_s", std::chrono::duration<double>(sd_watchdog).count()}}},
             {"queue_length", queue_length()},
             {"limits", {{"max_queue", cfg.max_queue}, {"max_queue_per_user", cfg.max_queue_per_user},
                         {"max_request_bytes", kMaxRequestBytes}, {"max_file_bytes", kMaxInputFileBytes}}},
             {"memory", memory_json()},
             {"uptime_s", up}});
}

}  // namespace rig::daemon
