#include "gateway/transcode.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::gateway {

namespace pb = google::protobuf;

namespace {

struct Target {
  pb::Message* msg = nullptr;
  const pb::FieldDescriptor* field = nullptr;
};

// The field at dotted `path` of `m` (message-typed parents created on the way).
Target Resolve(pb::Message* m, absl::string_view path) {
  Target t;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const pb::Descriptor* d = m->GetDescriptor();
    const pb::FieldDescriptor* f = d->FindFieldByName(std::string(parts[i]));
    // Query parameters may also use the JSON (lowerCamelCase) name.
    if (f == nullptr) f = d->FindFieldByCamelcaseName(std::string(parts[i]));
    if (f == nullptr) return {};
    if (i + 1 == parts.size()) return {m, f};
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) return {};
    m = m->GetReflection()->MutableMessage(m, f);
  }
  return t;
}

absl::Status BadParam(absl::string_view name, absl::string_view why) {
  return InvalidArgument(std::string(name), std::string(why));
}

// Sets (or appends, for repeated fields) one value given as text.
absl::Status SetText(const Target& t, absl::string_view name, const std::string& value) {
  pb::Message* m = t.msg;
  const pb::FieldDescriptor* f = t.field;
  const pb::Reflection* r = m->GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (f->type() == pb::FieldDescriptor::TYPE_STRING && !IsValidUtf8(value)) {
        return BadParam(name, "not UTF-8");
      }
      rep ? r->AddString(m, f, value) : r->SetString(m, f, value);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadParam(name, "not a 32-bit integer");
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadParam(name, "not an integer");
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadParam(name, "not an unsigned integer");
      rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(value, &v)) return BadParam(name, "not an unsigned integer");
      rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(value, &v)) return BadParam(name, "not a number");
      if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT) {
        rep ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
      } else {
        rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      }
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (value == "true" || value == "1") {
        v = true;
      } else if (value == "false" || value == "0") {
        v = false;
      } else {
        return BadParam(name, "not true or false");
      }
      rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* e = f->enum_type()->FindValueByName(value);
      int n;
      if (e == nullptr && absl::SimpleAtoi(value, &n)) e = f->enum_type()->FindValueByNumber(n);
      if (e == nullptr) return BadParam(name, "not a value of " + f->enum_type()->full_name());
      rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      if (rep) return BadParam(name, "a repeated message cannot be given in the query");
      const std::string& type = f->message_type()->full_name();
      pb::Message* sub = r->MutableMessage(m, f);
      if (type == "google.protobuf.Timestamp") {
        absl::Time t;
        std::string err;
        if (!absl::ParseTime(absl::RFC3339_full, value, &t, &err)) {
          return BadParam(name, "not an RFC 3339 time");
        }
        // By reflection: the message may be a generated or a dynamic one.
        const pb::Descriptor* d = sub->GetDescriptor();
        int64_t secs = absl::ToUnixSeconds(t);
        sub->GetReflection()->SetInt64(sub, d->FindFieldByName("seconds"), secs);
        sub->GetReflection()->SetInt32(
            sub, d->FindFieldByName("nanos"),
            static_cast<int32_t>((t - absl::FromUnixSeconds(secs)) / absl::Nanoseconds(1)));
        return absl::OkStatus();
      }
      if (type == "google.protobuf.FieldMask") {
        // The JSON mapping's paths (lowerCamelCase, "a.bC,d") into the proto's (snake_case).
        const pb::FieldDescriptor* paths = sub->GetDescriptor()->FindFieldByName("paths");
        for (absl::string_view p : absl::StrSplit(value, ',', absl::SkipEmpty())) {
          std::string snake;
          for (char c : p) {
            if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
              snake.push_back('_');
              snake.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
            } else {
              snake.push_back(c);
            }
          }
          sub->GetReflection()->AddString(sub, paths, snake);
        }
        return absl::OkStatus();
      }
      return BadParam(name, "give its fields with dotted names (" + std::string(name) + ".x=…)");
    }
  }
  return BadParam(name, "unsupported field type");
}

// Where protobuf's JSON parser says an error is: "(lines[0].unit_price)
// rest" in protobuf 3.21, the proto path of the value (empty when it names
// none, or at the top), then what it says.
std::pair<std::string, std::string> ErrorLocation(absl::string_view message) {
  if (!absl::StartsWith(message, "(")) return {"", std::string(message)};
  size_t close = message.find(')');
  if (close == absl::string_view::npos) return {"", std::string(message)};
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(message.substr(close + 1));
  if (absl::StartsWith(rest, ":")) rest = absl::StripLeadingAsciiWhitespace(rest.substr(1));
  return {std::string(message.substr(1, close - 1)), std::string(rest)};
}

// The name protobuf's JSON parser complains about, when it says so
// ("departmnt: Cannot find field." in protobuf 3.21, "Cannot find field: x" elsewhere).
std::string UnknownFieldOf(absl::string_view message) {
  size_t suffix = message.find(": Cannot find field.");
  if (suffix != absl::string_view::npos) {
    absl::string_view name = message.substr(0, suffix);
    return std::string(name.substr(name.rfind(' ') + 1));
  }
  for (absl::string_view marker : {"Cannot find field: ", "cannot find field: "}) {
    size_t at = message.find(marker);
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = message.substr(at + marker.size());
    return std::string(rest.substr(0, rest.find_first_of(" ,")));
  }
  return "";
}

// `prefix`.`path` (either may be empty) in JSON's spelling.
std::string JoinedJsonPath(const std::string& prefix, const std::string& path) {
  if (prefix.empty()) return JsonFieldPath(path);
  return JsonFieldPath(path.empty() ? prefix : prefix + "." + path);
}

absl::Status ParseJson(absl::string_view body, pb::Message* m, const std::string& field) {
  if (body.empty()) return absl::OkStatus();
  pb::util::JsonParseOptions o;
  o.ignore_unknown_fields = false;
  auto s = pb::util::JsonStringToMessage(std::string(body), m, o);
  if (s.ok()) return absl::OkStatus();
  const std::string message(s.message().data(), s.message().size());
  // Named where it is: "quote.lines[0].unitPrice", not "quote.unitPrice".
  auto [path, said] = ErrorLocation(message);
  std::string unknown = UnknownFieldOf(said);
  if (!unknown.empty()) {
    return InvalidArgument(JoinedJsonPath(field, path.empty() ? unknown : path + "." + unknown),
                           "unknown field");
  }
  // The parser quotes the body around the error: not when that is not UTF-8
  // (it would make the answer's own text invalid, and protobuf log errors).
  if (!IsValidUtf8(said)) said = said.substr(0, said.find('\n'));
  if (!IsValidUtf8(said)) said = "not UTF-8";
  std::string where = JoinedJsonPath(field, path);
  return InvalidArgument(where.empty() ? "body" : where,
                         "not valid JSON for this request: " + said);
}

}  // namespace

bool ForwardedAnswerMetadata(absl::string_view key) {
  return key == "content-disposition" ||
         (absl::StartsWith(key, "x-certpath-") && key != "x-certpath-principal");
}

bool IsHttpBody(const pb::Descriptor* type) {
  return type != nullptr && type->full_name() == "google.api.HttpBody";
}

const pb::Descriptor* BodyType(const Route& route) {
  if (route.body.empty()) return nullptr;
  const pb::Descriptor* input = route.method->input_type();
  if (route.body == "*") return input;
  const pb::FieldDescriptor* f = input->FindFieldByName(route.body);
  return f == nullptr ? nullptr : f->message_type();
}

absl::Status BuildRequest(const Route& route,
                          const std::vector<std::pair<std::string, std::string>>& bindings,
                          absl::string_view query, absl::string_view body, pb::Message* req,
                          absl::string_view content_type) {
  req->Clear();
  pb::Message* body_msg = nullptr;
  if (route.body == "*") {
    body_msg = req;
  } else if (!route.body.empty()) {
    const pb::FieldDescriptor* f = req->GetDescriptor()->FindFieldByName(route.body);
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return absl::UnimplementedError("body of a non-message field");
    }
    body_msg = req->GetReflection()->MutableMessage(req, f);
  } else if (!body.empty()) {
    return InvalidArgument("body", "this request takes no body");
  }
  if (body_msg != nullptr && IsHttpBody(body_msg->GetDescriptor())) {
    // An upload: the bytes as they came, with their media type (printable
    // ASCII, as media types are: other bytes would make the request's text
    // invalid, and the service could not read it).
    for (char c : content_type) {
      if (c < 0x20 || c > 0x7e) return InvalidArgument("Content-Type", "not a media type");
    }
    const pb::Descriptor* d = body_msg->GetDescriptor();
    const pb::Reflection* r = body_msg->GetReflection();
    r->SetString(body_msg, d->FindFieldByName("content_type"), std::string(content_type));
    r->SetString(body_msg, d->FindFieldByName("data"), std::string(body));
  } else if (body_msg != nullptr) {
    if (auto s = ParseJson(body, body_msg, route.body == "*" ? "" : route.body); !s.ok()) {
      return s;
    }
  }
  for (const auto& [path, value] : bindings) {
    Target t = Resolve(req, path);
    if (t.field == nullptr) return absl::InternalError("route variable " + path);
    if (auto s = SetText(t, path, value); !s.ok()) return s;
  }
  if (query.empty()) return absl::OkStatus();
  // Singular fields seen in the query, however spelled (page_size, pageSize).
  std::set<std::pair<const pb::Message*, const pb::FieldDescriptor*>> given;
  for (absl::string_view pair : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    size_t eq = pair.find('=');
    auto key = PercentDecode(pair.substr(0, eq), true);
    auto value = PercentDecode(eq == absl::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key.ok() || !value.ok()) return InvalidArgument("query", "bad percent-encoding");
    if (route.body == "*")
      return InvalidArgument(*key, "unknown query parameter (the body has it all)");
    // Compared as fields, whichever spelling (api_key, apiKey) names them.
    if (!route.body.empty() && Resolve(req, key->substr(0, key->find('.'))).field ==
                                   req->GetDescriptor()->FindFieldByName(route.body)) {
      return InvalidArgument(*key, "given in the body, not the query");
    }
    Target t = Resolve(req, *key);
    if (t.field == nullptr) return InvalidArgument(*key, "unknown query parameter");
    for (const auto& [bound, unused] : bindings) {
      Target b = Resolve(req, bound);
      if (b.msg == t.msg && b.field == t.field) {
        return InvalidArgument(*key, "given in the path, not the query");
      }
    }
    if (!t.field->is_repeated() && !given.insert({t.msg, t.field}).second) {
      return InvalidArgument(*key, "given twice (repeat a key only for a repeated field)");
    }
    if (auto s = SetText(t, *key, *value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ResponseJson(const pb::Message& resp) {
  return ResponseJson(resp.GetDescriptor(), resp.SerializeAsString());
}

absl::StatusOr<std::string> ResponseJson(const pb::Descriptor* type, const std::string& bytes) {
  // Straight from the wire bytes (what MessageToJsonString does after
  // serializing): no message parsed and serialized again on the way.
  static pb::util::TypeResolver* const resolver = pb::util::NewTypeResolverForDescriptorPool(
      "type.googleapis.com", pb::DescriptorPool::generated_pool());
  std::string out;
  pb::util::JsonPrintOptions o;
  o.preserve_proto_field_names = false;
  auto s = pb::util::BinaryToJsonString(resolver, "type.googleapis.com/" + type->full_name(), bytes,
                                        &out, o);
  if (!s.ok()) {
    return absl::InternalError("cannot print the response: " +
                               std::string(s.message().data(), s.message().size()));
  }
  return out;
}

int HttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string JsonFieldPath(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  auto snake = [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); };
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    // Between two lowercase letters or digits only: what proto field names
    // are (an enum's VALUE_NAME, or anything else, stays as it is).
    if (c == '_' && i > 0 && snake(path[i - 1]) && i + 1 < path.size() && snake(path[i + 1])) {
      out += absl::ascii_toupper(path[++i]);
    } else {
      out += c;
    }
  }
  return out;
}

absl::Status InJsonSpelling(const absl::Status& status) {
  auto payload = status.GetPayload(kBadRequestUrl);
  google::rpc::BadRequest bad;
  if (!payload || !bad.ParseFromString(std::string(*payload))) return status;
  // The message the services make of the same violations (FieldViolations)
  // is made again with the fields respelled; any other message stays.
  std::string said = "invalid request:", say = "invalid request:";
  for (auto& v : *bad.mutable_field_violations()) {
    absl::StrAppend(&said, " ", v.field(), ": ", v.description(), ";");
    v.set_field(JsonFieldPath(v.field()));
    absl::StrAppend(&say, " ", v.field(), ": ", v.description(), ";");
  }
  bool composed =
      bad.field_violations_size() > 0 && status.message() == said.substr(0, said.size() - 1);
  absl::Status out(status.code(), composed ? say.substr(0, say.size() - 1) : status.message());
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    out.SetPayload(url, url == kBadRequestUrl ? absl::Cord(bad.SerializeAsString()) : value);
  });
  return out;
}

std::string ErrorJson(const absl::Status& status) {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  rpc.set_message(std::string(status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    auto* any = rpc.add_details();
    any->set_type_url(std::string(url));
    any->set_value(std::string(value));
  });
  std::string out;
  if (!pb::util::MessageToJsonString(rpc, &out).ok()) {
    rpc.clear_details();  // a detail of a type this binary does not know
    out.clear();
    (void)pb::util::MessageToJsonString(rpc, &out);
  }
  return out;
}

}  // namespace certpath::gateway
