// Per-user HTTP access tokens: made here, kept hashed in the state folder.
#include <sodium.h>
#include <sys/stat.h>

#include <stdexcept>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/daemon/http.hpp"

namespace rig::daemon {
namespace {

constexpr const char* kFormat = "penrig-http-tokens/1";

bool valid_user(const std::string& u) {
    if (u.empty() || u.size() > 64) return false;
    for (const char c : u) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '@' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

nlohmann::json HttpTokens::load() const {
    std::error_code ec;
    if (!std::filesystem::exists(file_, ec)) return {{"format", kFormat}, {"users", nlohmann::json::object()}};
    auto j = nlohmann::json::parse(read_file(file_), nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat || !j.contains("users") ||
        !j["users"].is_object()) {
        throw std::runtime_error(file_.string() + " is not a penrig HTTP token file");
    }
    return j;
}

void HttpTokens::save(const nlohmann::json& j) const {
    write_file_atomic(file_, j.dump(2) + "\n");
    ::chmod(file_.c_str(), 0600);
}

std::string HttpTokens::add(const std::string& user) {
    if (!valid_user(user)) throw std::invalid_argument("a user name is 1 to 64 of the characters A-Z a-z 0-9 . _ @ -");
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    char hex[sizeof raw * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    const std::string token(hex);
    auto j = load();
    j["users"][user] = {{"sha256", sha256_hex(token)}, {"created_utc", utc_now()}};
    save(j);
    return token;
}

bool HttpTokens::remove(const std::string& user) {
    auto j = load();
    if (!j["users"].contains(user)) return false;
    j["users"].erase(user);
    save(j);
    return true;
}

std::vector<std::string> HttpTokens::users() const {
    std::vector<std::string> out;
    const auto j = load();  // kept: items() of a temporary would dangle
    for (const auto& [k, v] : j["users"].items()) out.push_back(k);
    return out;
}

std::optional<std::string> HttpTokens::user_of(std::string_view token) const {
    if (token.size() != 64) return std::nullopt;
    const std::string h = sha256_hex(token);
    std::optional<std::string> found;
    // Every entry is compared, in constant time each: the answer's timing does
    // not tell which user (if any) a hash prefix belongs to.
    const auto j = load();  // kept: items() of a temporary would dangle
    for (const auto& [user, v] : j["users"].items()) {
        const std::string want = v.value("sha256", "");
        if (want.size() == h.size() && sodium_memcmp(want.data(), h.data(), h.size()) == 0) found = user;
    }
    return found;
}

}  // namespace rig::daemon
