#include "gateway/openapi.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/transcode.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace certpath::gateway {

namespace pb = google::protobuf;

namespace {

// --- a small builder over google.protobuf.Value (printed by protobuf's JSON printer) ---

pb::Value Str(absl::string_view s) {
  pb::Value v;
  v.set_string_value(std::string(s));
  return v;
}
pb::Value Bool(bool b) {
  pb::Value v;
  v.set_bool_value(b);
  return v;
}
pb::Value Obj() {
  pb::Value v;
  v.mutable_struct_value();
  return v;
}
pb::Value& At(pb::Value& obj, const std::string& key) {
  return (*obj.mutable_struct_value()->mutable_fields())[key];
}
pb::Value Obj(std::vector<std::pair<std::string, pb::Value>> fields) {
  pb::Value v = Obj();
  for (auto& [k, f] : fields) At(v, k) = std::move(f);
  return v;
}
void Push(pb::Value& list, pb::Value item) {
  *list.mutable_list_value()->add_values() = std::move(item);
}
pb::Value List() {
  pb::Value v;
  v.mutable_list_value();
  return v;
}
pb::Value Ref(absl::string_view kind, absl::string_view name) {
  return Obj({{"$ref", Str(absl::StrCat("#/components/", kind, "/", name))}});
}

// "engagements" → "engagement", "auditEntries" → "auditEntry".
std::string Singular(absl::string_view plural) {
  if (absl::EndsWith(plural, "ies")) return absl::StrCat(plural.substr(0, plural.size() - 3), "y");
  if (absl::EndsWith(plural, "s")) return std::string(plural.substr(0, plural.size() - 1));
  return std::string(plural);
}

struct PathParam {
  std::string name;
  std::string field_path;  // the request field it is part of
};

// The OpenAPI path and its parameters, one per wildcard of the template.
std::pair<std::string, std::vector<PathParam>> Spell(const PathTemplate& t) {
  std::vector<std::string> parts(t.segments.size());
  std::vector<PathParam> params;
  std::set<std::string> used;
  for (size_t i = 0; i < t.segments.size(); ++i) {
    const auto& seg = t.segments[i];
    if (seg.kind == PathTemplate::Segment::kLiteral) parts[i] = seg.literal;
  }
  for (const auto& var : t.variables) {
    for (size_t i = var.first; i < var.end; ++i) {
      if (t.segments[i].kind == PathTemplate::Segment::kLiteral) continue;
      std::string name;
      if (var.end - var.first == 1) {
        // {parent}: the field itself (dots are not allowed in names by every client).
        name = var.field_path;
        for (char& c : name) {
          if (c == '.') c = '_';
        }
      } else if (i > 0 && t.segments[i - 1].kind == PathTemplate::Segment::kLiteral) {
        name = Singular(t.segments[i - 1].literal);
      } else {
        name = absl::StrCat("segment", i);
      }
      std::string unique = name;
      for (int n = 2; used.count(unique) > 0; ++n) unique = absl::StrCat(name, n);
      used.insert(unique);
      parts[i] = absl::StrCat("{", unique, "}");
      params.push_back({unique, var.field_path});
    }
  }
  std::string path = absl::StrCat("/", absl::StrJoin(parts, "/"));
  if (!t.verb.empty()) absl::StrAppend(&path, ":", t.verb);
  return {path, params};
}

class Generator {
 public:
  absl::StatusOr<std::string> Run(const RouteTable& table) {
    doc_ = Obj(
        {{"openapi", Str("3.0.3")},
         {"info",
          Obj({{"title", Str("certpath API")},
               {"version", Str("v1")},
               {"description", Str("certpath's HTTP/JSON API, transcoded by certpath-gateway from "
                                   "the gRPC services (proto3 JSON mapping: lowerCamelCase names, "
                                   "64-bit integers as strings, enums by name, timestamps as RFC "
                                   "3339). Unknown JSON fields and query parameters are refused "
                                   "with 400. Errors are google.rpc.Status.")},
               {"license", Obj({{"name", Str("Proprietary")},
                                {"url", Str("https://certpath.invalid/license")}})}})},
         {"servers", List()},
         {"paths", Obj()},
         {"tags", List()},
         {"security", List()},
         {"components",
          Obj({{"schemas", Obj()}, {"responses", Obj()}, {"securitySchemes", Obj()}})}});
    Push(At(doc_, "servers"), Obj({{"url", Str("/")}, {"description", Str("this gateway")}}));
    Push(At(doc_, "security"), Obj({{"bearer", List()}}));
    At(At(doc_, "components"), "securitySchemes") =
        Obj({{"bearer",
              Obj({{"type", Str("http")},
                   {"scheme", Str("bearer")},
                   {"description",
                    Str("An API key (cpk_…, certpath-admin api-keys create) or a principal token "
                        "(certpath-admin token).")}})}});
    AddMessage(pb::DescriptorPool::generated_pool()->FindMessageTypeByName("google.rpc.Status"));
    At(At(doc_, "components"), "responses") = Obj(
        {{"Error",
          Obj({{"description", Str("An error: google.rpc.Status with its details.")},
               {"content", Obj({{"application/json",
                                 Obj({{"schema", Ref("schemas", "google.rpc.Status")}})}})}})}});

    std::set<std::string> tags;
    for (const Route& r : table.routes()) {
      auto [path, params] = Spell(r.path);
      pb::Value& item = At(At(doc_, "paths"), path);
      if (!item.has_struct_value()) item = Obj();
      std::string verb = absl::AsciiStrToLower(r.http_method);
      if (item.struct_value().fields().count(verb) > 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("two RPCs on ", r.http_method, " ", path));
      }
      const pb::ServiceDescriptor* svc = r.method->service();
      tags.insert(svc->name());
      At(item, verb) = Operation(r, params);
    }
    for (const std::string& tag : tags) {
      Push(At(doc_, "tags"), Obj({{"name", Str(tag)}, {"description", Str(tag)}}));
    }
    std::string out;
    pb::util::JsonPrintOptions o;
    o.add_whitespace = true;
    auto s = pb::util::MessageToJsonString(doc_, &out, o);
    if (!s.ok()) return absl::InternalError(std::string(s.message().data(), s.message().size()));
    return out;
  }

 private:
  pb::Value Operation(const Route& r, const std::vector<PathParam>& path_params) {
    const pb::MethodDescriptor* m = r.method;
    pb::Value op = Obj({{"operationId", Str(absl::StrCat(m->service()->name(), "_", m->name()))},
                        {"summary", Str(m->name())},
                        {"description", Str(absl::StrCat("gRPC ", m->full_name()))},
                        {"tags", List()},
                        {"parameters", List()},
                        {"responses", Obj()}});
    Push(At(op, "tags"), Str(m->service()->name()));
    if (r.credential_in_request) {
      // The request carries its own credential (a feed's token): no Authorization.
      At(op, "security") = List();
    }
    std::set<std::string> bound;
    for (const PathParam& p : path_params) {
      bound.insert(p.field_path);
      Push(At(op, "parameters"),
           Obj({{"name", Str(p.name)},
                {"in", Str("path")},
                {"required", Bool(true)},
                {"description", Str(absl::StrCat("part of `", p.field_path, "`"))},
                {"schema", Obj({{"type", Str("string")}})}}));
    }
    for (const auto& v : r.path.variables) bound.insert(v.field_path);
    const pb::Descriptor* input = m->input_type();
    if (r.body != "*") {
      std::set<const pb::Descriptor*> seen;
      QueryParams(input, "", bound, r.body, seen, At(op, "parameters"));
    }
    if (const pb::Descriptor* body = BodyType(r)) {
      pb::Value content = Obj();
      if (IsHttpBody(body)) {
        At(content, "*/*") =
            Obj({{"schema", Obj({{"type", Str("string")}, {"format", Str("binary")}})}});
      } else {
        AddMessage(body);
        At(content, "application/json") = Obj({{"schema", Ref("schemas", body->full_name())}});
      }
      At(op, "requestBody") = Obj({{"required", Bool(true)}, {"content", std::move(content)}});
    }
    const pb::Descriptor* output = m->output_type();
    pb::Value ok_content = Obj();
    if (IsHttpBody(output)) {
      At(ok_content, "*/*") =
          Obj({{"schema", Obj({{"type", Str("string")}, {"format", Str("binary")}})}});
    } else {
      AddMessage(output);
      At(ok_content, "application/json") = Obj({{"schema", Ref("schemas", output->full_name())}});
    }
    At(At(op, "responses"), "200") =
        Obj({{"description", Str("OK")}, {"content", std::move(ok_content)}});
    At(At(op, "responses"), "4XX") = Ref("responses", "Error");
    At(At(op, "responses"), "default") = Ref("responses", "Error");
    return op;
  }

  // Every scalar (or repeated scalar) field reachable from `type` but the
  // path's and the body's, with its dotted name.
  void QueryParams(const pb::Descriptor* type, const std::string& prefix,
                   const std::set<std::string>& bound, const std::string& body,
                   std::set<const pb::Descriptor*>& seen, pb::Value& out) {
    if (!seen.insert(type).second) return;  // recursive messages: once
    for (int i = 0; i < type->field_count(); ++i) {
      const pb::FieldDescriptor* f = type->field(i);
      std::string proto_path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
      if (bound.count(proto_path) > 0 || (prefix.empty() && f->name() == body) || f->is_map()) {
        continue;
      }
      std::string json_name = f->json_name();
      std::string name =
          prefix.empty() ? json_name : absl::StrCat(JsonPath(prefix, type), ".", json_name);
      if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE && !IsScalarLike(f->message_type())) {
        if (!f->is_repeated()) QueryParams(f->message_type(), proto_path, bound, body, seen, out);
        continue;
      }
      pb::Value schema = FieldSchema(f, /*as_element=*/true);
      if (f->is_repeated()) schema = Obj({{"type", Str("array")}, {"items", std::move(schema)}});
      Push(out, Obj({{"name", Str(name)}, {"in", Str("query")}, {"schema", std::move(schema)}}));
    }
    seen.erase(type);
  }

  // The dotted JSON name of a nested proto path (a.b → a.b in lowerCamelCase).
  static std::string JsonPath(const std::string& proto_path, const pb::Descriptor*) {
    std::string out;
    bool upper = false;
    for (char c : proto_path) {
      if (c == '_') {
        upper = true;
        continue;
      }
      out.push_back(upper ? absl::ascii_toupper(static_cast<unsigned char>(c)) : c);
      upper = false;
    }
    return out;
  }

  // Well-known types whose JSON is a single value.
  static bool IsScalarLike(const pb::Descriptor* d) {
    const std::string& n = d->full_name();
    return n == "google.protobuf.Timestamp" || n == "google.protobuf.Duration" ||
           n == "google.protobuf.FieldMask" ||
           (absl::StartsWith(n, "google.protobuf.") && absl::EndsWith(n, "Value") &&
            n != "google.protobuf.Value" && n != "google.protobuf.ListValue");
  }

  pb::Value FieldSchema(const pb::FieldDescriptor* f, bool as_element) {
    if (f->is_map()) {
      return Obj({{"type", Str("object")},
                  {"additionalProperties", FieldSchema(f->message_type()->map_value(), true)}});
    }
    if (f->is_repeated() && !as_element) {
      return Obj({{"type", Str("array")}, {"items", FieldSchema(f, true)}});
    }
    using F = pb::FieldDescriptor;
    switch (f->type()) {
      case F::TYPE_STRING:
        return Obj({{"type", Str("string")}});
      case F::TYPE_BYTES:
        return Obj({{"type", Str("string")}, {"format", Str("byte")}});
      case F::TYPE_BOOL:
        return Obj({{"type", Str("boolean")}});
      case F::TYPE_INT32:
      case F::TYPE_SINT32:
      case F::TYPE_SFIXED32:
        return Obj({{"type", Str("integer")}, {"format", Str("int32")}});
      case F::TYPE_UINT32:
      case F::TYPE_FIXED32:
        return Obj({{"type", Str("integer")}, {"format", Str("int64")}});
      case F::TYPE_INT64:
      case F::TYPE_SINT64:
      case F::TYPE_SFIXED64:
      case F::TYPE_UINT64:
      case F::TYPE_FIXED64:
        return Obj({{"type", Str("string")}, {"format", Str("int64")}});
      case F::TYPE_DOUBLE:
        return Obj({{"type", Str("number")}, {"format", Str("double")}});
      case F::TYPE_FLOAT:
        return Obj({{"type", Str("number")}, {"format", Str("float")}});
      case F::TYPE_ENUM:
        AddEnum(f->enum_type());
        return Ref("schemas", f->enum_type()->full_name());
      case F::TYPE_MESSAGE:
      case F::TYPE_GROUP:
        return MessageSchema(f->message_type());
    }
    return Obj();
  }

  pb::Value MessageSchema(const pb::Descriptor* d) {
    const std::string& n = d->full_name();
    if (n == "google.protobuf.Timestamp") {
      return Obj({{"type", Str("string")}, {"format", Str("date-time")}});
    }
    if (n == "google.protobuf.Duration") {
      return Obj({{"type", Str("string")}, {"example", Str("3.5s")}});
    }
    if (n == "google.protobuf.FieldMask") {
      return Obj({{"type", Str("string")}, {"description", Str("comma-separated field paths")}});
    }
    if (n == "google.protobuf.Struct") {
      return Obj({{"type", Str("object")}, {"additionalProperties", Bool(true)}});
    }
    if (n == "google.protobuf.Value") return Obj({{"description", Str("any JSON value")}});
    if (n == "google.protobuf.ListValue") {
      return Obj({{"type", Str("array")}, {"items", Obj()}});
    }
    if (n == "google.protobuf.Empty") return Obj({{"type", Str("object")}});
    if (n == "google.protobuf.Any") {
      return Obj({{"type", Str("object")},
                  {"properties", Obj({{"@type", Obj({{"type", Str("string")}})}})},
                  {"additionalProperties", Bool(true)}});
    }
    if (IsScalarLike(d)) return FieldSchema(d->FindFieldByName("value"), true);  // wrappers
    AddMessage(d);
    return Ref("schemas", n);
  }

  void AddEnum(const pb::EnumDescriptor* e) {
    pb::Value& schemas = At(At(doc_, "components"), "schemas");
    if (schemas.struct_value().fields().count(e->full_name()) > 0) return;
    pb::Value values = List();
    for (int i = 0; i < e->value_count(); ++i) Push(values, Str(e->value(i)->name()));
    At(schemas, e->full_name()) = Obj({{"type", Str("string")},
                                       {"enum", std::move(values)},
                                       {"description", Str("by name (a number is accepted too)")}});
  }

  void AddMessage(const pb::Descriptor* d) {
    pb::Value& schemas = At(At(doc_, "components"), "schemas");
    if (schemas.struct_value().fields().count(d->full_name()) > 0) return;
    At(schemas, d->full_name()) = Obj();  // placeholder: recursive types end here
    pb::Value props = Obj();
    for (int i = 0; i < d->field_count(); ++i) {
      const pb::FieldDescriptor* f = d->field(i);
      At(props, f->json_name()) = FieldSchema(f, false);
    }
    pb::Value schema = Obj({{"type", Str("object")}, {"properties", std::move(props)}});
    if (d->field_count() == 0) schema = Obj({{"type", Str("object")}});
    At(At(At(doc_, "components"), "schemas"), d->full_name()) = std::move(schema);
  }

  pb::Value doc_;
};

}  // namespace

std::string OpenApiPath(const PathTemplate& t) { return Spell(t).first; }

absl::StatusOr<std::string> OpenApiJson(const RouteTable& routes) {
  return Generator().Run(routes);
}

}  // namespace certpath::gateway
