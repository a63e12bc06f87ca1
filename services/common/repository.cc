#include "services/common/repository.h"

#include "absl/strings/str_cat.h"
#include "services/common/idempotency.h"
#include "services/common/validate.h"

namespace certpath {

std::string KeySpace::Prefix(const std::string& tenant) const {
  return absl::StrCat(service_, ":{t:", tenant, "}:");
}
std::string KeySpace::Key(const std::string& tenant, absl::string_view kind,
                          absl::string_view id) const {
  return absl::StrCat(Prefix(tenant), kind, ":", id);
}
std::string KeySpace::Index(const std::string& tenant, absl::string_view name) const {
  return absl::StrCat(Prefix(tenant), "idx:", name);
}
std::string KeySpace::Ordinals(const std::string& tenant) const { return Prefix(tenant) + "ord"; }
std::string KeySpace::Tenants() const { return service_ + ":tenants"; }

void AddIdem(Batch& b, const Idem& idem) {
  if (!idem.empty()) b.Idempotency(idem.key, idem.fingerprint, idem.ttl_seconds);
}

int64_t DayScore(absl::CivilDay d) { return d.year() * 10000 + d.month() * 100 + d.day(); }
absl::CivilDay DayFromScore(int64_t score) {
  return absl::CivilDay(score / 10000, score / 100 % 100, score % 100);
}

absl::Status Repository::RegisterTenant(const std::string& tenant) {
  auto r = records_.redis().Command({"SADD", keys_.Tenants(), tenant});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::vector<std::string>> Repository::Tenants() {
  auto r = records_.redis().Command({"SMEMBERS", keys_.Tenants()});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (const auto& e : r->elements) out.push_back(e.str);
  return out;
}

Idem Repository::MakeIdem(const std::string& tenant, const Principal& p,
                          const std::string& request_id, const google::protobuf::Message& request,
                          bool keep_for_good) const {
  if (request_id.empty()) return {};
  return Idem{IdempotencyKey(keys_.Prefix(tenant), p, request_id), Fingerprint(request),
              keep_for_good ? 0 : idem_ttl_};
}

absl::StatusOr<absl::optional<std::string>> Repository::ReadReplay(const Idem& idem) {
  if (idem.empty()) return absl::optional<std::string>();
  return records_.ReadIdempotency(idem.key, idem.fingerprint);
}

absl::optional<absl::Status> Repository::AnswerReplay(const Idem& idem,
                                                      google::protobuf::Message* out) {
  auto replay = ReadReplay(idem);
  if (!replay.ok()) return replay.status();
  if (!replay->has_value()) return absl::nullopt;
  return out->ParseFromString(**replay) ? absl::OkStatus() : absl::InternalError("corrupt replay");
}

absl::StatusOr<CommitResult> Repository::Commit(Batch& b) {
  audit_.Append(b);
  return records_.Commit(b);
}

absl::StatusOr<CommitResult> Repository::CommitInto(Batch& b, google::protobuf::Message* out) {
  auto r = Commit(b);
  if (!r.ok()) return r.status();
  if (out != nullptr && !out->ParseFromString(r->response)) {
    return absl::InternalError("corrupt response");
  }
  return r;
}

}  // namespace certpath
