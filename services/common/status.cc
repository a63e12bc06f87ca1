#include "services/common/status.h"

#include "google/rpc/error_details.pb.h"

namespace certpath {

absl::Status Error(absl::StatusCode code, absl::string_view reason, absl::string_view message) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(kErrorDomain);
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status FieldViolations::ToStatus() const {
  if (items_.empty()) return absl::OkStatus();
  google::rpc::BadRequest bad;
  std::string message = "invalid request:";
  for (const auto& [field, description] : items_) {
    auto* v = bad.add_field_violations();
    v->set_field(field);
    v->set_description(description);
    message += " " + field + ": " + description + ";";
  }
  message.pop_back();
  absl::Status status = Error(absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT", message);
  status.SetPayload(kBadRequestUrl, absl::Cord(bad.SerializeAsString()));
  return status;
}

absl::Status InvalidArgument(std::string field, std::string description) {
  FieldViolations v;
  v.Add(std::move(field), std::move(description));
  return v.ToStatus();
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) return "";
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return "";
  return info.reason();
}

std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> out;
  auto payload = status.GetPayload(kBadRequestUrl);
  google::rpc::BadRequest bad;
  if (payload && bad.ParseFromString(std::string(*payload))) {
    for (const auto& v : bad.field_violations()) out.push_back(v.field());
  }
  return out;
}

}  // namespace certpath
