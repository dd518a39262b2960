// The fixed zlib dictionary that SPDY/3 header blocks are compressed with.
#pragma once

#include "absl/strings/string_view.h"

namespace cri_dockerd::streaming::spdy {

// The 1423-byte SPDY/3 header dictionary; the view stays valid forever.
absl::string_view HeaderDictionary();

}  // namespace cri_dockerd::streaming::spdy
