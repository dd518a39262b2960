#include "common/thread.h"

#include <pthread.h>

#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cri_dockerd {

absl::StatusOr<std::thread> StartThread(absl::string_view name,
                                        std::function<void()> fn) {
  // The kernel keeps 15 characters and a NUL.
  std::string short_name(name.substr(0, 15));
  try {
    return std::thread([short_name, fn = std::move(fn)] {
      pthread_setname_np(pthread_self(), short_name.c_str());
      fn();
    });
  } catch (const std::system_error& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot start a thread (", name, "): ", e.what()));
  }
}

}  // namespace cri_dockerd
