// Clients (貴社): create, read, list, update (AIP-134), delete one without
// engagements, erase its personal data.
#include "absl/strings/str_cat.h"
#include "services/common/act.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"
#include "services/engagements/domain/rules.h"
#include "services/engagements/internal.h"
#include "services/engagements/service.h"

namespace certpath::engagements {
namespace {

using internal::kLongText;
using internal::kMaxListItems;
using internal::kShortText;
using internal::Ts;

constexpr const char* kClientPaths[] = {"display_name", "departments", "contacts"};
constexpr char kErased[] = "（消去済み）";
constexpr int kMaxEngagementsPerClient = 200;

// Checks the client fields named by `mask` (all of them when null).
void CheckClientFields(FieldViolations& v, const v1::Client& c,
                       const google::protobuf::FieldMask* mask = nullptr) {
  auto masked = [&](const char* path) { return mask == nullptr || MaskHas(*mask, path); };
  if (masked("display_name")) {
    CheckText(v, "client.display_name", c.display_name(), kShortText, /*required=*/true);
  }
  if (masked("departments")) {
    if (c.departments_size() > static_cast<int>(kMaxListItems)) {
      v.Add("client.departments", "too many");
    }
    for (int i = 0; i < c.departments_size(); ++i) {
      CheckText(v, absl::StrCat("client.departments[", i, "]"), c.departments(i), kShortText, true);
    }
  }
  if (!masked("contacts")) return;
  if (c.contacts_size() > static_cast<int>(kMaxListItems)) v.Add("client.contacts", "too many");
  for (int i = 0; i < c.contacts_size(); ++i) {
    const auto& ct = c.contacts(i);
    std::string f = absl::StrCat("client.contacts[", i, "]");
    CheckText(v, f + ".display_name", ct.display_name(), kShortText, true);
    CheckText(v, f + ".email", ct.email(), 254);
    if (!ct.email().empty() && ct.email().find('@') == std::string::npos) {
      v.Add(f + ".email", "not an e-mail address");
    }
    CheckText(v, f + ".department", ct.department(), kShortText);
    if (!v1::ContactRole_IsValid(ct.role()) || ct.role() == v1::CONTACT_ROLE_UNSPECIFIED) {
      v.Add(f + ".role", "unknown contact role");
    }
  }
}

}  // namespace

absl::Status EngagementsApi::CreateClient(const Principal& p, const v1::CreateClientRequest& req,
                                          v1::Client* out) {
  if (auto s = CheckTenantParent(p, req.parent(), "CreateClient"); !s.ok()) return s;
  FieldViolations v;
  CheckClientFields(v, req.client());
  CheckRequestId(v, req.request_id());
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  std::string id = RandomHex(8);
  v1::Client c;
  c.set_name(absl::StrCat("tenants/", p.tenant(), "/clients/", id));
  c.set_display_name(req.client().display_name());
  *c.mutable_departments() = req.client().departments();
  *c.mutable_contacts() = req.client().contacts();
  absl::Time now = clock_.Now();
  *c.mutable_create_time() = Ts(now);
  *c.mutable_update_time() = Ts(now);
  auto created =
      store_.CreateClient(p.tenant(), id, c, store_.MakeIdem(p.tenant(), p, req.request_id(), req));
  if (!created.ok()) return created.status();
  *out = *std::move(created);
  return absl::OkStatus();
}

absl::Status EngagementsApi::GetClient(const Principal& p, const v1::GetClientRequest& req,
                                       v1::Client* out) {
  auto c = LoadClient(p, "name", req.name(), "GetClient");
  if (!c.ok()) return c.status();
  *out = std::move(c->value);
  return absl::OkStatus();
}

absl::Status EngagementsApi::ListClients(const Principal& p, const v1::ListClientsRequest& req,
                                         v1::ListClientsResponse* out) {
  if (auto s = CheckTenantParent(p, req.parent(), "ListClients"); !s.ok()) return s;
  return ListPaged<v1::ListClientsResponse, v1::Client>(
      tokens_, req.page_size(), req.page_token(), {"clients", req.parent()},
      [&](int64_t after, int limit) { return store_.ListClients(p.tenant(), after, limit); }, out,
      &v1::ListClientsResponse::add_clients, DecodeWithEtag<v1::Client>);
}

absl::Status EngagementsApi::UpdateClient(const Principal& p, const v1::UpdateClientRequest& req,
                                          v1::Client* out) {
  const std::string& name = req.client().name();
  FieldViolations v;
  CheckUpdateMask(v, req.update_mask(), kClientPaths);
  // AIP-134: only the masked fields are read, so only they are checked.
  CheckClientFields(v, req.client(), &req.update_mask());
  auto ids = ParseName("client.name", name, {"tenants", "clients"});
  if (!ids.ok()) return ids.status();
  if (auto s = SeeClient(p, (*ids)[0], (*ids)[1], "UpdateClient"); !s.ok()) return s;
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = CheckWritable(p); !s.ok()) return s;
  return Act<v1::Client>(
      store_, Idem{}, req.client().etag(),
      [&] { return LoadClient(p, "client.name", name, "UpdateClient"); },
      [&](const Stored<v1::Client>& before) -> absl::Status {
        v1::Client c = before.value;
        FieldViolations mv;
        ApplyUpdateMask(mv, req.update_mask(), kClientPaths, req.client(), &c);
        if (auto s = mv.ToStatus(); !s.ok()) return s;
        *c.mutable_update_time() = Ts(clock_.Now());
        auto saved = store_.SaveClient((*ids)[0], (*ids)[1], c, before, Idem{});
        if (!saved.ok()) return saved.status();
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

absl::Status EngagementsApi::DeleteClient(const Principal& p, const v1::DeleteClientRequest& req,
                                          v1::Client* out) {
  auto ids = AdminClientAction(p, "DeleteClient", req.name(), req.reason(), req.request_id());
  if (!ids.ok()) return ids.status();
  Idem idem = store_.MakeIdem((*ids)[0], p, req.request_id(), req);
  // The client is gone after the first call: its retry is answered before any read.
  auto replay = store_.ReadReplay(idem);
  if (!replay.ok()) return replay.status();
  if (replay->has_value()) {
    return out->ParseFromString(**replay) ? absl::OkStatus()
                                          : absl::InternalError("corrupt replay");
  }
  auto before = LoadClient(p, "name", req.name(), "DeleteClient");
  if (!before.ok()) return before.status();
  if (!req.etag().empty() && req.etag() != before->value.etag()) return EtagMismatch();
  v1::Client tombstone;
  tombstone.set_name(before->value.name());
  tombstone.set_display_name(before->value.display_name());
  *tombstone.mutable_create_time() = before->value.create_time();
  tombstone.set_deleted_by(p.subject());
  *tombstone.mutable_delete_time() = Ts(clock_.Now());
  tombstone.set_delete_reason(req.reason());
  auto deleted = store_.DeleteClient((*ids)[0], (*ids)[1], *before, tombstone, idem);
  if (!deleted.ok()) {
    if (ErrorReason(deleted.status()) == "HAS_DEPENDENTS") {
      return FailedPrecondition("CLIENT_HAS_ENGAGEMENTS",
                                "the client has engagements; only a client without engagements "
                                "is deleted (erase its personal data instead)");
    }
    return deleted.status();
  }
  *out = *std::move(deleted);
  return absl::OkStatus();
}

absl::Status EngagementsApi::EraseClientPersonalData(const Principal& p,
                                                     const v1::EraseClientPersonalDataRequest& req,
                                                     v1::Client* out) {
  const char* kMethod = "EraseClientPersonalData";
  auto ids = AdminClientAction(p, kMethod, req.name(), req.reason(), req.request_id());
  if (!ids.ok()) return ids.status();
  return Act<v1::Client>(
      store_, store_.MakeIdem((*ids)[0], p, req.request_id(), req), "",
      [&] { return LoadClient(p, "name", req.name(), kMethod); },
      [&](const Stored<v1::Client>& before) -> absl::Status {
        auto engagements =
            store_.EngagementsOfClient((*ids)[0], (*ids)[1], kMaxEngagementsPerClient);
        if (!engagements.ok()) return engagements.status();
        absl::Time now = clock_.Now();
        v1::Client c = before.value;
        for (auto& ct : *c.mutable_contacts()) {
          ct.set_display_name(kErased);
          ct.clear_email();
        }
        c.set_erased_by(p.subject());
        *c.mutable_erase_time() = Ts(now);
        c.set_erasure_reason(req.reason());
        *c.mutable_update_time() = Ts(now);
        std::vector<std::pair<Stored<v1::Engagement>, v1::Engagement>> changed;
        v1::ClientPersonalDataErased erased;
        erased.set_client(c.name());
        *erased.mutable_erase_time() = Ts(now);
        for (auto& e : *engagements) {
          erased.add_engagements(e.value.name());
          v1::Engagement after = e.value;
          for (std::string* person :
               {after.mutable_contact(), after.mutable_management_representative(),
                after.mutable_secretariat()}) {
            if (!person->empty()) *person = kErased;
          }
          *after.mutable_update_time() = Ts(now);
          changed.emplace_back(std::move(e), std::move(after));
        }
        // Other services erase what they hold of its people (scheduling: visits' attendees).
        google::protobuf::Any payload;
        payload.PackFrom(erased);
        auto events = Envelopes((*ids)[0], c.name(), before.version + 1, {payload});
        auto saved = store_.SaveClient((*ids)[0], (*ids)[1], c, before,
                                       store_.MakeIdem((*ids)[0], p, req.request_id(), req),
                                       &changed, events);
        if (!saved.ok()) return saved.status();
        Published(events);
        *out = *std::move(saved);
        return absl::OkStatus();
      },
      out);
}

}  // namespace certpath::engagements
