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

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string closest_match(std::string_view word, std::span<const std::string_view> candidates) {
    std::string best;
    std::size_t best_d = 3;  // more than 2 edits away is not a typo
    for (auto c : candidates) {
        const bool prefix = word.size() >= 2 && c.substr(0, word.size()) == word;
        const std::size_t d = prefix ? 1 : edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = std::string(c);
        }
    }
    return best;
}

ParsedRequest parse_request(std::string_view line) {
    ParsedRequest r;
    // The wire format is JSON Lines; tolerate the CR of a CRLF client.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    try {
        r.body = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
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
