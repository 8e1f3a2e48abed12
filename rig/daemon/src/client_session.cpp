// One connected client: reads request lines (bounded), queues replies and
// events (bounded), knows who the peer is.
#include <pwd.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "daemon_impl.hpp"

namespace rig::daemon {

std::string Peer::actor() const {
    if (!known) return "unknown peer";
    if (!via.empty()) return login + " (" + via + ")";
    return login + " (uid " + std::to_string(uid) + ")";
}

std::string Peer::source() const {
    if (!known) return "unknown peer";
    if (!via.empty()) return via;
    return "uid " + std::to_string(uid) + " pid " + std::to_string(pid);
}

Caller Daemon::Impl::Session::caller() {
    auto self = shared_from_this();
    return {peer, [self](const nlohmann::json& j) { self->send(j); }, [self] { return self->closed(); }};
}

Daemon::Impl::Session::Session(Impl& d, stream::socket sock) : d_(d), sock_(std::move(sock)) {
    ucred cr{};
    socklen_t len = sizeof cr;
    if (::getsockopt(sock_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) return;
    peer.known = true;
    peer.uid = cr.uid;
    peer.gid = cr.gid;
    peer.pid = cr.pid;
    passwd pw{};
    passwd* res = nullptr;
    char buf[1024];
    peer.login = (::getpwuid_r(cr.uid, &pw, buf, sizeof buf, &res) == 0 && res != nullptr)
                     ? std::string(pw.pw_name)
                     : "uid" + std::to_string(cr.uid);
}

void Daemon::Impl::Session::send(const nlohmann::json& j) {
    if (closed_) return;
    std::string s = dump(j) + "\n";
    out_bytes_ += s.size();
    if (out_bytes_ > kMaxPendingOutput) {
        spdlog::warn("client {} is not reading its messages: disconnected", peer.source());
        close();
        return;
    }
    out_.push_back(std::move(s));
    if (!writing_) write_next();
}

void Daemon::Impl::Session::close_when_flushed() {
    close_after_write_ = true;
    if (!writing_ && out_.empty()) close();
}

void Daemon::Impl::Session::close() {
    if (closed_) return;
    closed_ = true;
    watches.clear();
    asio::error_code ec;
    sock_.shutdown(stream::socket::shutdown_both, ec);
    sock_.close(ec);
    d_.sessions.erase(shared_from_this());
    // The last client has its messages: a stopping daemon need not wait longer.
    if (d_.finished && d_.sessions.empty()) d_.stop_timer.cancel();
}

void Daemon::Impl::Session::read() {
    auto self = shared_from_this();
    asio::async_read_until(sock_, in_, '\n', [this, self](const asio::error_code& ec, std::size_t n) {
        if (closed_) return;
        if (ec == asio::error::not_found) {
            // The buffer is full and holds no newline: the line is too long.
            send(error_reply(nullptr, errc::request_too_large,
                             "a request line may hold at most " + std::to_string(kMaxRequestBytes) +
                                 " bytes (the request size limit); this connection is closed"));
            close_when_flushed();
            return;
        }
        if (ec) {
            // EOF or a broken connection: the client left. Its runs go on.
            close();
            return;
        }
        const auto data = in_.data();
        std::string line(asio::buffers_begin(data), asio::buffers_begin(data) + static_cast<std::ptrdiff_t>(n - 1));
        in_.consume(n);
        if (line.find_first_not_of(" \t\r") != std::string::npos) d_.handle_line(self, line);
        if (!closed_ && !close_after_write_) read();
    });
}

void Daemon::Impl::Session::write_next() {
    writing_ = true;
    auto self = shared_from_this();
    asio::async_write(sock_, asio::buffer(out_.front()), [this, self](const asio::error_code& ec, std::size_t) {
        writing_ = false;
        if (closed_) return;
        if (ec) {
            close();
            return;
        }
        out_bytes_ -= out_.front().size();
        out_.pop_front();
        if (!out_.empty()) {
            write_next();
        } else if (close_after_write_) {
            close();
        }
    });
}

}  // namespace rig::daemon
