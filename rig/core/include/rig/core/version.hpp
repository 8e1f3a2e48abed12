#pragma once
// Build identity, recorded in every run record.
#include <string_view>
namespace rig {
std::string_view software_version();  // e.g. "0.1.0"
std::string_view git_commit();        // full hash, "-dirty" suffix if built from a modified tree
}  // namespace rig
