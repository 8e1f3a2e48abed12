#pragma once
// The dashboard's HTTP server: Boost.Beast on an io_context of its own, run by
// one thread of its own. It serves the compiled-in pages, /metrics, the JSON
// of the feed's snapshot, the live events (Server-Sent Events) and the run
// folders (read-only, path-checked); writes (abort, submit) are handed to the
// daemon's I/O thread through `HttpHooks`, with the authenticated user.
//
// Thread-safety: start()/stop() from the owner's thread; a Reply may be called
// from any thread (it posts to the HTTP thread). The server never blocks the
// daemon's I/O thread and takes no lock but the feed's.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dashboard_feed.hpp"
#include "rig/daemon/http.hpp"

namespace rig::daemon {

/// Who asks for a write, as the HTTP layer authenticated them.
struct HttpUser {
    std::string name;  // "alice"
    std::string via;   // "http token" or "http proxy"
    [[nodiscard]] std::string actor() const { return name + " (" + via + ")"; }
};

struct HttpHooks {
    /// HTTP status and JSON body; may be called from any thread, once.
    using Reply = std::function<void(unsigned status, nlohmann::json body)>;
    std::function<void(const HttpUser&, const std::string& run_id, Reply)> abort;
    std::function<void(const HttpUser&, nlohmann::json submission, Reply)> submit;
};

class HttpServer {
public:
    HttpServer(HttpConfig cfg, HttpEndpoint ep, DashboardFeed& feed, std::filesystem::path runs_root,
               std::filesystem::path tokens_file, HttpHooks hooks);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds and listens (throws std::system_error naming the address), then
    /// starts the HTTP thread.
    void start();
    /// Closes the listener and every connection; joins the thread.
    void stop();
    /// The port actually bound (useful with port 0).
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::size_t connections() const;
    [[nodiscard]] std::size_t event_streams() const;

    struct State;

private:
    std::shared_ptr<State> st_;
};

}  // namespace rig::daemon
