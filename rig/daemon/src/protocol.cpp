#include "rig/daemon/protocol.hpp"

#include <algorithm>
#include <array>

namespace rig::daemon {

std::span<const std::string_view> known_ops() {
    static constexpr std::array<std::string_view, 9> ops = {"submit", "queue",  "status", "watch",   "abort",
                                                            "record", "health", "shutdown", "ping"};
    return ops;
}

nlohmann::json ok_reply(const nlohmann::json& id, nlohmann::json body) {
    nlohmann::json r = {{"id", id}, {"ok", true}};
    if (body.is_object()) r.update(body);
    return r;
}

nlohmann::json error_reply(const nlohmann::json& id, std::string_view code, std::string message,
                           std::vector<std::string> diagnostics) {
    nlohmann::json err = {{"code", std::string(code)}, {"message", std::move(message)}};
    if (!diagnostics.empty()) err["diagnostics"] = std::move(diagnostics);
    return {{"id", id}, {"ok", false}, {"error", std::move(err)}};
}

std::string closest_match(std::string_view word, std::span<const std::string_view> candidates) {
    // A request op typed half-way ("stat") is as likely as a typo.
    if (word.size() >= 2) {
        for (auto c : candidates) {
            if (c.substr(0, word.size()) == word) return std::string(c);
        }
    }
    return rig::closest_match(word, candidates).value_or("");
}

ParsedRequest parse_request(std::string_view line) {
    ParsedRequest r;
    // The wire format is JSON Lines; tolerate the CR of a CRLF client.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    try {
        r.body = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
        // parse_error, and out_of_range for a number that overflows a double
        // ("2112e1111112"): either is a bad request, never a dead daemon.
        r.error = error_reply(nullptr, errc::bad_json, std::string("the request is not valid JSON: ") + e.what());
        return r;
    }
    if (!r.body.is_object()) {
        r.error = error_reply(nullptr, errc::bad_json, "a request must be a JSON object with \"id\" and \"op\"");
        return r;
    }
    if (auto it = r.body.find("id"); it != r.body.end()) {
        if (!it->is_primitive()) {
            r.error = error_reply(nullptr, errc::bad_request, "\"id\" must be a JSON scalar (string, number, bool or null)");
            return r;
        }
        r.id = *it;
    }
    const auto op = r.body.find("op");
    if (op == r.body.end() || !op->is_string()) {
        r.error = error_reply(r.id, errc::bad_request, "the request has no \"op\" string");
        return r;
    }
    r.op = op->get<std::string>();
    return r;
}

}  // namespace rig::daemon
