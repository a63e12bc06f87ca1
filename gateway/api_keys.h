#pragma once
// API keys (proto/certpath/gateway/v1/api_keys.proto): the store, the
// ApiKeyService handlers (office admins), and the resolver the HTTP front
// door uses to turn "Bearer cpk_…" into the key's principal.
//
// Keys: gw:{t:T}:apikey:<id> (ApiKey), gw:{t:T}:idx:apikeys (ordinal → id),
// gw:{t:T}:apikey_used (id → unix ms, last use, written at most once a minute
// per replica), gw:apikeys:<sha256 hex> → "<tenant>|<id>" (the lookup, written
// in the same step as the key; the only key outside a tenant's slot: the
// gateway's Redis is not sharded).

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "certpath/gateway/v1/api_keys.pb.h"
#include "services/common/clock.h"
#include "services/common/page_token.h"
#include "services/common/policy.h"
#include "services/common/principal.h"
#include "services/common/repository.h"
#include "services/common/service_host.h"

namespace certpath::gateway {

namespace gv1 = certpath::gateway::v1;

const Policy& GatewayPolicy();

class ApiKeyStore : public Repository {
 public:
  ApiKeyStore(RecordStore& records, int64_t idempotency_ttl_seconds)
      : Repository(records, "gw", "gateway", idempotency_ttl_seconds) {}
  absl::StatusOr<gv1::ApiKey> Create(const std::string& tenant, const std::string& id,
                                     const gv1::ApiKey& key, const std::string& sha256_hex,
                                     const Idem& idem);
  absl::StatusOr<absl::optional<Stored<gv1::ApiKey>>> Get(const std::string& tenant,
                                                          const std::string& id);
  absl::StatusOr<gv1::ApiKey> Save(const std::string& tenant, const std::string& id,
                                   const Stored<gv1::ApiKey>& before, const gv1::ApiKey& after);
  absl::StatusOr<ListPage> List(const std::string& tenant, int64_t after, int limit);
  // "<tenant>|<id>" of the key with this hash (nullopt: none).
  absl::StatusOr<absl::optional<std::string>> Lookup(const std::string& sha256_hex);
  absl::Status MarkUsed(const std::string& tenant, const std::string& id, int64_t unix_ms);
  absl::StatusOr<std::map<std::string, int64_t>> LastUsed(const std::string& tenant);
};

class ApiKeyApi {
 public:
  ApiKeyApi(ApiKeyStore& store, const Clock& clock, const PageTokenCodec& tokens,
            const WriteGate& gate);
  absl::Status CreateApiKey(const Principal& p, const gv1::CreateApiKeyRequest& req,
                            gv1::CreateApiKeyResponse* out);
  absl::Status ListApiKeys(const Principal& p, const gv1::ListApiKeysRequest& req,
                           gv1::ListApiKeysResponse* out);
  absl::Status RevokeApiKey(const Principal& p, const gv1::RevokeApiKeyRequest& req,
                            gv1::ApiKey* out);

 private:
  ApiKeyStore& store_;
  const Clock& clock_;
  const PageTokenCodec& tokens_;
  WritableTenants writable_;
};

// "cpk_…" → the key's principal, cached for at most 5 s (so a revocation
// takes effect on every replica within 5 s). Unknown, revoked and expired
// keys are all the same UNAUTHENTICATED.
class ApiKeyResolver {
 public:
  ApiKeyResolver(ApiKeyStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  absl::StatusOr<Principal> Resolve(const std::string& key);
  // The same answer from the cache alone, when it has one and no Redis work
  // (a last-use mark) is due; nullopt: call Resolve.
  std::optional<absl::StatusOr<Principal>> ResolveCached(const std::string& key);

 private:
  struct Entry {
    absl::Time fetched;
    absl::StatusOr<Principal> principal;
    std::string tenant, id;
    absl::Time last_marked = absl::InfinitePast();
    absl::Time expires = absl::InfiniteFuture();  // the key's own expiry
  };
  ApiKeyStore& store_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;     // sha256 hex → entry (valid keys)
  std::map<std::string, absl::Time> bad_;  // sha256 hex → when refused (bounded)
};

}  // namespace certpath::gateway
