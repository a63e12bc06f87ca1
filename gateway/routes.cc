#include "gateway/routes.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "certpath/common/v1/common.pb.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"

namespace certpath::gateway {

namespace pb = google::protobuf;

namespace {

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
}

bool IsLiteral(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c == '/' || c == '{' || c == '}' || c == '*' || c == ':' || c == '=') return false;
  }
  return true;
}

// Splits "a/{b=c/*}/d" at the slashes outside braces.
absl::StatusOr<std::vector<std::string>> TopLevelParts(absl::string_view text,
                                                       absl::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '{') ++depth;
    if (c == '}') --depth;
    if (depth < 0 || depth > 1) return Bad(text, "unbalanced braces");
    if (c == '/' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (depth != 0) return Bad(text, "unbalanced braces");
  out.push_back(cur);
  return out;
}

absl::Status AddSegment(absl::string_view text, absl::string_view s, PathTemplate& t) {
  PathTemplate::Segment seg;
  if (s == "*") {
    seg.kind = PathTemplate::Segment::kAny;
  } else if (s == "**") {
    seg.kind = PathTemplate::Segment::kAnyTail;
  } else if (IsLiteral(s)) {
    seg.literal = std::string(s);
  } else {
    return Bad(text, absl::StrCat("bad segment \"", s, "\""));
  }
  t.segments.push_back(std::move(seg));
  return absl::OkStatus();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<PathTemplate> ParseTemplate(absl::string_view text) {
  PathTemplate t;
  t.text = std::string(text);
  if (!absl::StartsWith(text, "/")) return Bad(text, "must start with /");
  absl::string_view rest = text.substr(1);
  // The verb: a ':' after the last '}' and the last '/'.
  size_t colon = rest.rfind(':');
  size_t brace = rest.rfind('}');
  size_t slash = rest.rfind('/');
  if (colon != absl::string_view::npos && (brace == absl::string_view::npos || colon > brace) &&
      (slash == absl::string_view::npos || colon > slash)) {
    t.verb = std::string(rest.substr(colon + 1));
    if (!IsLiteral(t.verb)) return Bad(text, "bad verb");
    rest = rest.substr(0, colon);
  }
  auto parts = TopLevelParts(text, rest);
  if (!parts.ok()) return parts.status();
  for (const std::string& part : *parts) {
    if (absl::StartsWith(part, "{")) {
      if (!absl::EndsWith(part, "}")) return Bad(text, "bad variable");
      absl::string_view inner = absl::string_view(part).substr(1, part.size() - 2);
      PathTemplate::Variable v;
      size_t eq = inner.find('=');
      v.field_path = std::string(inner.substr(0, eq));
      if (v.field_path.empty()) return Bad(text, "variable without a field");
      v.first = t.segments.size();
      if (eq == absl::string_view::npos) {
        if (auto s = AddSegment(text, "*", t); !s.ok()) return s;
      } else {
        for (absl::string_view sub : absl::StrSplit(inner.substr(eq + 1), '/')) {
          if (auto s = AddSegment(text, sub, t); !s.ok()) return s;
        }
      }
      v.end = t.segments.size();
      t.variables.push_back(std::move(v));
    } else if (auto s = AddSegment(text, part, t); !s.ok()) {
      return s;
    }
  }
  for (size_t i = 0; i + 1 < t.segments.size(); ++i) {
    if (t.segments[i].kind == PathTemplate::Segment::kAnyTail) return Bad(text, "** not last");
  }
  return t;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return absl::InvalidArgumentError("bad percent-encoding");
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return absl::InvalidArgumentError("bad percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<RequestPath> SplitPath(absl::string_view path) {
  if (!absl::StartsWith(path, "/")) return absl::InvalidArgumentError("path must start with /");
  RequestPath out;
  std::vector<absl::string_view> raw = absl::StrSplit(path.substr(1), '/');
  for (size_t i = 0; i < raw.size(); ++i) {
    absl::string_view seg = raw[i];
    if (i + 1 == raw.size()) {
      // The verb is split off before decoding: an encoded ':' (%3A) stays in the id.
      auto last = PercentDecode(seg);
      if (!last.ok()) return last.status();
      out.last_raw = *last;
      size_t colon = seg.rfind(':');
      if (colon != absl::string_view::npos) {
        auto verb = PercentDecode(seg.substr(colon + 1));
        if (!verb.ok()) return verb.status();
        out.verb = *verb;
        seg = seg.substr(0, colon);
      }
    }
    auto d = PercentDecode(seg);
    if (!d.ok()) return d.status();
    // An encoded '/' would become a separator in a multi-segment name: refused.
    if (d->find('/') != std::string::npos) {
      return absl::InvalidArgumentError("an encoded '/' inside a path segment");
    }
    out.segments.push_back(*std::move(d));
  }
  return out;
}

bool MatchTemplate(const PathTemplate& t, const RequestPath& path,
                   std::vector<std::pair<std::string, std::string>>* bindings) {
  std::vector<std::string> segs = path.segments;
  if (t.verb.empty()) {
    if (!segs.empty()) segs.back() = path.last_raw;  // no verb: the ':' is part of the segment
  } else if (path.verb != t.verb) {
    return false;
  }
  bool tail = !t.segments.empty() && t.segments.back().kind == PathTemplate::Segment::kAnyTail;
  if (tail ? segs.size() < t.segments.size() : segs.size() != t.segments.size()) return false;
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const auto& s = t.segments[i];
    if (s.kind == PathTemplate::Segment::kLiteral && segs[i] != s.literal) return false;
    if (s.kind != PathTemplate::Segment::kLiteral && segs[i].empty()) return false;
  }
  if (bindings != nullptr) {
    bindings->clear();
    for (const auto& v : t.variables) {
      size_t end = (tail && v.end == t.segments.size()) ? segs.size() : v.end;
      std::string value;
      for (size_t i = v.first; i < end; ++i)
        absl::StrAppend(&value, i > v.first ? "/" : "", segs[i]);
      bindings->emplace_back(v.field_path, std::move(value));
    }
  }
  return true;
}

std::vector<std::string> RouteTable::CompiledServices() {
  std::vector<std::string> out;
  for (const std::string& file : RoutedProtoFiles()) {
    const pb::FileDescriptor* f = pb::DescriptorPool::generated_pool()->FindFileByName(file);
    if (f == nullptr) continue;
    for (int i = 0; i < f->service_count(); ++i) out.push_back(f->service(i)->full_name());
  }
  return out;
}

absl::StatusOr<RouteTable> RouteTable::FromServices(const std::vector<std::string>& services) {
  RouteTable table;
  for (const std::string& name : services) {
    const pb::ServiceDescriptor* svc =
        pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (svc == nullptr) return absl::NotFoundError("no compiled-in service " + name);
    for (int i = 0; i < svc->method_count(); ++i) {
      const pb::MethodDescriptor* m = svc->method(i);
      if (!m->options().HasExtension(google::api::http)) continue;
      const google::api::HttpRule& rule = m->options().GetExtension(google::api::http);
      Route r;
      r.method = m;
      r.body = rule.body();
      r.credential_in_request =
          m->options().GetExtension(certpath::common::v1::credential_in_request);
      r.file_download = m->options().GetExtension(certpath::common::v1::file_download);
      std::string path;
      switch (rule.pattern_case()) {
        case google::api::HttpRule::kGet:
          r.http_method = "GET";
          path = rule.get();
          break;
        case google::api::HttpRule::kPost:
          r.http_method = "POST";
          path = rule.post();
          break;
        case google::api::HttpRule::kPatch:
          r.http_method = "PATCH";
          path = rule.patch();
          break;
        case google::api::HttpRule::kPut:
          r.http_method = "PUT";
          path = rule.put();
          break;
        case google::api::HttpRule::kDelete:
          r.http_method = "DELETE";
          path = rule.delete_();
          break;
        default:
          return absl::InvalidArgumentError(m->full_name() + ": unsupported http rule");
      }
      auto t = ParseTemplate(path);
      if (!t.ok())
        return absl::InvalidArgumentError(m->full_name() + ": " +
                                          std::string(t.status().message()));
      r.path = *std::move(t);
      if (!r.body.empty() && r.body != "*" && m->input_type()->FindFieldByName(r.body) == nullptr) {
        return absl::InvalidArgumentError(m->full_name() + ": body field " + r.body + " unknown");
      }
      for (const auto& v : r.path.variables) {
        const pb::Descriptor* d = m->input_type();
        const pb::FieldDescriptor* f = nullptr;
        for (absl::string_view part : absl::StrSplit(v.field_path, '.')) {
          f = d == nullptr ? nullptr : d->FindFieldByName(std::string(part));
          if (f == nullptr) break;
          d = f->message_type();
        }
        if (f == nullptr || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
          return absl::InvalidArgumentError(m->full_name() + ": variable " + v.field_path +
                                            " is not a string field");
        }
      }
      table.routes_.push_back(std::move(r));
    }
  }
  return table;
}

RouteTable::Lookup RouteTable::Find(absl::string_view http_method, const RequestPath& path) const {
  Lookup out;
  std::vector<std::pair<std::string, std::string>> bindings;
  // ".../versions/7:download": a route that declares the verb owns the path,
  // before one whose last variable would take "7:download" as an id.
  bool verb_route = false;
  for (const Route& r : routes_) {
    if (!path.verb.empty() && !r.path.verb.empty() && MatchTemplate(r.path, path, nullptr)) {
      verb_route = true;
      break;
    }
  }
  for (const Route& r : routes_) {
    if (verb_route && r.path.verb.empty()) continue;
    if (!MatchTemplate(r.path, path, &bindings)) continue;
    if (r.http_method == http_method) {
      out.route = &r;
      out.bindings = std::move(bindings);
      out.allowed.clear();
      return out;
    }
    if (std::find(out.allowed.begin(), out.allowed.end(), r.http_method) == out.allowed.end()) {
      out.allowed.push_back(r.http_method);
    }
  }
  return out;
}

}  // namespace certpath::gateway
