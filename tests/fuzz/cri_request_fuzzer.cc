// Fuzzes every CRI runtime.v1 RPC through the service layer: each input
// is a short sequence of calls (method chosen by the input, request built
// by reflection from the input, see proto_mutator.h) against a fresh node
// on the fake docker client (cri_world.h), so a call can act on what an
// earlier one made. Besides crashes, sanitizer reports and hangs
// (libFuzzer's -timeout), it fails when a call answers with a status code
// the CRI verbs never document (UNKNOWN, INTERNAL, DATA_LOSS, ...), with
// an error that has no message, or with a reply that does not serialize.
//
// Input layout: byte 0 says whether the docker event watch runs; then per
// call: the method, whether the request starts from a valid one, the
// request's fields, the call's context (deadline passed, client gone, or
// a short deadline) and what streams need.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "google/protobuf/message.h"
#include "tests/fuzz/cri_rpcs.h"
#include "tests/fuzz/cri_world.h"
#include "tests/fuzz/proto_mutator.h"

namespace cri_dockerd::fuzz {
namespace {

constexpr int kMaxCalls = 8;

struct Setup {
  std::string base_dir;
  // CRID_FUZZ_VERBOSE=1: one line per call (method, status) on stderr.
  bool verbose = false;
  std::vector<CriMethod> methods;
};

std::string* base_dir_to_remove = nullptr;

void RemoveBaseDir() {
  std::error_code ec;
  if (base_dir_to_remove != nullptr) {
    std::filesystem::remove_all(*base_dir_to_remove, ec);
  }
}

const Setup& GetSetup() {
  static const Setup* setup = [] {
    // The verbs log every failure; thousands of inputs a second would
    // bury libFuzzer's own output.
    SetMinLogSeverity(LogSeverity::kError);
    auto* s = new Setup;
    // tmpfs where there is one: the checkpoint store fsyncs.
    const char* parent = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    std::string tmpl = std::string(parent) + "/crid-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    s->base_dir = tmpl;
    base_dir_to_remove = new std::string(tmpl);
    std::atexit(RemoveBaseDir);
    s->methods = CriMethods();
    const char* verbose = std::getenv("CRID_FUZZ_VERBOSE");
    s->verbose = verbose != nullptr && *verbose == '1';
    return s;
  }();
  return *setup;
}

bool Documented(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kUnauthenticated:  // PullImage's registry
      return true;
    default:
      return false;
  }
}

[[noreturn]] void Fail(const char* what,
                       const google::protobuf::MethodDescriptor& m,
                       const google::protobuf::Message& req,
                       const absl::Status& status) {
  std::string text = req.ShortDebugString();
  if (text.size() > 4000) text.resize(4000);
  std::fprintf(stderr, "%s: %s\n  status: %s\n  request: %s\n",
               m.full_name().c_str(), what, status.ToString().c_str(),
               text.c_str());
  std::abort();
}

// The context of one call: most get a short deadline; some arrive with
// the deadline already passed or with the client already gone.
CallContext ContextFor(uint8_t choice) {
  switch (choice % 8) {
    case 0:
      return CallContext::WithDeadline(absl::Now() - absl::Seconds(1));
    case 1: {
      CallContext ctx = CallContext::WithTimeout(absl::Seconds(2));
      ctx.cancelled = [] { return true; };
      return ctx;
    }
    default:
      return CallContext::WithTimeout(absl::Seconds(2));
  }
}

}  // namespace
}  // namespace cri_dockerd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cri_dockerd;
  using namespace cri_dockerd::fuzz;
  const Setup& setup = GetSetup();
  FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const absl::Time created = absl::Now();
  absl::StatusOr<std::unique_ptr<CriWorld>> world =
      CriWorld::Create(setup.base_dir, (flags & 1) != 0);
  if (setup.verbose) {
    std::fprintf(stderr, "setup (%s)\n",
                 absl::FormatDuration(absl::Now() - created).c_str());
  }
  if (!world.ok()) {
    std::fprintf(stderr, "cannot set the node up: %s\n",
                 world.status().ToString().c_str());
    std::abort();
  }
  CriWorld& w = **world;
  absl::Time start = absl::Now();
  GeneratorOptions options;
  options.string_hints = [&w](const google::protobuf::FieldDescriptor& f) {
    return w.Hints(f);
  };
  for (int call = 0; call < kMaxCalls && !in.exhausted(); ++call) {
    const CriMethod& method = setup.methods[in.Below(setup.methods.size())];
    std::unique_ptr<google::protobuf::Message> req(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(method.descriptor->input_type())
            ->New());
    // Half the requests that need much to be valid start valid and get a
    // few changes; the rest are built from nothing.
    const uint8_t shape = in.Byte();
    GeneratorOptions call_options = options;
    if ((shape & 1) != 0 && w.Template(req.get(), shape >> 1)) {
      call_options.set_one_in = 16;
    }
    ProtoGenerator(&in, call_options).Fill(req.get());
    w.Confine(req.get());
    const CallContext ctx = ContextFor(in.Byte());
    RpcOutcome out = method.call(w, ctx, *req, in);
    if (setup.verbose) {
      std::fprintf(stderr, "%s (%s): %s\n", method.descriptor->name().c_str(),
                   absl::FormatDuration(absl::Now() - start).c_str(),
                   out.status.ToString().substr(0, 200).c_str());
      start = absl::Now();
    }
    if (!Documented(out.status.code())) {
      Fail("undocumented status code", *method.descriptor, *req, out.status);
    }
    if (!out.status.ok() && out.status.message().empty()) {
      Fail("error without a message", *method.descriptor, *req, out.status);
    }
    if (out.response != nullptr) {
      std::string bytes;
      if (!out.response->SerializeToString(&bytes)) {
        Fail("reply does not serialize", *method.descriptor, *req, out.status);
      }
      w.Learn(*out.response);
    }
  }
  world->reset();
  if (setup.verbose) {
    std::fprintf(stderr, "teardown (%s)\n",
                 absl::FormatDuration(absl::Now() - start).c_str());
  }
  return 0;
}
