// The dashboard's HTTP server (http_server.hpp): Boost.Beast, one thread.
#include "http_server.hpp"

// GCC's flow-sensitive -Wnull-dereference fires inside Asio's scheduler once
// inlined at -O2 (as for the standalone Asio in daemon_impl.hpp); silenced for
// Boost's code only, by source location.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <set>
#include <thread>

namespace rig::daemon {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

/// A write that has not finished after this long means a client that does not
/// read: it is disconnected (its events are not kept for it).
constexpr std::chrono::seconds kWriteTimeout{20};
/// A comment line on an idle event stream, so that proxies and the browser
/// see the connection alive and a vanished client is noticed.
constexpr std::chrono::seconds kKeepAlive{15};
/// Most events sent to one stream per push (the rest follow next push).
constexpr std::size_t kMaxEventsPerPush = 256;
/// Most entries listed of one run folder.
constexpr std::size_t kMaxListedFiles = 500;

// Pages: scripts and styles only from the bundle, nothing from elsewhere.
constexpr const char* kPageCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// Run files (the HTML report among them) are the rig's own output, shown as
// documents that may not script or reach anything.
constexpr const char* kFileCsp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

bool safe_segment(std::string_view s) {
    if (s.empty() || s == "." || s == ".." || s.size() > 255) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-' || c == '+';
    });
}

std::string_view content_type_of(const std::filesystem::path& p) {
    const auto e = p.extension().string();
    if (e == ".html") return "text/html; charset=utf-8";
    if (e == ".json") return "application/json";
    if (e == ".jsonl") return "application/x-ndjson";
    if (e == ".svg") return "image/svg+xml";
    if (e == ".csv") return "text/csv; charset=utf-8";
    if (e == ".xml") return "application/xml";
    if (e == ".yaml" || e == ".yml" || e == ".txt" || e == ".log" || e == ".sig") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

std::string dump_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace

HttpEndpoint parse_http_endpoint(std::string_view text) {
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            throw std::invalid_argument("expected [IPv6]:PORT, got '" + std::string(text) + "'");
        }
        host = std::string(text.substr(1, close - 1));
        port = std::string(text.substr(close + 2));
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) throw std::invalid_argument("expected HOST:PORT, got '" + std::string(text) + "'");
        host = std::string(text.substr(0, colon));
        port = std::string(text.substr(colon + 1));
    }
    if (host == "localhost") host = "127.0.0.1";
    HttpEndpoint ep;
    boost::system::error_code ec;
    const auto addr = net::ip::make_address(host, ec);
    if (ec) throw std::invalid_argument("'" + host + "' is not an IP address (name resolution is not done here)");
    ep.host = addr.to_string();
    ep.loopback = addr.is_loopback();
    if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port) > 65535) {
        throw std::invalid_argument("'" + port + "' is not a port number (0-65535)");
    }
    ep.port = static_cast<std::uint16_t>(std::stoul(port));
    return ep;
}

class Conn;

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
    State(HttpConfig c, HttpEndpoint e, DashboardFeed& f, std::filesystem::path runs, std::filesystem::path tokens_file,
          HttpHooks h)
        : cfg(std::move(c)), ep(std::move(e)), feed(f), runs_root(std::move(runs)), tokens(std::move(tokens_file)),
          hooks(std::move(h)) {}

    HttpConfig cfg;
    HttpEndpoint ep;
    DashboardFeed& feed;
    std::filesystem::path runs_root;
    HttpTokens tokens;
    HttpHooks hooks;

    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    net::steady_timer push_timer{ioc};
    std::thread thread;
    std::atomic<std::size_t> n_conn{0}, n_streams{0};
    std::atomic<std::uint16_t> bound_port{0};
    // HTTP thread only:
    std::set<std::shared_ptr<Conn>> conns;
    bool push_armed = false;
    bool stopping = false;

    void accept();
    void arm_push();
    void push();
    void close_all();
    /// The authenticated user of a request, if any.
    std::optional<HttpUser> user_of(const http::request<http::string_body>& req);
    [[nodiscard]] bool writes_configured();
};

/// One HTTP connection: requests one at a time (keep-alive), or, after a
/// request for /api/events, a live-event stream until either side leaves.
class Conn : public std::enable_shared_from_this<Conn> {
public:
    Conn(std::shared_ptr<HttpServer::State> st, tcp::socket s) : st_(std::move(st)), stream_(std::move(s)) {}
    void start() { read(); }
    void close();
    void pump(const DashboardFeed::Snapshot& snap);
    [[nodiscard]] bool streaming() const { return streaming_; }

private:
    using Request = http::request<http::string_body>;
    void read();
    void on_read(beast::error_code ec);
    void handle(Request&& req);
    void handle_post(const Request& req, std::string_view target);
    void serve_run_path(const Request& req, std::string_view rest);
    void start_stream(const Request& req);
    void write_chunk(std::string data);

    template <class Body>
    void write(http::response<Body>&& res) {
        auto sp = std::make_shared<http::response<Body>>(std::move(res));
        const bool close_after = sp->need_eof();
        stream_.expires_after(kWriteTimeout);
        http::async_write(stream_, *sp, [self = shared_from_this(), sp, close_after](beast::error_code ec, std::size_t) {
            if (ec || close_after) {
                self->close();
                return;
            }
            self->read();
        });
    }
    http::response<http::string_body> text(const Request& req, http::status s, std::string body, std::string_view type);
    http::response<http::string_body> json(const Request& req, unsigned status, const nlohmann::json& body);
    /// A reply that may come from any thread: it is posted to this connection's thread.
    HttpHooks::Reply deferred(const Request& req);

    std::shared_ptr<HttpServer::State> st_;
    beast::tcp_stream stream_;
    beast::flat_buffer buf_;
    std::optional<http::request_parser<http::string_body>> parser_;
    bool closed_ = false;
    // live-event stream
    bool streaming_ = false;
    bool writing_ = false;
    Clock::time_point write_started_{}, last_write_{};
    std::uint64_t cursor_ = 0, snap_version_ = 0;
};

// ---------------------------------------------------------------- Conn

void Conn::close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    if (streaming_) --st_->n_streams;
    --st_->n_conn;
    st_->conns.erase(shared_from_this());
}

void Conn::read() {
    if (closed_) return;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(st_->cfg.max_header_bytes));
    parser_->body_limit(st_->cfg.max_body_bytes);
    // The idle timeout: a connection without a complete request in this time is closed.
    stream_.expires_after(st_->cfg.idle_timeout);
    http::async_read(stream_, buf_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
}

void Conn::on_read(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
        const bool body = ec == http::error::body_limit;
        Request dummy;
        dummy.version(11);
        dummy.keep_alive(false);
        auto res = json(dummy, body ? 413 : 431,
                        {{"error", {{"code", "request_too_large"},
                                    {"message", body ? "the request body is larger than " + std::to_string(st_->cfg.max_body_bytes) + " bytes"
                                                     : "the request header is larger than " + std::to_string(st_->cfg.max_header_bytes) + " bytes"}}}});
        res.keep_alive(false);
        write(std::move(res));
        return;
    }
    if (ec) {
        // The client left, timed out or sent what is not HTTP: nothing to answer.
        close();
        return;
    }
    handle(parser_->release());
}

http::response<http::string_body> Conn::text(const Request& req, http::status s, std::string body, std::string_view type) {
    http::response<http::string_body> res{s, req.version()};
    res.set(http::field::server, "penrig");
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", kPageCsp);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

http::response<http::string_body> Conn::json(const Request& req, unsigned status, const nlohmann::json& body) {
    return text(req, static_cast<http::status>(status), dump_json(body), "application/json");
}

HttpHooks::Reply Conn::deferred(const Request& req) {
    auto self = shared_from_this();
    const unsigned version = req.version();
    const bool keep = req.keep_alive();
    return [self, version, keep](unsigned status, nlohmann::json body) {
        net::post(self->st_->ioc, [self, version, keep, status, body = std::move(body)] {
            if (self->closed_) return;
            Request r;
            r.version(version);
            r.keep_alive(keep);
            self->write(self->json(r, status, body));
        });
    };
}

void Conn::handle(Request&& req) {
    const std::string target(req.target());
    const auto q = target.find('?');
    const std::string_view path = std::string_view(target).substr(0, q);
    const auto err = [&](unsigned status, std::string code, std::string message) {
        write(json(req, status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}));
    };

    if (req.method() == http::verb::post) {
        handle_post(req, path);
        return;
    }
    if (req.method() != http::verb::get) {
        err(405, "method_not_allowed", "the dashboard accepts GET and POST");
        return;
    }
    if (const WebAsset* a = find_web_asset(path == "/" ? "/index.html" : path)) {
        write(text(req, http::status::ok, std::string(a->body), a->content_type));
        return;
    }
    if (path == "/metrics") {
        auto snap = st_->feed.snapshot();
        MetricsInput m = snap->metrics;
        m.http_connections = st_->n_conn.load();
        m.http_event_streams = st_->n_streams.load();
        write(text(req, http::status::ok, render_metrics(m), "text/plain; version=0.0.4; charset=utf-8"));
        return;
    }
    if (path == "/api/live") {
        write(text(req, http::status::ok, st_->feed.snapshot()->live, "application/json"));
        return;
    }
    if (path == "/api/history") {
        write(text(req, http::status::ok, st_->feed.snapshot()->history, "application/json"));
        return;
    }
    if (path == "/api/whoami") {
        const auto u = st_->user_of(req);
        write(json(req, 200, {{"write_enabled", st_->writes_configured()},
                              {"user", u ? nlohmann::json(u->name) : nlohmann::json()},
                              {"via", u ? nlohmann::json(u->via) : nlohmann::json()}}));
        return;
    }
    if (path == "/api/events") {
        start_stream(req);
        return;
    }
    if (path.starts_with("/runs/")) {
        serve_run_path(req, path.substr(6));
        return;
    }
    err(404, "not_found", "no such page: " + std::string(path.substr(0, 200)));
}

void Conn::handle_post(const Request& req, std::string_view path) {
    const auto err = [&](unsigned status, std::string code, std::string message) {
        auto res = json(req, status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}});
        if (status == 401) res.set(http::field::www_authenticate, "Bearer realm=\"penrig\"");
        write(std::move(res));
    };
    // A cross-site form cannot send JSON without the browser asking first
    // (CORS preflight, which this server never grants): no request forgery
    // through a proxy's login cookie.
    if (req[http::field::content_type].find("application/json") == std::string_view::npos) {
        err(415, "bad_request", "a write is a JSON request (Content-Type: application/json)");
        return;
    }
    if (!st_->writes_configured()) {
        err(403, "read_only", "this dashboard is read-only: no HTTP user is configured (rig http-token add USER)");
        return;
    }
    const auto user = st_->user_of(req);
    if (!user) {
        err(401, "unauthorized", "a write needs an authenticated user (Authorization: Bearer <token>)");
        return;
    }
    constexpr std::string_view runs = "/api/runs/";
    if (path.starts_with(runs) && path.ends_with("/abort")) {
        const std::string id(path.substr(runs.size(), path.size() - runs.size() - 6));
        if (!safe_segment(id)) {
            err(400, "bad_request", "not a run id");
            return;
        }
        st_->hooks.abort(*user, id, deferred(req));
        return;
    }
    if (path == "/api/submit") {
        auto body = nlohmann::json::parse(req.body(), nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            err(400, "bad_json", "the request body is not a JSON object");
            return;
        }
        st_->hooks.submit(*user, std::move(body), deferred(req));
        return;
    }
    err(404, "not_found", "no such action");
}

void Conn::serve_run_path(const Request& req, std::string_view rest) {
    const auto err = [&](unsigned status, std::string code, std::string message) {
        write(json(req, status, {{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}}));
    };
    // Each segment from a small alphabet, no "." or "..": nothing outside the
    // runs folder can be named; the resolved path is checked again below.
    std::vector<std::string> segs;
    std::size_t at = 0;
    while (at <= rest.size()) {
        const auto slash = rest.find('/', at);
        const auto seg = rest.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        if (!seg.empty() || slash == std::string_view::npos) segs.emplace_back(seg);
        if (slash == std::string_view::npos) break;
        at = slash + 1;
    }
    if (!segs.empty() && segs.back().empty()) segs.pop_back();
    if (segs.empty() || segs.size() > 8 ||
        !std::all_of(segs.begin(), segs.end(), [](const std::string& s) { return safe_segment(s); })) {
        err(404, "not_found", "not a file of a run folder");
        return;
    }
    std::error_code ec;
    const auto root = std::filesystem::canonical(st_->runs_root, ec);
    if (ec) {
        err(404, "not_found", "no runs folder");
        return;
    }
    std::filesystem::path p = root;
    for (const auto& s : segs) p /= s;
    const auto real = std::filesystem::canonical(p, ec);
    const auto rel = real.lexically_relative(root);
    if (ec || rel.empty() || rel.native().starts_with("..")) {
        err(404, "not_found", "no such file in the run folder");
        return;
    }
    if (std::filesystem::is_directory(real, ec)) {
        nlohmann::json files = nlohmann::json::array();
        for (auto it = std::filesystem::recursive_directory_iterator(real, ec);
             !ec && it != std::filesystem::recursive_directory_iterator() && files.size() < kMaxListedFiles; it.increment(ec)) {
            if (it.depth() > 2 || !it->is_regular_file(ec)) continue;
            files.push_back({{"path", it->path().lexically_relative(real).string()}, {"bytes", it->file_size(ec)}});
        }
        write(json(req, 200, {{"run_id", segs.front()}, {"files", files}}));
        return;
    }
    if (!std::filesystem::is_regular_file(real, ec)) {
        err(404, "not_found", "no such file in the run folder");
        return;
    }
    http::file_body::value_type body;
    beast::error_code bec;
    body.open(real.c_str(), beast::file_mode::scan, bec);
    if (bec) {
        err(404, "not_found", "the file cannot be read");
        return;
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    res.set(http::field::server, "penrig");
    res.set(http::field::content_type, content_type_of(real));
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", kFileCsp);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    write(std::move(res));
}

void Conn::start_stream(const Request& req) {
    if (st_->n_streams.load() >= st_->cfg.max_event_streams) {
        write(json(req, 503, {{"error", {{"code", "limit"},
                                         {"message", "at most " + std::to_string(st_->cfg.max_event_streams) +
                                                         " live-event streams at once (the dashboard's stream limit)"}}}}));
        return;
    }
    streaming_ = true;
    ++st_->n_streams;
    cursor_ = st_->feed.start_cursor();
    // No Content-Length: the body is the stream, to the end of the connection.
    http::response<http::empty_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "penrig");
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-store");
    res.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    res.keep_alive(false);
    auto sp = std::make_shared<http::response<http::empty_body>>(std::move(res));
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*sp);
    writing_ = true;
    write_started_ = Clock::now();
    stream_.expires_never();
    http::async_write_header(stream_, *sr, [self = shared_from_this(), sp, sr](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        if (ec) {
            self->close();
            return;
        }
        // The browser's reconnection delay after a drop.
        self->write_chunk("retry: 2000\n\n");
        self->pump(*self->st_->feed.snapshot());
    });
    st_->arm_push();
}

void Conn::write_chunk(std::string data) {
    if (closed_ || writing_) return;
    writing_ = true;
    write_started_ = Clock::now();
    auto sp = std::make_shared<std::string>(std::move(data));
    net::async_write(stream_.socket(), net::buffer(*sp), [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        self->last_write_ = Clock::now();
        if (ec) self->close();
    });
}

void Conn::pump(const DashboardFeed::Snapshot& snap) {
    if (closed_ || !streaming_) return;
    const auto now = Clock::now();
    if (writing_) {
        // A client that does not take its events is dropped, not queued for.
        if (now - write_started_ > kWriteTimeout) close();
        return;
    }
    std::string out;
    if (snap.version != snap_version_) {
        out += "event: state\ndata: " + snap.live + "\n\n";
        snap_version_ = snap.version;
    }
    const auto b = st_->feed.since(cursor_, kMaxEventsPerPush);
    if (b.gap) out += "event: resync\ndata: {}\n\n";
    cursor_ = b.next;
    // Decimation: every step, measurement and verdict; of the progress
    // samples, at most max_progress_per_push, evenly spread, the last always.
    std::vector<std::size_t> progress;
    for (std::size_t i = 0; i < b.events.size(); ++i) {
        if (b.events[i].progress) progress.push_back(i);
    }
    std::vector<bool> keep(b.events.size(), true);
    const std::size_t k = std::max<std::size_t>(1, st_->cfg.max_progress_per_push);
    if (progress.size() > k) {
        for (auto i : progress) keep[i] = false;
        for (std::size_t j = 0; j < k; ++j) keep[progress[progress.size() - 1 - j * progress.size() / k]] = true;
    }
    for (std::size_t i = 0; i < b.events.size(); ++i) {
        if (keep[i]) out += *b.events[i].sse;
    }
    if (out.empty() && now - last_write_ > kKeepAlive) out = ": keep-alive\n\n";
    if (!out.empty()) write_chunk(std::move(out));
}

// ---------------------------------------------------------------- State

std::optional<HttpUser> HttpServer::State::user_of(const http::request<http::string_body>& req) {
    if (!cfg.proxy_user_header.empty() && ep.loopback) {
        const auto v = req[cfg.proxy_user_header];
        if (!v.empty() && v.size() <= 128) return HttpUser{std::string(v), "http proxy"};
    }
    const auto auth = req[http::field::authorization];
    constexpr std::string_view bearer = "Bearer ";
    if (!auth.starts_with(bearer)) return std::nullopt;
    try {
        if (auto u = tokens.user_of(auth.substr(bearer.size()))) return HttpUser{*u, "http token"};
    } catch (const std::exception& e) {
        spdlog::error("http: {}", e.what());
    }
    return std::nullopt;
}

bool HttpServer::State::writes_configured() {
    if (!cfg.proxy_user_header.empty() && ep.loopback) return true;
    try {
        return tokens.any();
    } catch (const std::exception& e) {
        spdlog::error("http: {}", e.what());
        return false;
    }
}

void HttpServer::State::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
        if (self->stopping || ec == net::error::operation_aborted) return;
        if (!ec) {
            if (self->n_conn.load() >= self->cfg.max_connections) {
                // Over the limit: closed at once, the daemon spends nothing on it.
                beast::error_code ig;
                sock.close(ig);
            } else {
                ++self->n_conn;
                auto c = std::make_shared<Conn>(self, std::move(sock));
                self->conns.insert(c);
                c->start();
            }
        } else {
            spdlog::warn("http accept: {}", ec.message());
        }
        self->accept();
    });
}

void HttpServer::State::arm_push() {
    // Armed only while a stream is open: an idle dashboard costs no wake-ups.
    if (push_armed || stopping || n_streams.load() == 0) return;
    push_armed = true;
    push_timer.expires_after(cfg.push_period);
    push_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
        self->push_armed = false;
        if (ec || self->stopping) return;
        self->push();
        self->arm_push();
    });
}

void HttpServer::State::push() {
    const auto snap = feed.snapshot();
    const std::vector<std::shared_ptr<Conn>> all(conns.begin(), conns.end());
    for (const auto& c : all) {
        if (c->streaming()) c->pump(*snap);
    }
}

void HttpServer::State::close_all() {
    stopping = true;
    beast::error_code ec;
    acceptor.close(ec);
    push_timer.cancel();
    const std::vector<std::shared_ptr<Conn>> all(conns.begin(), conns.end());
    for (const auto& c : all) c->close();
}

// ---------------------------------------------------------------- HttpServer

HttpServer::HttpServer(HttpConfig cfg, HttpEndpoint ep, DashboardFeed& feed, std::filesystem::path runs_root,
                       std::filesystem::path tokens_file, HttpHooks hooks)
    : st_(std::make_shared<State>(std::move(cfg), std::move(ep), feed, std::move(runs_root), std::move(tokens_file),
                                  std::move(hooks))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    auto& s = *st_;
    const tcp::endpoint ep(net::ip::make_address(s.ep.host), s.ep.port);
    beast::error_code ec;
    s.acceptor.open(ep.protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(ep, ec);
    if (!ec) s.acceptor.listen(static_cast<int>(std::min<std::size_t>(s.cfg.max_connections, 128)), ec);
    if (ec) {
        throw std::system_error(ec.value(), std::generic_category(),
                                "cannot listen for HTTP on " + s.ep.host + ":" + std::to_string(s.ep.port));
    }
    s.bound_port = s.acceptor.local_endpoint().port();
    s.accept();
    s.thread = std::thread([st = st_] { st->ioc.run(); });
}

void HttpServer::stop() {
    if (!st_->thread.joinable()) return;
    net::post(st_->ioc, [st = st_] {
        st->close_all();
        // After the handlers the closing queued (operation_aborted), which
        // release the connections.
        net::post(st->ioc, [st] { st->ioc.stop(); });
    });
    st_->thread.join();
}

std::uint16_t HttpServer::port() const { return st_->bound_port.load(); }
std::size_t HttpServer::connections() const { return st_->n_conn.load(); }
std::size_t HttpServer::event_streams() const { return st_->n_streams.load(); }

}  // namespace rig::daemon
