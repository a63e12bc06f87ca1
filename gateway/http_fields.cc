#include "gateway/http_fields.h"

#include <algorithm>
#include <cmath>

#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/transcode.h"
#include "google/api/httpbody.pb.h"
#include "services/common/crypto.h"
#include "services/common/server.h"
#include "services/common/status.h"

namespace certpath::gateway {

std::string TraceParent() { return absl::StrCat("00-", RandomHex(16), "-", RandomHex(8), "-01"); }

bool ValidTraceParent(absl::string_view v) {
  if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i == 2 || i == 35 || i == 52) continue;
    char c = v[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return v.substr(0, 2) != "ff" && v.substr(3, 32) != std::string(32, '0') &&
         v.substr(36, 16) != std::string(16, '0');
}

bool ValidTraceState(absl::string_view v) {
  if (v.empty() || v.size() > 512) return false;
  for (char c : v) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool SafeRequestId(absl::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  for (char c : v) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string AllowHeader(std::vector<std::string> methods) {
  if (absl::c_linear_search(methods, "GET")) methods.push_back("HEAD");
  return absl::StrJoin(methods, ", ");
}

std::vector<std::pair<std::string, std::string>> AdmissionHeaders(const Admission& admitted) {
  std::vector<std::pair<std::string, std::string>> out;
  if (admitted.metered) {
    const RateLimit& l = admitted.limit;
    int64_t reset =
        static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(admitted.take.retry_after)));
    out.emplace_back("RateLimit", absl::StrCat("limit=", l.burst, ", remaining=",
                                               admitted.take.remaining, ", reset=", reset));
    out.emplace_back("RateLimit-Policy",
                     absl::StrCat(l.burst, ";w=", static_cast<int64_t>(l.burst / l.per_second)));
    if (!admitted.take.allowed) {
      out.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, reset)));
    }
  }
  if (admitted.principal.status().code() == absl::StatusCode::kUnauthenticated) {
    out.emplace_back("WWW-Authenticate", "Bearer");
  }
  return out;
}

log::Level AnswerLogLevel(int http_status, const absl::Status& s) {
  if (http_status < 400) return log::Level::kInfo;
  if (s.ok()) return http_status >= 500 ? log::Level::kError : log::Level::kWarn;
  return FailureLogLevel(s.code());
}

absl::StatusOr<absl::Duration> RequestTimeout(absl::string_view text, absl::Duration max) {
  double seconds = 0;
  bool decimal = !text.empty() && text.find_first_not_of("0123456789.") == absl::string_view::npos;
  if (!decimal || !absl::SimpleAtod(text, &seconds) || !(seconds > 0)) {
    return InvalidArgument("X-Request-Timeout", "a positive number of seconds");
  }
  return std::min(absl::Seconds(seconds), max);
}

std::vector<std::pair<std::string, std::string>> AnswerHeaders(const grpc::ClientContext& ctx) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, value] : ctx.GetServerInitialMetadata()) {
    absl::string_view k(key.data(), key.size());
    if (ForwardedAnswerMetadata(k)) {
      out.emplace_back(k == "content-disposition" ? "Content-Disposition" : std::string(k),
                       std::string(value.data(), value.size()));
    }
  }
  return out;
}

absl::StatusOr<HttpAnswer> AnswerBody(grpc::ByteBuffer& buffer,
                                      const google::protobuf::Descriptor* type) {
  HttpAnswer out;
  if (IsHttpBody(type)) {  // a download: the bytes as they are, with their media type
    google::api::HttpBody file;
    bool parsed;
    {
      grpc::ProtoBufferReader reader(&buffer);
      parsed = file.ParseFromZeroCopyStream(&reader);
    }
    if (!parsed) return absl::InternalError("bad upstream answer");
    buffer.Clear();
    out.media = file.content_type().empty() ? "application/octet-stream" : file.content_type();
    out.body = std::move(*file.mutable_data());
    return out;
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (buffer.Dump(&slices).ok()) {
    for (const auto& sl : slices)
      bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  auto json = ResponseJson(type, bytes);
  if (!json.ok()) return json.status();
  out.body = *std::move(json);
  return out;
}

}  // namespace certpath::gateway
