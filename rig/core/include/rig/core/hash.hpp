#pragma once
// SHA-256 (libsodium) for file texts and records. Hex, lower case.
#include <string>
#include <string_view>

namespace rig {
std::string sha256_hex(std::string_view data);
}
