#include "cri/network/cni_capabilities.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/network/cni_json.h"

namespace cri_dockerd::network {
namespace {

__extension__ using Uint128 = unsigned __int128;

constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();
// kubelet's bounds for bandwidth annotations, in bits per second.
constexpr int64_t kMinBandwidth = 1000;              // 1k
constexpr int64_t kMaxBandwidth = 1000000000000000;  // 1P
// kubelet's burst: "in practice limiting to 2Gbit is ... no limit".
constexpr int64_t kBandwidthBurst = std::numeric_limits<int32_t>::max();

constexpr char kIngressAnnotation[] = "kubernetes.io/ingress-bandwidth";
constexpr char kEgressAnnotation[] = "kubernetes.io/egress-bandwidth";

// Parses the suffix of a quantity into a power of ten and a power of two.
bool ParseSuffix(absl::string_view s, int* exp10, int* exp2) {
  *exp10 = 0;
  *exp2 = 0;
  if (s.empty()) return true;
  if (s.size() == 2 && s[1] == 'i') {
    const absl::string_view binary = "KMGTPE";
    const size_t i = binary.find(s[0]);
    if (i == absl::string_view::npos) return false;
    *exp2 = 10 * static_cast<int>(i + 1);
    return true;
  }
  if (s.size() == 1) {
    const absl::string_view decimal = "kMGTPE";
    const size_t i = decimal.find(s[0]);
    if (i != absl::string_view::npos) {
      *exp10 = 3 * static_cast<int>(i + 1);
      return true;
    }
    if (s[0] == 'm') *exp10 = -3;
    if (s[0] == 'u') *exp10 = -6;
    if (s[0] == 'n') *exp10 = -9;
    return *exp10 != 0;
  }
  if (s[0] != 'e' && s[0] != 'E') return false;
  s.remove_prefix(1);
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || s.size() > 4) return false;
  for (const char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
    *exp10 = *exp10 * 10 + (c - '0');
  }
  if (negative) *exp10 = -*exp10;
  return true;
}

absl::StatusOr<int64_t> Bandwidth(const PodNetworkRequest& pod,
                                  const char* annotation) {
  const std::string& text = pod.annotations.at(annotation);
  absl::StatusOr<int64_t> v = ParseQuantity(text);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(annotation, ": ", v.status().message()));
  }
  if (*v < kMinBandwidth) {
    return absl::InvalidArgumentError(
        absl::StrCat(annotation, " \"", text,
                     "\": resource is unreasonably small (< 1kbit)"));
  }
  if (*v > kMaxBandwidth) {
    return absl::InvalidArgumentError(
        absl::StrCat(annotation, " \"", text,
                     "\": resource is unreasonably large (> 1Pbit)"));
  }
  return v;
}

}  // namespace

absl::StatusOr<int64_t> ParseQuantity(absl::string_view text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a valid quantity"));
  };
  absl::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::string digits;  // integer and fraction digits, no leading zeros
  int fraction_digits = 0;
  bool any_digit = false, in_fraction = false;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '.' && !in_fraction) {
      in_fraction = true;
      continue;
    }
    if (!absl::ascii_isdigit(s[i])) break;
    any_digit = true;
    if (in_fraction) ++fraction_digits;
    if (!digits.empty() || s[i] != '0') digits.push_back(s[i]);
  }
  int exp10 = 0, exp2 = 0;
  if (!any_digit || !ParseSuffix(s.substr(i), &exp10, &exp2)) return bad();
  // Trailing zeros of the mantissa only shift the exponent.
  while (!digits.empty() && digits.back() == '0') {
    digits.pop_back();
    ++exp10;
  }
  exp10 -= fraction_digits;
  if (digits.empty()) return 0;
  if (digits.size() > 18) return bad();  // beyond int64 precision
  Uint128 v = 0;
  for (const char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
  v <<= exp2;  // at most 2^60 * 10^18 < 2^120
  const auto too_big = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is too large"));
  };
  for (; exp10 > 0; --exp10) {
    if (v > static_cast<Uint128>(kMaxInt64)) return too_big();
    v *= 10;
  }
  if (exp10 < 0) {
    if (exp10 < -38) {
      v = 1;  // a positive value far below one rounds up to one
    } else {
      Uint128 divisor = 1;
      for (; exp10 < 0; ++exp10) divisor *= 10;
      v = v / divisor + (v % divisor != 0 ? 1 : 0);
    }
  }
  if (v > static_cast<Uint128>(kMaxInt64)) return too_big();
  const int64_t magnitude = static_cast<int64_t>(v);
  return negative ? -magnitude : magnitude;
}

CniArgs PodCniArgs(const PodNetworkRequest& pod) {
  return {{"IgnoreUnknown", "1"},
          {"K8S_POD_NAMESPACE", pod.pod_namespace},
          {"K8S_POD_NAME", pod.pod_name},
          {"K8S_POD_INFRA_CONTAINER_ID", pod.sandbox_id},
          {"K8S_POD_UID", pod.pod_uid}};
}

std::string JoinCniArgs(const CniArgs& args) {
  return absl::StrJoin(args, ";", absl::PairFormatter("="));
}

absl::StatusOr<std::string> BuildCapabilityArgs(const PodNetworkRequest& pod,
                                                const std::string& pod_cidr) {
  std::vector<JsonMember> args;
  std::vector<std::string> ports;
  for (const PortMapping& p : pod.port_mappings) {
    if (p.host_port <= 0) continue;
    std::vector<JsonMember> m = {
        {"hostPort", absl::StrCat(p.host_port)},
        {"containerPort", absl::StrCat(p.container_port)},
        {"protocol",
         JsonQuote(p.protocol.empty() ? "tcp"
                                      : absl::AsciiStrToLower(p.protocol))}};
    if (!p.host_ip.empty()) m.emplace_back("hostIP", JsonQuote(p.host_ip));
    ports.push_back(JoinJsonObject(m));
  }
  if (!ports.empty()) args.emplace_back("portMappings", JoinJsonArray(ports));

  std::vector<JsonMember> bandwidth;
  if (pod.annotations.count(kIngressAnnotation)) {
    absl::StatusOr<int64_t> rate = Bandwidth(pod, kIngressAnnotation);
    if (!rate.ok()) return rate.status();
    bandwidth.emplace_back("ingressRate", absl::StrCat(*rate));
    bandwidth.emplace_back("ingressBurst", absl::StrCat(kBandwidthBurst));
  }
  if (pod.annotations.count(kEgressAnnotation)) {
    absl::StatusOr<int64_t> rate = Bandwidth(pod, kEgressAnnotation);
    if (!rate.ok()) return rate.status();
    bandwidth.emplace_back("egressRate", absl::StrCat(*rate));
    bandwidth.emplace_back("egressBurst", absl::StrCat(kBandwidthBurst));
  }
  if (!bandwidth.empty()) {
    args.emplace_back("bandwidth", JoinJsonObject(bandwidth));
  }

  if (!pod_cidr.empty()) {
    args.emplace_back(
        "ipRanges",
        absl::StrCat("[[", JoinJsonObject({{"subnet", JsonQuote(pod_cidr)}}),
                     "]]"));
  }

  std::vector<JsonMember> dns;
  if (!pod.dns.servers.empty()) {
    dns.emplace_back("servers", JsonStringArray(pod.dns.servers));
  }
  if (!pod.dns.searches.empty()) {
    dns.emplace_back("searches", JsonStringArray(pod.dns.searches));
  }
  if (!pod.dns.options.empty()) {
    dns.emplace_back("options", JsonStringArray(pod.dns.options));
  }
  if (!dns.empty()) args.emplace_back("dns", JoinJsonObject(dns));
  return JoinJsonObject(args);
}

}  // namespace cri_dockerd::network
