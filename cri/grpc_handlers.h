// Part of the gRPC adapter (grpc_services.cc only): the helpers every
// handler goes through. A call is queued on a work lane; there it is
// checked (cancelled, or its deadline passed while it waited), run,
// timed, logged and reported to the RpcObserver, and its reactor
// finished.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "cri/grpc_services.h"
#include "cri/grpc_subject.h"

namespace cri_dockerd::grpc_adapter {

template <typename Msg>
using Send = std::function<bool(const Msg&)>;

// A server-streaming call whose messages come from a blocking domain
// method on a lane thread: Send() starts one write and waits for it, so
// the method's message stays valid and the client's pace holds it back.
// Deletes itself when gRPC is done with the call.
template <typename Msg>
class LaneWriter final : public grpc::ServerWriteReactor<Msg> {
 public:
  // False once the client went away (the method should stop).
  bool Send(const Msg& msg) {
    {
      absl::MutexLock lock(&mu_);
      if (broken_) return false;
      writing_ = true;
    }
    this->StartWrite(&msg);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &LaneWriter::WriteDone));
    return !broken_;
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }
  void OnDone() override { delete this; }

 private:
  bool WriteDone() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writing_;
  }
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
};

// The helpers every handler goes through: each queues its call on a lane,
// times it and tells the RpcObserver, when there is one. A base of both
// service classes, so that handlers name them unqualified.
class Handlers {
 protected:
  Handlers(CallLanes* lanes, RpcObserver* observer)
      : lanes_(lanes), observer_(observer) {}

  grpc::ServerUnaryReactor* NeedsCriu(grpc::CallbackServerContext* context,
                                      const char* method) const {
    Report(method, absl::StatusCode::kUnimplemented, absl::ZeroDuration());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(
        grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat("RuntimeService/", method,
                     " is not supported: Docker Engine can only checkpoint "
                     "containers with its experimental CRIU integration, "
                     "which this shim does not drive")));
    return reactor;
  }

  // Queues one domain call on `lane`. `poll` marks the calls kubelet makes
  // every few seconds (logged at debug level only). The log lines name
  // what `req` is about (RequestSubject). `context`, `req` and `resp` stay
  // valid until the reactor finishes.
  template <typename Resp, typename Fn>
  grpc::ServerUnaryReactor* Unary(CallLane lane, const char* method, bool poll,
                                  grpc::CallbackServerContext* context,
                                  const google::protobuf::Message& req,
                                  Resp* resp, Fn fn) const {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const absl::Time queued = absl::Now();
    const absl::Status submitted = lanes_->Get(lane).Submit(
        [this, lane, method, poll, context, &req, resp, reactor, queued, fn] {
          reactor->Finish(
              RunUnary(lane, method, poll, *context, req, resp, queued, fn));
        });
    if (!submitted.ok()) reactor->Finish(Refuse(method, req, submitted));
    return reactor;
  }

  // Queues one server-streaming domain call on `lane`.
  template <typename Msg, typename Fn>
  grpc::ServerWriteReactor<Msg>* Stream(CallLane lane, const char* method,
                                        grpc::CallbackServerContext* context,
                                        const google::protobuf::Message& req,
                                        Fn fn) const {
    auto* writer = new LaneWriter<Msg>();
    const absl::Time queued = absl::Now();
    const absl::Status submitted = lanes_->Get(lane).Submit(
        [this, lane, method, context, &req, writer, queued, fn] {
          // Finish is the last touch: gRPC may delete the writer after it.
          writer->Finish(ToGrpcStatus(RunStream(
              lane, method, *context, req, queued, [&](const CallContext& c) {
                return fn(c,
                          [writer](const Msg& m) { return writer->Send(m); });
              })));
        });
    if (!submitted.ok()) writer->Finish(Refuse(method, req, submitted));
    return writer;
  }

 private:
  template <typename Resp, typename Fn>
  grpc::Status RunUnary(CallLane lane, const char* method, bool poll,
                        const grpc::CallbackServerContext& context,
                        const google::protobuf::Message& req, Resp* resp,
                        absl::Time queued, const Fn& fn) const {
    const absl::Time start = absl::Now();
    const absl::Status why_not = NotStartable(lane, context, queued);
    absl::StatusOr<Resp> result = why_not.ok() ? fn(ContextFromGrpc(context))
                                               : absl::StatusOr<Resp>(why_not);
    const absl::Duration took = absl::Now() - queued;
    Report(method, result.status().code(), took);
    if (!result.ok()) {
      LOG(WARNING) << Named(method, req) << " failed after " << took << ": "
                   << result.status();
      return ToGrpcStatus(result.status());
    }
    if (poll) {
      LOG(DEBUG) << Named(method, req) << " ok in " << took
                 << Queued(queued, start);
    } else {
      LOG(INFO) << Named(method, req) << " ok in " << took
                << Queued(queued, start);
    }
    *resp = std::move(result).value();
    return grpc::Status::OK;
  }

  template <typename Fn>
  absl::Status RunStream(CallLane lane, const char* method,
                         const grpc::CallbackServerContext& context,
                         const google::protobuf::Message& req,
                         absl::Time queued, const Fn& fn) const {
    absl::Status s = NotStartable(lane, context, queued);
    if (s.ok()) s = fn(ContextFromGrpc(context));
    Report(method, s.code(), absl::Now() - queued);
    if (!s.ok()) LOG(WARNING) << Named(method, req) << " failed: " << s;
    return s;
  }

  // Why a call that waited in its lane's queue should not start.
  absl::Status NotStartable(CallLane lane,
                            const grpc::CallbackServerContext& context,
                            absl::Time queued) const {
    // Deadline first: gRPC also marks a call whose deadline passed as
    // cancelled.
    const auto deadline = context.deadline();
    if (deadline != std::chrono::system_clock::time_point::max() &&
        absl::FromChrono(deadline) <= absl::Now()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the deadline passed while the call waited ",
          absl::FormatDuration(absl::Now() - queued), " for a thread of the ",
          lanes_->Get(lane).name(), " lane"));
    }
    if (context.IsCancelled()) {
      return absl::CancelledError("the client cancelled the call");
    }
    return absl::OkStatus();
  }

  grpc::Status Refuse(const char* method, const google::protobuf::Message& req,
                      const absl::Status& why) const {
    Report(method, why.code(), absl::ZeroDuration());
    LOG(WARNING) << Named(method, req) << " refused: " << why;
    return ToGrpcStatus(why);
  }

  // " (queued 1.2s)" when the call waited noticeably for a thread.
  static std::string Queued(absl::Time queued, absl::Time start) {
    if (start - queued < absl::Milliseconds(100)) return "";
    return absl::StrCat(" (queued ", absl::FormatDuration(start - queued), ")");
  }

  // "StopContainer (container 3f2a...)", or the bare method name.
  static std::string Named(const char* method,
                           const google::protobuf::Message& req) {
    std::string subject = RequestSubject(req);
    if (subject.empty()) return method;
    return absl::StrCat(method, " (", subject, ")");
  }

  void Report(const char* method, absl::StatusCode code,
              absl::Duration took) const {
    if (observer_ != nullptr) observer_->OnRpcDone(method, code, took);
  }

  CallLanes* const lanes_;
  RpcObserver* const observer_;  // may be null
};

}  // namespace cri_dockerd::grpc_adapter
