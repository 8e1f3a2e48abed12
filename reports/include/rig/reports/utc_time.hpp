#pragma once
// UTC formatting lives in rig::core (rig/core/utc_time.hpp); this header keeps
// the writers' includes working.
#include "rig/core/utc_time.hpp"
