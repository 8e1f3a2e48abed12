#pragma once
// The daemon's wire protocol: newline-delimited JSON over a Unix stream
// socket (rig/daemon/README.md has an example of every message).
//
// One request per line, at most kMaxRequestBytes before the newline:
//   {"id": <any JSON scalar>, "op": "<operation>", ...}
// One reply per request, carrying the same id:
//   {"id": <id>, "ok": true, ...}
//   {"id": <id>, "ok": false, "error": {"code": "...", "message": "...", "diagnostics": [...]}}
// A `watch` is followed by events carrying the watch's id:
//   {"id": <id>, "event": "started"|"step"|"measurement"|"progress"|"verdict", "run_id": ..., ...}
//
// Pure functions; thread-safe.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/core/units.hpp"

namespace rig::daemon {

/// Longest request line accepted, newline excluded (2 MiB: a submission carries
/// a scenario and its spec, each at most rig::kMaxInputFileBytes, JSON-escaped).
/// A longer line is answered with `request_too_large` and the connection is closed.
inline constexpr std::size_t kMaxRequestBytes = 2 * 1024 * 1024;
/// Most clients connected at once; more wait in the listen backlog.
inline constexpr std::size_t kMaxClients = 64;
/// Most files a submission may include, and most tags.
inline constexpr std::size_t kMaxIncludes = 8;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxTagChars = 128;

/// Error codes (the "code" member of an error reply).
namespace errc {
inline constexpr std::string_view bad_json = "bad_json";                  // the line is not a JSON object
inline constexpr std::string_view bad_request = "bad_request";            // a member is missing or of the wrong type
inline constexpr std::string_view unknown_op = "unknown_op";
inline constexpr std::string_view request_too_large = "request_too_large";
inline constexpr std::string_view invalid_scenario = "invalid_scenario";  // diagnostics: file:line:col: error: ...
inline constexpr std::string_view calibration_expired = "calibration_expired";
inline constexpr std::string_view unknown_run = "unknown_run";
inline constexpr std::string_view not_active = "not_active";              // abort of a finished run
inline constexpr std::string_view no_record = "no_record";                // the run has no record (never started)
inline constexpr std::string_view shutting_down = "shutting_down";
inline constexpr std::string_view limit = "limit";                        // a limit was reached; the message names it
inline constexpr std::string_view forbidden = "forbidden";                // the peer may not do this
inline constexpr std::string_view not_saved = "not_saved";                // the state could not be saved: nothing changed
inline constexpr std::string_view internal = "internal";
}  // namespace errc

/// The operations the daemon knows, in the order the README lists them.
std::span<const std::string_view> known_ops();

nlohmann::json ok_reply(const nlohmann::json& id, nlohmann::json body = nlohmann::json::object());
nlohmann::json error_reply(const nlohmann::json& id, std::string_view code, std::string message,
                           std::vector<std::string> diagnostics = {});

/// Levenshtein distance (bytes): the one in rig/core/units.hpp.
using rig::edit_distance;
/// The candidate closest to `word` if it is plausibly a typo of it (a prefix,
/// or rig::closest_match's small edit distance), else "".
std::string closest_match(std::string_view word, std::span<const std::string_view> candidates);

/// Parses one request line. On failure returns an error reply (bad_json or
/// bad_request; the id is echoed when it could be read, else null) in `error`.
struct ParsedRequest {
    nlohmann::json id;         // null when the request had none
    std::string op;
    nlohmann::json body;       // the whole request object
    nlohmann::json error;      // set (non-null) when the line is not a valid request
};
ParsedRequest parse_request(std::string_view line);

}  // namespace rig::daemon
