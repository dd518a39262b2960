#include "cri/image/pull_coordinator.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread.h"

namespace cri_dockerd::image {
namespace {

// How often a waiting caller asks whether its client went away.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(100);

bool SameAuth(const docker::RegistryAuth& a, const docker::RegistryAuth& b) {
  return a.username == b.username && a.password == b.password &&
         a.auth == b.auth && a.server_address == b.server_address &&
         a.identity_token == b.identity_token &&
         a.registry_token == b.registry_token;
}

// What became of the pull a caller left: the others' business, or gone.
std::string Fate(int others) {
  if (others == 0) return "the pull is cancelled";
  return absl::StrCat("the pull goes on for ", others, " other request",
                      others == 1 ? "" : "s");
}

}  // namespace

PullCoordinator::PullCoordinator() : state_(std::make_shared<State>()) {}

PullCoordinator::~PullCoordinator() {
  absl::MutexLock lock(&state_->mu);
  for (const auto& [reference, flights] : state_->flights) {
    for (const auto& flight : flights) flight->abandoned = true;
  }
  state_->flights.clear();
  state_->mu.Await(absl::Condition(
      +[](int* threads) { return *threads == 0; }, &state_->threads));
}

void PullCoordinator::State::Remove(const Flight* flight) {
  auto it = flights.find(flight->reference);
  if (it == flights.end()) return;
  std::erase_if(it->second, [flight](const std::shared_ptr<Flight>& f) {
    return f.get() == flight;
  });
  if (it->second.empty()) flights.erase(it);
}

void PullCoordinator::Run(std::shared_ptr<State> state,
                          std::shared_ptr<Flight> flight, PullFn pull) {
  Flight* f = flight.get();
  absl::Status result = pull([f] { return f->abandoned.load(); });
  // The pull's captures go before the coordinator may be destroyed.
  pull = nullptr;
  absl::MutexLock lock(&state->mu);
  flight->result = std::move(result);
  flight->done = true;
  state->Remove(f);
  --state->threads;
}

int PullCoordinator::Leave(Flight* flight) {
  const int others = --flight->callers;
  if (others == 0 && !flight->done) {
    // Nobody wants it any more: stop it, and let a later caller start
    // afresh rather than join a pull that is being cancelled.
    flight->abandoned = true;
    state_->Remove(flight);
  }
  return others;
}

absl::Status PullCoordinator::Pull(const std::string& reference,
                                   const docker::RegistryAuth& auth,
                                   absl::Time deadline,
                                   const std::function<bool()>& cancelled,
                                   PullFn pull) {
  std::shared_ptr<Flight> flight;
  {
    absl::MutexLock lock(&state_->mu);
    std::vector<std::shared_ptr<Flight>>& same_ref = state_->flights[reference];
    for (const auto& f : same_ref) {
      if (SameAuth(f->auth, auth)) flight = f;
    }
    if (flight == nullptr) {
      flight = std::make_shared<Flight>(reference, auth);
      absl::StatusOr<std::thread> puller = StartThread(
          "image-pull",
          [state = state_, flight, pull = std::move(pull)]() mutable {
            Run(std::move(state), std::move(flight), std::move(pull));
          });
      if (!puller.ok()) return puller.status();  // this caller's pull only
      puller->detach();
      same_ref.push_back(flight);
      ++state_->threads;
    }
    ++flight->callers;
  }
  for (;;) {
    {
      absl::MutexLock lock(&state_->mu);
      state_->mu.AwaitWithDeadline(
          absl::Condition(&flight->done),
          std::min(deadline, absl::Now() + kCancelPoll));
      if (flight->done) {
        --flight->callers;
        return flight->result;
      }
    }
    // Asked outside the lock: it is the client's code. Asked before the
    // deadline is checked, so a caller at its deadline is asked once.
    if (cancelled && cancelled()) {
      absl::MutexLock lock(&state_->mu);
      if (flight->done) continue;
      return absl::CancelledError(absl::StrCat("pull of ", reference,
                                               " cancelled by the client; ",
                                               Fate(Leave(flight.get()))));
    }
    if (absl::Now() >= deadline) {
      absl::MutexLock lock(&state_->mu);
      if (flight->done) continue;
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed while pulling ", reference, "; ",
                       Fate(Leave(flight.get()))));
    }
  }
}

int PullCoordinator::InFlight() const {
  absl::MutexLock lock(&state_->mu);
  int n = 0;
  for (const auto& [reference, flights] : state_->flights) n += flights.size();
  return n;
}

}  // namespace cri_dockerd::image
