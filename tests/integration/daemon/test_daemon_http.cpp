// The web dashboard and /metrics of the real `rig serve` process: off by
// default, loopback only unless asked, limits, read-only unless configured,
// tokens and the proxy header, the audit trail, the run files (no traversal),
// the live-event stream and the Prometheus exposition format (a strict
// parser here; promtool too when the machine has it).
#include <arpa/inet.h>
#include <netinet/in.h>

#include "catch.hpp"

#include <regex>
#include <set>

#include "contains_each.hpp"
#include "daemon_harness.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/daemon/http.hpp"
#include "skip.hpp"

using namespace rig::test;

namespace {

/// One HTTP exchange over a fresh TCP connection to 127.0.0.1:port.
struct HttpReply {
    int status = 0;
    std::string head, body;
    bool closed_early = false;  // the server closed without answering
};

std::string read_all(int fd, std::chrono::milliseconds timeout) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char b[65536];
        const ssize_t n = ::recv(fd, b, sizeof b, 0);
        if (n <= 0) break;
        out.append(b, static_cast<std::size_t>(n));
    }
    return out;
}

HttpReply parse_reply(const std::string& raw) {
    HttpReply r;
    const auto sep = raw.find("\r\n\r\n");
    if (raw.empty() || sep == std::string::npos) {
        r.closed_early = true;
        return r;
    }
    r.head = raw.substr(0, sep);
    r.body = raw.substr(sep + 4);
    r.status = std::stoi(raw.substr(9, 3));
    return r;
}

HttpReply http(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
               const std::vector<std::string>& headers = {}) {
    const int fd = connect_tcp(port);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const auto& h : headers) req += h + "\r\n";
    if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    const auto raw = read_all(fd, 20s);
    ::close(fd);
    return parse_reply(raw);
}

HttpReply post_json(std::uint16_t port, const std::string& target, const json& body, std::vector<std::string> headers = {}) {
    headers.emplace_back("Content-Type: application/json");
    return http(port, "POST", target, body.dump(), headers);
}

/// The dashboard's port, from the daemon's log line "dashboard on http://127.0.0.1:PORT/".
std::uint16_t dashboard_port(const Rig& rig) {
    const std::regex re(R"(dashboard on http://[^:]+:(\d+)/)");
    for (int i = 0; i < 200; ++i) {
        std::smatch m;
        const auto err = rig.daemon->err();
        if (std::regex_search(err, m, re)) return static_cast<std::uint16_t>(std::stoul(m[1]));
        std::this_thread::sleep_for(10ms);
    }
    throw std::runtime_error("the daemon did not log its dashboard address: " + rig.daemon->err());
}

/// A strict check of the Prometheus text exposition format (0.0.4): returns
/// every problem found ("" entries never). Checks: line grammar (HELP, TYPE,
/// samples with escaped label values and a float value), metric and label
/// name charsets, TYPE before the family's samples and at most once, known
/// types, one family's samples together, no duplicate series, counters
/// ending _total, histograms with cumulative non-decreasing buckets, a
/// le="+Inf" bucket equal to _count.
std::vector<std::string> check_exposition(const std::string& text) {
    std::vector<std::string> bad;
    const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
    const std::regex sample_re(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ([^ ]+)( -?[0-9]+)?)");
    const std::regex label_re(R"(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)\",?)");
    const std::regex value_re(R"([+-]?([0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?|Inf)|NaN)");
    std::map<std::string, std::string> types;
    std::set<std::string> helped, finished_families, series;
    std::string current;
    struct Hist {
        double last = -1;
        double inf = -1;
        double count = -1;
    };
    std::map<std::string, Hist> hists;
    const auto family_of = [&](const std::string& n) {
        for (const char* suf : {"_bucket", "_sum", "_count"}) {
            const std::string s(suf);
            if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0) {
                const auto base = n.substr(0, n.size() - s.size());
                if (types.count(base) && (types[base] == "histogram" || types[base] == "summary")) return base;
            }
        }
        return n;
    };
    if (text.empty() || text.back() != '\n') bad.push_back("the text does not end with a newline");
    std::istringstream in(text);
    int ln = 0;
    for (std::string line; std::getline(in, line);) {
        ++ln;
        const auto at = "line " + std::to_string(ln) + ": ";
        if (line.empty()) continue;
        if (line[0] == '#') {
            std::istringstream ls(line);
            std::string hash, kw, name;
            ls >> hash >> kw >> name;
            if (kw != "HELP" && kw != "TYPE") continue;  // other comments are allowed
            if (!std::regex_match(name, name_re)) bad.push_back(at + "bad metric name " + name);
            if (kw == "TYPE") {
                std::string type;
                ls >> type;
                if (types.count(name)) bad.push_back(at + "second TYPE for " + name);
                if (series.count(name) || finished_families.count(name)) bad.push_back(at + "TYPE after samples of " + name);
                static const std::set<std::string> known = {"counter", "gauge", "histogram", "summary", "untyped"};
                if (!known.count(type)) bad.push_back(at + "unknown type " + type);
                if (type == "counter" && !name.ends_with("_total")) bad.push_back(at + "counter " + name + " does not end in _total");
                types[name] = type;
            } else {
                if (helped.count(name)) bad.push_back(at + "second HELP for " + name);
                helped.insert(name);
            }
            continue;
        }
        std::smatch m;
        if (!std::regex_match(line, m, sample_re)) {
            bad.push_back(at + "not a sample line: " + line);
            continue;
        }
        const std::string name = m[1], labels = m[3], value = m[4];
        if (!std::regex_match(value, value_re)) bad.push_back(at + "bad value " + value);
        const auto fam = family_of(name);
        if (!types.count(fam)) bad.push_back(at + "sample of " + name + " before its TYPE");
        if (fam != current) {
            if (finished_families.count(fam)) bad.push_back(at + "samples of " + fam + " are not together");
            if (!current.empty()) finished_families.insert(current);
            current = fam;
        }
        // Labels: the whole label text must be consumed by label pairs, names unique.
        std::set<std::string> lnames;
        std::string rest = labels, le;
        std::smatch lm;
        while (!rest.empty() && std::regex_search(rest, lm, label_re, std::regex_constants::match_continuous)) {
            if (!lnames.insert(lm[1]).second) bad.push_back(at + "label " + std::string(lm[1]) + " twice");
            if (lm[1] == "le") le = lm[2];
            rest = lm.suffix();
        }
        if (!rest.empty()) bad.push_back(at + "bad labels {" + labels + "}");
        if (!series.insert(name + "{" + labels + "}").second) bad.push_back(at + "duplicate series " + name + "{" + labels + "}");
        if (types.count(fam) && types[fam] == "histogram") {
            auto& h = hists[fam];
            const double v = value == "+Inf" ? 1e308 : std::stod(value);
            if (name == fam + "_bucket") {
                if (le.empty()) bad.push_back(at + "bucket without le");
                if (v < h.last) bad.push_back(at + "buckets of " + fam + " are not cumulative");
                h.last = v;
                if (le == "+Inf") h.inf = v;
            } else if (name == fam + "_count") {
                h.count = v;
            }
        }
    }
    for (const auto& [fam, h] : hists) {
        if (h.inf < 0) bad.push_back(fam + ": no le=\"+Inf\" bucket");
        if (h.count < 0) bad.push_back(fam + ": no _count");
        if (h.inf >= 0 && h.count >= 0 && h.inf != h.count) bad.push_back(fam + ": +Inf bucket != _count");
    }
    for (const auto& [name, t] : types) {
        if (!name.starts_with("penrig_")) bad.push_back(name + ": no penrig_ prefix");
        if (!helped.count(name)) bad.push_back(name + ": no HELP");
    }
    return bad;
}

/// The value of one series in a metrics text; nullopt when absent.
std::optional<double> metric(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return std::nullopt;
}

struct DashRig : Rig {
    std::uint16_t port = 0;
    void start_http(std::vector<std::string> more = {}, bool wall_clock = false) {
        extra_args = {"--http", "127.0.0.1:0"};
        extra_args.insert(extra_args.end(), more.begin(), more.end());
        start(wall_clock);
        port = dashboard_port(*this);
    }
    std::string run_to_verdict(const std::string& name) {
        Wire w(socket);
        const auto r = submit(w, hold_scenario(name, "300 ms"));
        REQUIRE(r.value("ok", false));
        const std::string id = r["run_id"];
        wait_state(id, "done");
        return id;
    }
};

}  // namespace

TEST_CASE("the metrics checker refuses what Prometheus would", "[daemon][http]") {
    CHECK(check_exposition("# HELP penrig_x x\n# TYPE penrig_x gauge\npenrig_x 1\n").empty());
    CHECK(!check_exposition("penrig_x 1\n").empty());                                             // no TYPE
    CHECK(!check_exposition("# HELP penrig_x x\n# TYPE penrig_x counter\npenrig_x 1\n").empty());  // counter without _total
    CHECK(!check_exposition("# HELP penrig_x x\n# TYPE penrig_x gauge\npenrig_x{a=\"b} 1\n").empty());
    CHECK(!check_exposition("# HELP penrig_x x\n# TYPE penrig_x gauge\npenrig_x 1\npenrig_x 2\n").empty());
    CHECK(!check_exposition("# HELP penrig_h h\n# TYPE penrig_h histogram\npenrig_h_bucket{le=\"1\"} 3\n"
                            "penrig_h_bucket{le=\"+Inf\"} 2\npenrig_h_count 2\n")
               .empty());  // not cumulative
    CHECK(!check_exposition("# HELP penrig_x x\n# TYPE penrig_x gauge\npenrig_x one\n").empty());
}

TEST_CASE("render_metrics: known figures in the exposition format", "[daemon][http]") {
    rig::daemon::MetricsInput m;
    m.version = "0.1.0";
    m.fixture = "sim \"01\"\\x";
    m.backend = "sim";
    m.state = "running";
    m.queue_length = 3;
    m.runs_by_verdict = {{"PASS", 2}, {"FAIL", 1}};
    m.run_duration_counts = {0, 2, 1};
    m.run_duration_sum_s = 17.5;
    m.lateness_upper_s = {10e-6, 20e-6};
    m.lateness_counts = {90, 9, 1};
    m.missed_samples = 4;
    m.calibration = {{"load_cell", "LC-1", 30}, {"encoder", "ENC-1", -2}, {"current_sense", "CS-1", std::nullopt}};
    m.last_run_by_scenario = {{"SMOKE-01", "FAIL", 1.7e9}};
    const auto t = rig::daemon::render_metrics(m);
    INFO(t);
    CHECK(check_exposition(t).empty());
    CHECK(metric(t, R"(penrig_rig_state{state="running"})") == 1.0);
    CHECK(metric(t, R"(penrig_rig_state{state="idle"})") == 0.0);
    CHECK(metric(t, "penrig_queue_length") == 3.0);
    CHECK(metric(t, R"(penrig_runs_total{verdict="PASS"})") == 2.0);
    CHECK(metric(t, R"(penrig_runs_total{verdict="ERROR"})") == 0.0);
    CHECK(metric(t, R"(penrig_run_duration_seconds_bucket{le="5"})") == 2.0);
    CHECK(metric(t, R"(penrig_run_duration_seconds_bucket{le="+Inf"})") == 3.0);
    CHECK(metric(t, "penrig_run_duration_seconds_sum") == 17.5);
    CHECK(metric(t, R"(penrig_loop_lateness_seconds_bucket{le="1e-05"})") == 90.0);
    CHECK(metric(t, R"(penrig_loop_lateness_seconds_bucket{le="2e-05"})") == 99.0);
    CHECK(metric(t, "penrig_loop_lateness_seconds_count") == 100.0);
    CHECK(metric(t, "penrig_loop_missed_samples_total") == 4.0);
    CHECK(metric(t, R"(penrig_calibration_remaining_seconds{instrument="encoder",id="ENC-1"})") == -2.0 * 86400);
    CHECK(!metric(t, R"(penrig_calibration_remaining_seconds{instrument="current_sense",id="CS-1"})"));
    CHECK(metric(t, R"(penrig_calibration_valid{instrument="encoder",id="ENC-1"})") == 0.0);
    CHECK(metric(t, R"(penrig_last_run_verdict{scenario="SMOKE-01",verdict="FAIL"})") == 1.0);
    CHECK(metric(t, R"(penrig_last_run_verdict{scenario="SMOKE-01",verdict="PASS"})") == 0.0);
    CHECK(t.find(R"(fixture="sim \"01\"\\x")") != std::string::npos);  // label value escaped
}

TEST_CASE("parse_http_endpoint: loopback, addresses, ports", "[daemon][http]") {
    using rig::daemon::parse_http_endpoint;
    CHECK(parse_http_endpoint("127.0.0.1:8080").loopback);
    CHECK(parse_http_endpoint("localhost:80").host == "127.0.0.1");
    CHECK(parse_http_endpoint("[::1]:8080").loopback);
    CHECK(!parse_http_endpoint("0.0.0.0:8080").loopback);
    CHECK(!parse_http_endpoint("192.168.1.20:8080").loopback);
    CHECK_THROWS_AS(parse_http_endpoint("127.0.0.1"), std::invalid_argument);
    CHECK_THROWS_AS(parse_http_endpoint("127.0.0.1:99999"), std::invalid_argument);
    CHECK_THROWS_AS(parse_http_endpoint("rig.example:80"), std::invalid_argument);
}

TEST_CASE("HTTP tokens are stored hashed and checked per user", "[daemon][http]") {
    TempDir tmp;
    rig::daemon::HttpTokens t(tmp / "http-tokens.json");
    CHECK(!t.any());
    const auto tok = t.add("alice");
    CHECK(tok.size() == 64);
    CHECK(t.user_of(tok) == std::optional<std::string>("alice"));
    CHECK(!t.user_of(std::string(64, '0')));
    CHECK(slurp(tmp / "http-tokens.json").find(tok) == std::string::npos);  // only its hash
    CHECK((std::filesystem::status(tmp / "http-tokens.json").permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
    const auto tok2 = t.add("alice");  // a new token replaces the old one
    CHECK(!t.user_of(tok));
    CHECK(t.user_of(tok2));
    CHECK_THROWS_AS(t.add("bob smith"), std::invalid_argument);
    CHECK(t.remove("alice"));
    CHECK(!t.user_of(tok2));
}

TEST_CASE("rig serve: the dashboard is off by default and refuses a remote address without the flag", "[daemon][http]") {
    Rig rig;
    rig.start();
    CHECK(rig.daemon->err().find("dashboard on") == std::string::npos);
    rig.daemon->signal(SIGTERM);
    REQUIRE(rig.daemon->wait(30s));

    std::string err;
    const auto ex = run_rig({"serve", "--socket", (rig.tmp / "r2.sock").string(), "--state-dir", (rig.tmp / "s2").string(),
                             "--lock-dir", rig.locks.string(), "--http", "0.0.0.0:0"},
                            rig.tmp / "remote", nullptr, &err);
    CHECK(ex.code == 2);
    CHECK(err.find("--http-allow-remote") != std::string::npos);
}

TEST_CASE("rig serve --http: pages, metrics after a run, run files without traversal", "[daemon][http]") {
    DashRig rig;
    rig.start_http();
    const auto index = http(rig.port, "GET", "/");
    CHECK(index.status == 200);
    CHECK(index.body.find("<script src=\"/app.js\"") != std::string::npos);
    CHECK(index.head.find("Content-Security-Policy") != std::string::npos);
    CHECK(http(rig.port, "GET", "/app.js").status == 200);
    CHECK(http(rig.port, "GET", "/style.css").status == 200);
    CHECK(http(rig.port, "GET", "/nope").status == 404);
    CHECK(http(rig.port, "DELETE", "/").status == 405);

    const std::string id = rig.run_to_verdict("HTTP-METRICS");
    const auto live = json::parse(http(rig.port, "GET", "/api/live").body);
    CHECK(live["status"]["state"] == "idle");
    CHECK(live["health"]["fixture"]["backend"] == "sim");
    const auto hist = json::parse(http(rig.port, "GET", "/api/history").body);
    REQUIRE(hist["runs"].size() == 1);
    CHECK(hist["runs"][0]["run_id"] == id);

    const auto m = http(rig.port, "GET", "/metrics");
    REQUIRE(m.status == 200);
    CHECK(m.head.find("text/plain; version=0.0.4") != std::string::npos);
    INFO(m.body);
    CHECK(check_exposition(m.body).empty());
    const std::string verdict = rig.status(id)["run"]["verdict"];
    CHECK(metric(m.body, "penrig_runs_total{verdict=\"" + verdict + "\"}") == 1.0);
    CHECK(metric(m.body, "penrig_last_run_verdict{scenario=\"HTTP-METRICS\",verdict=\"" + verdict + "\"}") == 1.0);
    CHECK(metric(m.body, R"(penrig_rig_state{state="idle"})") == 1.0);
    CHECK(metric(m.body, "penrig_queue_length") == 0.0);
    CHECK(metric(m.body, "penrig_run_duration_seconds_count") == 1.0);
    // The lateness histogram counts every sample of the run's record.
    const auto rec = rig.record(id);
    CHECK(metric(m.body, "penrig_loop_lateness_seconds_count") == rec["timing"]["samples"].get<double>());
    CHECK(metric(m.body, "penrig_loop_missed_samples_total") == rec["timing"]["missed_samples"].get<double>());
    // PENRIG_TODAY is 2026-06-01; the sim fixture's load cell is due 2027-11-01: 518 days.
    const auto due = rig::parse_iso_date(live["health"]["calibration"][0]["due"].get<std::string>());
    REQUIRE(due);
    const auto days = (std::chrono::sys_days(*due) - std::chrono::sys_days(*rig::parse_iso_date("2026-06-01"))).count();
    CHECK(metric(m.body, "penrig_calibration_remaining_seconds{instrument=\"" + live["health"]["calibration"][0]["instrument"].get<std::string>() +
                             "\",id=\"" + live["health"]["calibration"][0]["id"].get<std::string>() + "\"}") ==
          static_cast<double>(days) * 86400.0);

    // Run files: served read-only, the same bytes as on disk.
    const auto listing = json::parse(http(rig.port, "GET", "/runs/" + id + "/").body);
    CHECK(!listing["files"].empty());
    const auto r = http(rig.port, "GET", "/runs/" + id + "/record.json");
    CHECK(r.status == 200);
    CHECK(r.body == slurp(rig.state / "runs" / id / "record.json"));
    CHECK(http(rig.port, "POST", "/runs/" + id + "/record.json").status != 200);
    // Nothing outside the runs folder: dot segments, encoded dots, absolute
    // paths, a symlink out of a run folder.
    std::filesystem::create_symlink(rig.state / "daemon-state.json", rig.state / "runs" / id / "escape.json");
    for (const std::string& t : std::vector<std::string>{"/runs/../daemon-state.json", "/runs/" + id + "/../../daemon-state.json", "/runs/%2e%2e/daemon-state.json",
                                "/runs/" + id + "/%2e%2e/%2e%2e/audit.jsonl", "/runs//etc/passwd", "/runs/" + id + "/escape.json"}) {
        const auto x = http(rig.port, "GET", t);
        INFO(t);
        CHECK(x.status == 404);
        CHECK(x.body.find("\"runs\"") == std::string::npos);
    }
}

TEST_CASE("rig serve --http: limits on header and body size, connections and idle time", "[daemon][http]") {
    DashRig rig;
    rig.start_http({"--http-max-connections", "4", "--http-idle-timeout", "1"});
    CHECK(http(rig.port, "GET", "/", "", {"X-Pad: " + std::string(10000, 'x')}).status == 431);
    CHECK(post_json(rig.port, "/api/submit", json{{"pad", std::string(1100000, 'x')}}).status == 413);
    // Four idle connections fill the limit; a fifth is closed unanswered.
    std::vector<int> fds;
    for (int i = 0; i < 4; ++i) fds.push_back(connect_tcp(rig.port));
    std::this_thread::sleep_for(200ms);
    CHECK(http(rig.port, "GET", "/").closed_early);
    // The idle timeout closes them (1 s), and the dashboard serves again.
    for (const int fd : fds) {
        CHECK(read_all(fd, 5s).empty());  // EOF without a byte
        ::close(fd);
    }
    CHECK(http(rig.port, "GET", "/").status == 200);
}

TEST_CASE("rig serve --http: read-only unless configured, tokens, writes audited", "[daemon][http]") {
    DashRig rig;
    rig.start_http({}, true);
    Wire w(rig.socket);
    const auto sub = rig.submit(w, rig.hold_scenario("HTTP-ABORT", "30 s"));
    REQUIRE(sub.value("ok", false));
    const std::string id = sub["run_id"];
    rig.wait_running(id);

    // No HTTP user: read-only.
    CHECK(json::parse(http(rig.port, "GET", "/api/whoami").body)["write_enabled"] == false);
    CHECK(post_json(rig.port, "/api/runs/" + id + "/abort", json::object()).status == 403);

    std::string tok;
    REQUIRE(run_rig({"http-token", "add", "alice", "--state-dir", rig.state.string()}, rig.tmp / "tok", &tok).code == 0);
    tok.erase(tok.find_last_not_of("\n") + 1);
    CHECK(json::parse(http(rig.port, "GET", "/api/whoami").body)["write_enabled"] == true);
    CHECK(post_json(rig.port, "/api/runs/" + id + "/abort", json::object()).status == 401);
    CHECK(post_json(rig.port, "/api/runs/" + id + "/abort", json::object(), {"Authorization: Bearer " + std::string(64, 'f')}).status == 401);
    // A form post (not JSON) is refused even with a token.
    CHECK(http(rig.port, "POST", "/api/runs/" + id + "/abort", "", {"Authorization: Bearer " + tok}).status == 415);
    const auto who = json::parse(http(rig.port, "GET", "/api/whoami", "", {"Authorization: Bearer " + tok}).body);
    CHECK(who["user"] == "alice");
    const auto ab = post_json(rig.port, "/api/runs/" + id + "/abort", json::object(), {"Authorization: Bearer " + tok});
    CHECK(ab.status == 200);
    CHECK(json::parse(ab.body)["state"] == "aborting");
    CHECK(rig.wait_state(id, "done")["verdict"] == "ABORTED");
    const auto audit = slurp(rig.state / "audit.jsonl");
    CHECK(audit.find("alice (http token)") != std::string::npos);
    CHECK(audit.find("run.abort_requested") != std::string::npos);
    // Submit through HTTP: the user is the submitter and the operator.
    const auto text = slurp(rig.hold_scenario("HTTP-SUBMIT", "100 ms"));
    const auto sr = post_json(rig.port, "/api/submit", {{"scenario_text", text}, {"name", "HTTP-SUBMIT.yaml"}, {"dut", "SN-9"}},
                              {"Authorization: Bearer " + tok});
    INFO(sr.body);
    REQUIRE(sr.status == 200);
    const std::string id2 = json::parse(sr.body)["run_id"];
    const auto e2 = rig.wait_state(id2, "done");
    CHECK(e2["operator"]["name"] == "alice");
    CHECK(slurp(rig.state / "audit.jsonl").find("\"run.queued\"") != std::string::npos);
    // A bad scenario is answered with its diagnostics.
    const auto bad = post_json(rig.port, "/api/submit", {{"scenario_text", "id: X\nsteps: 3\n"}, {"name", "x.yaml"}},
                               {"Authorization: Bearer " + tok});
    CHECK(bad.status == 422);
}

TEST_CASE("rig serve --http: a reverse proxy's user header on loopback", "[daemon][http]") {
    DashRig rig;
    rig.start_http({"--http-proxy-user-header", "X-Remote-User"}, true);
    Wire w(rig.socket);
    const auto sub = rig.submit(w, rig.hold_scenario("HTTP-PROXY", "30 s"));
    const std::string id = sub["run_id"];
    rig.wait_running(id);
    CHECK(post_json(rig.port, "/api/runs/" + id + "/abort", json::object()).status == 401);
    CHECK(post_json(rig.port, "/api/runs/" + id + "/abort", json::object(), {"X-Remote-User: bob"}).status == 200);
    rig.wait_state(id, "done");
    CHECK(slurp(rig.state / "audit.jsonl").find("bob (http proxy)") != std::string::npos);
}

TEST_CASE("rig serve --http: live events stream a run to its verdict", "[daemon][http]") {
    DashRig rig;
    rig.start_http({}, true);
    const int fd = connect_tcp(rig.port);
    const std::string req = "GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(300ms);
    Wire w(rig.socket);
    const auto sub = rig.submit(w, rig.hold_scenario("HTTP-SSE", "1 s"));
    const std::string id = sub["run_id"];
    std::string got;
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (got.find("\"event\":\"verdict\"") == std::string::npos && std::chrono::steady_clock::now() < until) {
        got += read_all(fd, 200ms);
    }
    ::close(fd);
    check_contains_each(got, {"text/event-stream", "event: state", "\"event\":\"started\"", "\"event\":\"step\"",
                              "\"yaml\":\"  - hold: 1 s\"", "\"event\":\"progress\"", "\"event\":\"measurement\"",
                              "\"event\":\"verdict\"", id});
    // Decimated: never more progress events than pushes x the per-push bound.
    std::size_t progress = 0;
    for (auto at = got.find("\"event\":\"progress\""); at != std::string::npos; at = got.find("\"event\":\"progress\"", at + 1)) ++progress;
    CHECK(progress > 3);
}

TEST_CASE("rig serve --http: the live stream marks a depth provisional until its closing reference", "[daemon][http][integrity]") {
    DashRig rig;
    rig.start_http();
    const int fd = connect_tcp(rig.port);
    const std::string req = "GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(300ms);
    Wire w(rig.socket);
    const std::string id = rig.submit(w, rig.revoked_depth_scenario("SSE-REVOKED"))["run_id"];
    std::string got;
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (got.find("\"event\":\"verdict\"") == std::string::npos && std::chrono::steady_clock::now() < until) {
        got += read_all(fd, 200ms);
    }
    ::close(fd);
    const auto provisional = got.find("\"outcome\":\"PASS (provisional: awaiting closing reference)\"");
    REQUIRE(provisional != std::string::npos);
    CHECK(got.find("\"provisional\":true") != std::string::npos);
    // The final outcome comes after the provisional one, before the verdict.
    const auto final_at = got.find("\"final\":true", provisional);
    REQUIRE(final_at != std::string::npos);
    const auto verdict_at = got.find("\"event\":\"verdict\"");
    CHECK(final_at < verdict_at);
    CHECK(got.find("\"outcome\":\"ERROR\"", provisional) < verdict_at);
    CHECK(got.find(id) != std::string::npos);
}

TEST_CASE("rig serve --http: /metrics passes promtool check metrics", "[daemon][http]") {
    const char* promtool = "/usr/bin/promtool";
    if (::access(promtool, X_OK) != 0) PENRIG_SKIP("promtool is not installed (bookworm package prometheus)");
    DashRig rig;
    rig.start_http();
    rig.run_to_verdict("HTTP-PROMTOOL");
    const auto m = http(rig.port, "GET", "/metrics");
    std::ofstream(rig.tmp / "metrics.txt") << m.body;
    const auto ex = Proc({"/bin/sh", "-c", std::string(promtool) + " check metrics < " + (rig.tmp / "metrics.txt").string()},
                         rig.tmp / "promtool");
    Proc& p = const_cast<Proc&>(ex);
    const auto r = p.wait(60s);
    INFO(p.out() << p.err());
    REQUIRE(r);
    CHECK(r->code == 0);
    CHECK(p.err().empty());  // promtool prints lint problems on stderr
}

TEST_CASE("the Grafana dashboard uses only metrics the daemon exports", "[daemon][http]") {
    rig::daemon::MetricsInput m;
    m.calibration = {{"load_cell", "LC-1", 30}};
    m.last_run_by_scenario = {{"S", "PASS", 1.0}};
    const auto text = rig::daemon::render_metrics(m);
    std::set<std::string> exported;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# TYPE ", 0) == 0) exported.insert(line.substr(7, line.find(' ', 7) - 7));
    }
    const auto dash = json::parse(slurp(source_dir() / "rig" / "daemon" / "grafana" / "penrig.json"));
    const std::regex name_re(R"(penrig_[a-z_]+)");
    std::size_t used = 0;
    for (const auto& p : dash["panels"]) {
        for (const auto& t : p["targets"]) {
            const std::string expr = t["expr"];
            for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name_re); it != std::sregex_iterator(); ++it) {
                std::string n = it->str();
                for (const char* suf : {"_bucket", "_count", "_sum"}) {
                    if (n.ends_with(suf) && exported.count(n.substr(0, n.size() - std::strlen(suf)))) n = n.substr(0, n.size() - std::strlen(suf));
                }
                INFO(p["title"] << ": " << expr);
                CHECK(exported.count(n) == 1);
                ++used;
            }
        }
    }
    CHECK(used >= 10);
}
