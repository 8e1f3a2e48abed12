#include "rig/daemon/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace rig::daemon {

Client::Client(const std::filesystem::path& socket) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string p = socket.string();
    if (p.size() >= sizeof addr.sun_path) {
        throw std::system_error(ENAMETOOLONG, std::generic_category(), "socket path " + p);
    }
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        const int err = errno;
        ::close(fd_);
        fd_ = -1;
        throw std::system_error(err, std::generic_category(),
                                "cannot reach the rig daemon at " + p + " (is `rig serve` running? --socket PATH)");
    }
}

Client::~Client() {
    if (fd_ >= 0) ::close(fd_);
}

nlohmann::json Client::send(nlohmann::json req) {
    req["id"] = next_id_++;
    const std::string line = req.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "sending to the rig daemon");
        }
        off += static_cast<std::size_t>(n);
    }
    return req["id"];
}

std::optional<nlohmann::json> Client::read(std::optional<std::chrono::milliseconds> timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
    for (;;) {
        if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
            std::string line = buf_.substr(0, nl);
            buf_.erase(0, nl + 1);
            if (line.empty()) continue;
            return nlohmann::json::parse(line);
        }
        int wait_ms = -1;
        if (timeout) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            wait_ms = static_cast<int>(left.count());
        }
        pollfd pfd{fd_, POLLIN, 0};
        const int pr = ::poll(&pfd, 1, wait_ms);
        if (pr < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        if (pr == 0) return std::nullopt;
        char chunk[65536];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNRESET) return std::nullopt;
            throw std::system_error(errno, std::generic_category(), "receiving from the rig daemon");
        }
        if (n == 0) return std::nullopt;
        buf_.append(chunk, static_cast<std::size_t>(n));
    }
}

nlohmann::json Client::request(nlohmann::json req) {
    const auto id = send(std::move(req));
    for (;;) {
        auto msg = read();
        if (!msg) throw std::runtime_error("the rig daemon closed the connection");
        if (msg->contains("event")) continue;
        if (msg->value("id", nlohmann::json()) == id) return *msg;
    }
}

}  // namespace rig::daemon
