#pragma once
// What the daemon's I/O thread publishes for the HTTP thread: a snapshot of
// the rig (status, queue, health, history, metrics) and a bounded ring of the
// live run's events. The only state the two threads share; guarded by one
// mutex that nothing else takes (the acquisition loop never sees it), held for
// a pointer swap or a ring append/copy, never across I/O.

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/daemon/http.hpp"

namespace rig::daemon {

class DashboardFeed {
public:
    /// Events kept for streams that fall behind; a stream further behind resyncs.
    static constexpr std::size_t kRingEvents = 4096;

    struct Snapshot {
        std::uint64_t version = 0;
        std::string live;     // JSON: {"status":..., "queue":..., "health":...}
        std::string history;  // JSON: {"runs":[...]} newest first
        MetricsInput metrics;
    };
    struct Event {
        std::uint64_t seq = 0;
        bool progress = false;  // may be decimated
        std::shared_ptr<const std::string> sse;  // "event: run\ndata: {...}\n\n"
    };
    struct Batch {
        std::vector<Event> events;
        std::uint64_t next = 0;  // the cursor to ask with next time
        bool gap = false;        // events were dropped before the cursor could read them
    };

    // I/O thread
    void publish(Snapshot s);
    void publish_event(const nlohmann::json& ev);

    // HTTP thread
    [[nodiscard]] std::shared_ptr<const Snapshot> snapshot() const;
    /// Events with seq >= cursor, at most `max`.
    [[nodiscard]] Batch since(std::uint64_t cursor, std::size_t max) const;
    /// Where a new stream starts: the current run's `started` event while it
    /// is still in the ring (a page opened mid-run sees the run so far), else
    /// the next event.
    [[nodiscard]] std::uint64_t start_cursor() const;

private:
    mutable std::mutex m_;
    std::shared_ptr<const Snapshot> snap_ = std::make_shared<const Snapshot>();
    std::deque<Event> ring_;
    std::uint64_t next_seq_ = 1;
    std::uint64_t run_start_seq_ = 0;  // seq of the live run's `started` event, 0 when none
    std::uint64_t version_ = 0;
};

/// The files of the page bundle (index.html, app.js, style.css), compiled in.
struct WebAsset {
    std::string_view path;          // "/index.html"
    std::string_view content_type;  // "text/html; charset=utf-8"
    std::string_view body;
};
const WebAsset* find_web_asset(std::string_view path);

}  // namespace rig::daemon
