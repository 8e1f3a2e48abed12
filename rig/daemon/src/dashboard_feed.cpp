// The hand-off between the daemon's I/O thread and its HTTP thread.
#include "dashboard_feed.hpp"

namespace rig::daemon {

void DashboardFeed::publish(Snapshot s) {
    auto p = std::make_shared<Snapshot>(std::move(s));
    std::lock_guard lk(m_);
    p->version = ++version_;
    snap_ = std::move(p);
}

void DashboardFeed::publish_event(const nlohmann::json& ev) {
    // Formatted once here, sent as is to every stream.
    auto text = std::make_shared<const std::string>(
        "event: run\ndata: " + ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n");
    const std::string kind = ev.value("event", "");
    const bool progress = kind == "progress";
    std::lock_guard lk(m_);
    if (kind == "started") run_start_seq_ = next_seq_;
    if (kind == "verdict") run_start_seq_ = 0;
    ring_.push_back({next_seq_++, progress, std::move(text)});
    while (ring_.size() > kRingEvents) ring_.pop_front();
}

std::shared_ptr<const DashboardFeed::Snapshot> DashboardFeed::snapshot() const {
    std::lock_guard lk(m_);
    return snap_;
}

DashboardFeed::Batch DashboardFeed::since(std::uint64_t cursor, std::size_t max) const {
    Batch b;
    std::lock_guard lk(m_);
    b.next = cursor;
    if (ring_.empty()) return b;
    const std::uint64_t first = ring_.front().seq;
    if (cursor < first) {
        b.gap = true;
        cursor = first;
    }
    for (std::uint64_t i = cursor - first; i < ring_.size() && b.events.size() < max; ++i) b.events.push_back(ring_[i]);
    b.next = b.events.empty() ? cursor : b.events.back().seq + 1;
    return b;
}

std::uint64_t DashboardFeed::start_cursor() const {
    std::lock_guard lk(m_);
    if (run_start_seq_ != 0 && !ring_.empty() && run_start_seq_ >= ring_.front().seq) return run_start_seq_;
    return next_seq_;
}

}  // namespace rig::daemon
