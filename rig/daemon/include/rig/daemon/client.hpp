#pragma once
// A small blocking client of the daemon's socket (the `rig submit/status/...`
// commands use it). One connection; requests get increasing integer ids.
//
// Thread-safety: none (one owner). Lifecycle: the connection closes with the
// object; closing it never affects a run.

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace rig::daemon {

class Client {
public:
    /// Connects; throws std::system_error naming the socket when no daemon listens there.
    explicit Client(const std::filesystem::path& socket);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Sends `req` with a fresh id and returns its reply (events of earlier
    /// watches that arrive first are skipped). Throws std::runtime_error when
    /// the daemon closes the connection first.
    nlohmann::json request(nlohmann::json req);
    /// Sends `req` with a fresh id, which it returns; the caller reads the reply.
    nlohmann::json send(nlohmann::json req);
    /// Next message (reply or event); nullopt when the daemon closed the
    /// connection or `timeout` passed (no timeout: wait).
    std::optional<nlohmann::json> read(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

private:
    int fd_ = -1;
    std::string buf_;
    long next_id_ = 1;
};

}  // namespace rig::daemon
