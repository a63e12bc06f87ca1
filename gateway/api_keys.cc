#include "gateway/api_keys.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath::gateway {

const Policy& GatewayPolicy() {
  constexpr Scope T = Scope::kTenant;
  static const Policy kPolicy("gateway", {
                                             {"CreateApiKey", T, kAdminRole, "api key"},
                                             {"ListApiKeys", T, kAdminRole, "api key"},
                                             {"RevokeApiKey", T, kAdminRole, "api key"},
                                         });
  return kPolicy;
}

namespace {
constexpr absl::Duration kCacheFor = absl::Seconds(5);

std::string LookupKey(const std::string& sha256_hex) { return "gw:apikeys:" + sha256_hex; }

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}
}  // namespace

// ------------------------------------------------------------------ store

absl::StatusOr<gv1::ApiKey> ApiKeyStore::Create(const std::string& tenant, const std::string& id,
                                                const gv1::ApiKey& key,
                                                const std::string& sha256_hex, const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  int64_t ord = PutStored<gv1::ApiKey>(b, keys_.Key(tenant, "apikey", id), nullptr, key,
                                       keys_.Ordinals(tenant), "api key");
  b.ZAdd(keys_.Index(tenant, "apikeys"), ord, id);
  b.ExpectVersion(LookupKey(sha256_hex), 0, "api key");
  b.Put(LookupKey(sha256_hex), 1, absl::StrCat(tenant, "|", id), 0);
  b.Response(key.SerializeAsString());
  gv1::ApiKey out;
  if (auto r = CommitInto(b, &out); !r.ok()) return r.status();
  return out;
}

absl::StatusOr<absl::optional<Stored<gv1::ApiKey>>> ApiKeyStore::Get(const std::string& tenant,
                                                                     const std::string& id) {
  return Read<gv1::ApiKey>(keys_.Key(tenant, "apikey", id));
}

absl::StatusOr<gv1::ApiKey> ApiKeyStore::Save(const std::string& tenant, const std::string& id,
                                              const Stored<gv1::ApiKey>& before,
                                              const gv1::ApiKey& after) {
  Batch b;
  PutStored(b, keys_.Key(tenant, "apikey", id), &before, after, keys_.Ordinals(tenant), "api key");
  if (auto r = Commit(b); !r.ok()) return r.status();
  return after;
}

absl::StatusOr<ListPage> ApiKeyStore::List(const std::string& tenant, int64_t after, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "apikeys");
  q.record_prefix = keys_.Prefix(tenant) + "apikey:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<absl::optional<std::string>> ApiKeyStore::Lookup(const std::string& sha256_hex) {
  auto r = records_.Read(LookupKey(sha256_hex));
  if (!r.ok()) return r.status();
  if (!r->found()) return absl::optional<std::string>();
  return absl::optional<std::string>(r->data);
}

absl::Status ApiKeyStore::MarkUsed(const std::string& tenant, const std::string& id,
                                   int64_t unix_ms) {
  auto r = records_.redis().Command(
      {"HSET", keys_.Prefix(tenant) + "apikey_used", id, std::to_string(unix_ms)});
  return r.ok() ? absl::OkStatus() : r.status();
}

absl::StatusOr<std::map<std::string, int64_t>> ApiKeyStore::LastUsed(const std::string& tenant) {
  auto r = records_.redis().Command({"HGETALL", keys_.Prefix(tenant) + "apikey_used"});
  if (!r.ok()) return r.status();
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < r->elements.size(); i += 2) {
    int64_t ms = 0;
    if (absl::SimpleAtoi(r->elements[i + 1].str, &ms)) out[r->elements[i].str] = ms;
  }
  return out;
}

// ------------------------------------------------------------------ API

ApiKeyApi::ApiKeyApi(ApiKeyStore& store, const Clock& clock, const PageTokenCodec& tokens,
                     const WriteGate& gate)
    : store_(store),
      clock_(clock),
      tokens_(tokens),
      writable_(gate, [this](const std::string& t) { return store_.RegisterTenant(t); }) {}

namespace {
absl::Status CheckTenant(const Principal& p, const std::string& parent, const char* method) {
  auto ids = ParseName("parent", parent, {"tenants"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("tenant");
  if (auto s = GatewayPolicy().Allow(p, method); !s.ok()) return s;
  // A leaked key must not be able to mint the next one.
  if (p.via_api_key()) return PermissionDenied("API keys cannot manage API keys");
  return absl::OkStatus();
}
}  // namespace

absl::Status ApiKeyApi::CreateApiKey(const Principal& p, const gv1::CreateApiKeyRequest& req,
                                     gv1::CreateApiKeyResponse* out) {
  if (auto s = CheckTenant(p, req.parent(), "CreateApiKey"); !s.ok()) return s;
  const gv1::ApiKey& in = req.api_key();
  FieldViolations v;
  CheckText(v, "api_key.display_name", in.display_name(), 100, /*required=*/true);
  CheckText(v, "api_key.subject", in.subject(), 200, /*required=*/true);
  CheckText(v, "api_key.organization", in.organization(), 64);
  CheckRequestId(v, req.request_id());
  const auto role = in.role();
  if (role != Principal::ROLE_OFFICE_ADMIN && role != Principal::ROLE_CONSULTANT &&
      role != Principal::ROLE_PARTNER && role != Principal::ROLE_CLIENT) {
    v.Add("api_key.role", "one of ROLE_OFFICE_ADMIN, ROLE_CONSULTANT, ROLE_PARTNER, ROLE_CLIENT");
  }
  if ((role == Principal::ROLE_PARTNER || role == Principal::ROLE_CLIENT) &&
      in.organization().empty()) {
    v.Add("api_key.organization", "required for partner and client keys");
  }
  absl::Time now = clock_.Now();
  if (in.has_expire_time() && ToTime(in.expire_time()) <= now) {
    v.Add("api_key.expire_time", "must be in the future");
  }
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = writable_.Check(p.tenant()); !s.ok()) return s;
  std::string secret = "cpk_" + Base64UrlEncode(RandomBytes(32));
  std::string id = RandomHex(8);
  gv1::ApiKey key;
  key.set_name(absl::StrCat("tenants/", p.tenant(), "/apiKeys/", id));
  key.set_display_name(in.display_name());
  key.set_role(role);
  key.set_organization(in.organization());
  key.set_subject(in.subject());
  if (in.has_expire_time()) *key.mutable_expire_time() = in.expire_time();
  *key.mutable_create_time() = ToTimestamp(now);
  key.set_created_by(p.subject());
  key.set_key_prefix(secret.substr(0, 8));
  // The stored answer of a retry holds the key's record, never the key itself.
  auto created = store_.Create(p.tenant(), id, key, HexEncode(Sha256(secret)),
                               store_.MakeIdem(p.tenant(), p, req.request_id(), req));
  if (!created.ok()) return created.status();
  *out->mutable_api_key() = *std::move(created);
  if (out->api_key().create_time().seconds() == key.create_time().seconds() &&
      out->api_key().name() == key.name()) {
    out->set_key(secret);  // a first answer; a replay has no key to show
  }
  return absl::OkStatus();
}

absl::Status ApiKeyApi::ListApiKeys(const Principal& p, const gv1::ListApiKeysRequest& req,
                                    gv1::ListApiKeysResponse* out) {
  if (auto s = CheckTenant(p, req.parent(), "ListApiKeys"); !s.ok()) return s;
  auto used = store_.LastUsed(p.tenant());
  if (!used.ok()) return used.status();
  auto s = ListPaged<gv1::ListApiKeysResponse, gv1::ApiKey>(
      tokens_, req.page_size(), req.page_token(), {"apikeys", req.parent()},
      [&](int64_t after, int limit) { return store_.List(p.tenant(), after, limit); }, out,
      &gv1::ListApiKeysResponse::add_api_keys, DecodeRecord<gv1::ApiKey>);
  if (!s.ok()) return s;
  for (auto& k : *out->mutable_api_keys()) {
    auto it = used->find(LastSegment(k.name()));
    if (it != used->end())
      *k.mutable_last_used_time() = ToTimestamp(absl::FromUnixMillis(it->second));
  }
  return absl::OkStatus();
}

absl::Status ApiKeyApi::RevokeApiKey(const Principal& p, const gv1::RevokeApiKeyRequest& req,
                                     gv1::ApiKey* out) {
  auto ids = ParseName("name", req.name(), {"tenants", "apiKeys"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant()) return NotFound("api key");
  if (auto s = GatewayPolicy().Allow(p, "RevokeApiKey"); !s.ok()) return s;
  if (p.via_api_key()) return PermissionDenied("API keys cannot manage API keys");
  FieldViolations v;
  CheckText(v, "reason", req.reason(), 500);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  if (auto s = writable_.Check(p.tenant()); !s.ok()) return s;
  auto got = store_.Get(p.tenant(), (*ids)[1]);
  if (!got.ok()) return got.status();
  if (!got->has_value()) return NotFound("api key");
  gv1::ApiKey k = (*got)->value;
  if (k.revoked()) {
    *out = k;
    return absl::OkStatus();
  }
  k.set_revoked(true);
  *k.mutable_revoke_time() = ToTimestamp(clock_.Now());
  k.set_revoked_by(p.subject());
  auto saved = store_.Save(p.tenant(), (*ids)[1], **got, k);
  if (!saved.ok()) return saved.status();
  *out = *std::move(saved);
  return absl::OkStatus();
}

// ------------------------------------------------------------------ resolver

std::optional<absl::StatusOr<Principal>> ApiKeyResolver::ResolveCached(const std::string& key) {
  const std::string hash = HexEncode(Sha256(key));
  const absl::Time now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (auto bad = bad_.find(hash); bad != bad_.end() && now - bad->second < kCacheFor) {
    return Unauthenticated("missing or invalid credentials");
  }
  auto it = cache_.find(hash);
  if (it == cache_.end() || now - it->second.fetched >= kCacheFor || now >= it->second.expires ||
      now - it->second.last_marked > absl::Minutes(1)) {
    return std::nullopt;
  }
  return it->second.principal;
}

absl::StatusOr<Principal> ApiKeyResolver::Resolve(const std::string& key) {
  const absl::Status denied = Unauthenticated("missing or invalid credentials");
  const std::string hash = HexEncode(Sha256(key));
  absl::Time now = clock_.Now();
  std::string mark_tenant, mark_id;
  absl::Time last_marked = absl::InfinitePast();
  std::optional<absl::StatusOr<Principal>> principal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto bad = bad_.find(hash); bad != bad_.end() && now - bad->second < kCacheFor) {
      return denied;
    }
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      last_marked = it->second.last_marked;
      if (now - it->second.fetched < kCacheFor && now < it->second.expires) {
        if (now - it->second.last_marked > absl::Minutes(1)) {
          it->second.last_marked = now;
          mark_tenant = it->second.tenant;
          mark_id = it->second.id;
        }
        principal = it->second.principal;
      }
    }
  }
  if (principal.has_value()) {  // from the cache; the last-use mark outside the lock
    if (!mark_id.empty()) (void)store_.MarkUsed(mark_tenant, mark_id, absl::ToUnixMillis(now));
    return *std::move(principal);
  }
  // Both reads happen for every key, known or not, so the answer takes as
  // long either way.
  Entry e;
  e.fetched = now;
  e.last_marked = last_marked;
  e.principal = denied;
  auto found = store_.Lookup(hash);
  if (!found.ok()) return Error(absl::StatusCode::kUnavailable, "UNAVAILABLE", "try again");
  std::vector<std::string> parts;
  if (found->has_value()) parts = absl::StrSplit(**found, '|');
  if (parts.size() != 2) parts = {"-", "-"};
  e.tenant = parts[0];
  e.id = parts[1];
  auto rec = store_.Get(e.tenant, e.id);
  if (!rec.ok()) return Error(absl::StatusCode::kUnavailable, "UNAVAILABLE", "try again");
  if (found->has_value() && rec->has_value()) {
    const gv1::ApiKey& k = (*rec)->value;
    bool expired = k.has_expire_time() && ToTime(k.expire_time()) <= now;
    if (k.has_expire_time()) e.expires = ToTime(k.expire_time());
    if (!k.revoked() && !expired) {
      Principal p;
      p.set_tenant(e.tenant);
      p.set_subject(k.subject());
      p.set_role(k.role());
      p.set_organization(k.organization());
      p.set_via_api_key(true);
      e.principal = p;
    }
  }
  bool mark = e.principal.ok() && now - e.last_marked > absl::Minutes(1);
  if (mark) e.last_marked = now;
  absl::StatusOr<Principal> out = e.principal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (out.ok()) {
      cache_[hash] = e;  // real keys: as many as an office creates
    } else {
      if (bad_.size() > 10000) bad_.clear();  // a flood of guesses never evicts real keys
      bad_[hash] = now;
      cache_.erase(hash);
    }
  }
  if (mark) (void)store_.MarkUsed(e.tenant, e.id, absl::ToUnixMillis(now));
  return out;
}

}  // namespace certpath::gateway
