#include "rig/core/version.hpp"

#ifndef PENRIG_VERSION
#define PENRIG_VERSION "0.0.0"
#endif
#ifndef PENRIG_GIT_COMMIT
#define PENRIG_GIT_COMMIT "unknown"
#endif

namespace rig {
std::string_view software_version() { return PENRIG_VERSION; }
std::string_view git_commit() { return PENRIG_GIT_COMMIT; }
}  // namespace rig
