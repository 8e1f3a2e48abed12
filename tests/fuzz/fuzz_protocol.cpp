// libFuzzer: the daemon's request parser (one line of the socket protocol).
// Any line gives a request or an error reply, and the reply serialises the
// way the daemon sends it (invalid UTF-8 replaced, rig/daemon/src/daemon.cpp).
#include <cstdint>

#include "fuzz_input.hpp"
#include "rig/daemon/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr auto replace = nlohmann::json::error_handler_t::replace;
    const auto req = rig::daemon::parse_request(rig::fuzz::as_text(data, size));
    if (!req.error.is_null()) {
        (void)req.error.dump(-1, ' ', false, replace);
    } else {
        (void)rig::daemon::ok_reply(req.id, {{"op", req.op}}).dump(-1, ' ', false, replace);
        (void)rig::daemon::closest_match(req.op, rig::daemon::known_ops());
    }
    return 0;
}
