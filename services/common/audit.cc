#include "services/common/audit.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/common/crypto.h"
#include "services/common/list_page.h"
#include "services/common/log.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace certpath {

namespace pb = google::protobuf;

namespace {

constexpr int kChunk = 500;

const RedisScript& SealScript() {
  // KEYS: head, hashes. ARGV: expected sealed seq, expected hash, then seq/hash pairs.
  static const RedisScript kScript(R"lua(
local head = redis.call('HMGET', KEYS[1], 's', 'h')
if (head[1] or '0') ~= ARGV[1] or (head[2] or '') ~= ARGV[2] then return 0 end
local n = 0
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i+1])
  n = n + 1
end
redis.call('HSET', KEYS[1], 's', ARGV[#ARGV-1], 'h', ARGV[#ARGV])
return n
)lua");
  return kScript;
}

std::string SerializeDeterministic(const pb::Message& m) {
  std::string out;
  pb::io::StringOutputStream stream(&out);
  pb::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

int64_t AsInt(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) return r.integer;
  int64_t v = 0;
  return absl::SimpleAtoi(r.str, &v) ? v : 0;
}

// Entries first..last (hashes too): one round trip.
struct Stretch {
  std::vector<absl::optional<cv1::AuditEntry>> entries;  // nullopt: absent or unparsable
  std::vector<std::string> raw_present;                  // "1" when the field exists
  std::vector<std::string> hashes;
};

}  // namespace

std::vector<std::string> ChangedFields(const pb::Message* before, const pb::Message& after) {
  std::vector<std::string> out;
  const pb::Descriptor* d = after.GetDescriptor();
  const pb::Reflection* r = after.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->name() == "etag") continue;
    if (before == nullptr) {
      if (f->is_repeated() ? r->FieldSize(after, f) > 0 : r->HasField(after, f)) {
        out.push_back(f->name());
      }
      continue;
    }
    pb::util::MessageDifferencer diff;
    if (!diff.CompareWithFields(*before, after, {f}, {f})) out.push_back(f->name());
  }
  return out;
}

std::string ResourceName(const pb::Message& m) {
  const auto* f = m.GetDescriptor()->FindFieldByName("name");
  if (f == nullptr || f->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING || f->is_repeated()) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

std::string CanonicalAuditBytes(cv1::AuditEntry e) {
  e.clear_prev_hash();
  e.clear_hash();
  return SerializeDeterministic(e);
}

std::string ChainHash(const std::string& prev_hex, const cv1::AuditEntry& e) {
  std::string prev(32, '\0');
  if (!prev_hex.empty()) {
    // A stored hash is 64 hex digits; anything else (tampered) is hashed as it
    // is, so it can only fail to match — never stop the sealer.
    bool hex = prev_hex.size() == 64 && std::all_of(prev_hex.begin(), prev_hex.end(), [](char c) {
                 return absl::ascii_isxdigit(static_cast<unsigned char>(c));
               });
    prev = hex ? absl::HexStringToBytes(prev_hex) : prev_hex;
  }
  return HexEncode(Sha256(prev + CanonicalAuditBytes(e)));
}

std::string AuditTrail::Key(const std::string& tenant, const char* part) const {
  return keys_.Prefix(tenant) + "audit:" + part;
}

namespace {
std::atomic<bool> audit_disabled{false};
}  // namespace

void AuditTrail::DisableForBenchmarks() { audit_disabled.store(true); }

void AuditTrail::Append(Batch& b) const {
  if (audit_disabled.load(std::memory_order_relaxed)) return;
  const CallContext* call = CurrentCall();
  if (call == nullptr || call->principal == nullptr || !b.writes()) return;
  const Principal& p = *call->principal;
  cv1::AuditEntry e;
  *e.mutable_time() = ToTimestamp(call->start);
  e.set_service(service_);
  e.set_tenant(p.tenant());
  e.set_subject(p.subject());
  e.set_role(p.role());
  e.set_organization(p.organization());
  e.set_method(call->method);
  e.set_resource(b.resource().empty() ? call->target : b.resource());
  e.set_request_id(call->request_id);
  e.set_trace_id(call->trace_id);
  for (const auto& path : b.changed_paths()) e.add_changed_paths(path);
  for (const auto& r : b.other_resources()) e.add_other_resources(r);
  b.Audit(Key(p.tenant(), "seq"), Key(p.tenant(), "e"), SerializeDeterministic(e));
}

absl::StatusOr<AuditTrail::Head> AuditTrail::ReadHead(const std::string& tenant) {
  auto r = redis_.Pipeline({{"HMGET", Key(tenant, "head"), "s", "h"}, {"GET", Key(tenant, "seq")}});
  if (!r.ok()) return r.status();
  const auto& head = (*r)[0];
  if (head.is_error() || head.elements.size() != 2) return absl::InternalError("audit head");
  Head h;
  h.sealed = head.elements[0].is_nil() ? 0 : AsInt(head.elements[0]);
  h.hash = head.elements[1].is_nil() ? "" : head.elements[1].str;
  h.allocated = (*r)[1].is_nil() ? 0 : AsInt((*r)[1]);
  return h;
}

namespace {
// Reads entries and hashes first..last in one round trip.
absl::StatusOr<Stretch> ReadStretch(RedisPool& redis, const std::string& ekey,
                                    const std::string& hkey, int64_t first, int64_t last) {
  RedisPool::Args e = {"HMGET", ekey}, h = {"HMGET", hkey};
  std::vector<std::string> fields;
  for (int64_t k = first; k <= last; ++k) fields.push_back(std::to_string(k));
  for (const auto& f : fields) {
    e.push_back(f);
    h.push_back(f);
  }
  auto r = redis.Pipeline({e, h});
  if (!r.ok()) return r.status();
  Stretch s;
  for (size_t i = 0; i < fields.size(); ++i) {
    const auto& er = (*r)[0].elements;
    const auto& hr = (*r)[1].elements;
    if (i >= er.size() || i >= hr.size()) return absl::InternalError("audit: short reply");
    s.raw_present.push_back(er[i].is_nil() ? "" : "1");
    cv1::AuditEntry entry;
    if (!er[i].is_nil() && entry.ParseFromString(er[i].str)) {
      s.entries.emplace_back(std::move(entry));
    } else {
      s.entries.emplace_back();
    }
    s.hashes.push_back(hr[i].is_nil() ? "" : hr[i].str);
  }
  return s;
}
}  // namespace

absl::StatusOr<int64_t> AuditTrail::Seal(const std::string& tenant, int max) {
  auto head = ReadHead(tenant);
  if (!head.ok()) return head.status();
  if (head->allocated <= head->sealed) return 0;
  int64_t last = std::min<int64_t>(head->allocated, head->sealed + max);
  auto st = ReadStretch(redis_, Key(tenant, "e"), Key(tenant, "h"), head->sealed + 1, last);
  if (!st.ok()) return st.status();
  std::vector<std::string> owned;  // what `args` views
  owned.reserve(2 * st->entries.size());
  const std::string sealed = std::to_string(head->sealed);
  RedisPool::Args args = {sealed, head->hash};
  std::string prev = head->hash;
  for (size_t i = 0; i < st->entries.size(); ++i) {
    int64_t seq = head->sealed + 1 + static_cast<int64_t>(i);
    const auto& e = st->entries[i];
    // Not yet written (its step still running) or not what a step writes: stop here.
    if (!e || e->sequence() != seq) {
      // Every allocated sequence has its entry (written in the same step): one
      // missing or out of place was tampered with. The chain stops here until
      // someone looks (VerifyAuditTrail reports it).
      bool first_report;
      {
        std::lock_guard<std::mutex> lock(mu_);
        first_report = std::exchange(stuck_[tenant], seq) != seq;
      }
      if (first_report) {
        log::Error("audit entry cannot be sealed: missing, malformed or out of place",
                   {{"service", service_}, {"tenant", tenant}, {"sequence", std::to_string(seq)}});
      }
      break;
    }
    prev = ChainHash(prev, *e);
    owned.push_back(std::to_string(seq));
    owned.push_back(prev);
  }
  if (owned.empty()) return 0;
  for (const auto& o : owned) args.push_back(o);
  auto r = redis_.Eval(SealScript(), {Key(tenant, "head"), Key(tenant, "h")}, args);
  if (!r.ok()) return r.status();
  if (r->is_error()) return absl::InternalError("audit seal: " + r->str);
  return r->integer;
}

absl::StatusOr<ListPage> AuditTrail::List(const std::string& tenant, const Filter& f, int64_t after,
                                          int limit) {
  auto head = ReadHead(tenant);
  if (!head.ok()) return head.status();
  ListPage page;
  page.last = after;
  int64_t budget = 5000;
  while (static_cast<int>(page.records.size()) < limit && page.last < head->allocated &&
         budget > 0) {
    int64_t first = page.last + 1;
    int64_t last = std::min<int64_t>(head->allocated, first + kChunk - 1);
    // One entry before the stretch too: its hash is the first one's prev_hash.
    int64_t from = std::max<int64_t>(1, first - 1);
    auto st = ReadStretch(redis_, Key(tenant, "e"), Key(tenant, "h"), from, last);
    if (!st.ok()) return st.status();
    for (int64_t k = first; k <= last; ++k) {
      if (static_cast<int>(page.records.size()) == limit) break;
      size_t i = static_cast<size_t>(k - from);
      page.last = k;
      --budget;
      if (!st->entries[i]) continue;
      cv1::AuditEntry e = *st->entries[i];
      absl::Time t = FromTimestamp(e.time());
      if ((!f.resource.empty() && e.resource() != f.resource) ||
          (!f.subject.empty() && e.subject() != f.subject) || t < f.start || t >= f.end) {
        continue;
      }
      e.set_hash(st->hashes[i]);
      if (!e.hash().empty()) {
        e.set_prev_hash(k == 1 ? std::string(64, '0') : st->hashes[i - 1]);
      }
      Record rec;
      rec.data = e.SerializeAsString();
      rec.version = 1;
      rec.ordinal = k;
      page.records.push_back(std::move(rec));
    }
  }
  page.more = page.last < head->allocated;
  return page;
}

absl::StatusOr<cv1::VerifyAuditTrailResponse> AuditTrail::Verify(const std::string& tenant) {
  for (int i = 0; i < 1000; ++i) {  // seal what is there (bounded)
    auto n = Seal(tenant);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
  }
  auto head = ReadHead(tenant);
  if (!head.ok()) return head.status();
  cv1::VerifyAuditTrailResponse out;
  out.set_head_sequence(head->sealed);
  out.set_head_hash(head->hash);
  auto fail = [&](int64_t seq, cv1::AuditBreak::Kind kind, std::string detail) {
    out.set_intact(false);
    auto* b = out.mutable_first_break();
    b->set_sequence(seq);
    b->set_kind(kind);
    b->set_detail(std::move(detail));
    return out;
  };
  int64_t end = std::max(head->sealed, head->allocated);
  auto hlen = redis_.Command({"HLEN", Key(tenant, "e")});
  if (!hlen.ok()) return hlen.status();
  const int64_t stored = hlen->integer;
  std::string prev;
  for (int64_t first = 1; first <= end; first += kChunk) {
    int64_t last = std::min<int64_t>(end, first + kChunk);  // one more: the next entry's place
    auto st = ReadStretch(redis_, Key(tenant, "e"), Key(tenant, "h"), first, last);
    if (!st.ok()) return st.status();
    for (int64_t k = first; k <= std::min<int64_t>(end, first + kChunk - 1); ++k) {
      size_t i = static_cast<size_t>(k - first);
      const auto& e = st->entries[i];
      // The sequence field of the entry stored at j (-1: none there).
      auto seq_at = [&](int64_t j) -> int64_t {
        if (j >= first && j <= last) {
          const auto& x = st->entries[static_cast<size_t>(j - first)];
          return x ? x->sequence() : -1;
        }
        auto r = redis_.Command({"HGET", Key(tenant, "e"), std::to_string(j)});
        cv1::AuditEntry x;
        if (!r.ok() || r->is_nil() || !x.ParseFromString(r->str)) return -1;
        return x.sequence();
      };
      // Entries past the head were written after the seal above: their place is
      // checked (a removed unsealed entry stops the sealer for good), not their hash.
      if (!e) {
        // Entries 1..k-1 are all there: any entry beyond them means this one was taken out.
        bool any_later = stored > k - 1;
        return fail(
            k, any_later ? cv1::AuditBreak::DELETED : cv1::AuditBreak::TRUNCATED,
            st->raw_present[i] == "1" ? "the entry is not an audit entry" : "the entry is missing");
      }
      if (e->sequence() != k) {
        int64_t j = e->sequence();
        if (seq_at(j) == k) {
          return fail(k, cv1::AuditBreak::REORDERED,
                      absl::StrCat("entries ", k, " and ", j, " swapped places"));
        }
        if (j > k) {
          return fail(k, cv1::AuditBreak::DELETED,
                      absl::StrCat("entry ", j, " stands at ", k, ": entries were removed"));
        }
        return fail(k, cv1::AuditBreak::INSERTED,
                    absl::StrCat("entry ", j, " stands at ", k, ": an entry was inserted"));
      }
      if (k > head->sealed) continue;
      std::string h = ChainHash(prev, *e);
      if (h != st->hashes[i]) {
        if (seq_at(k + 1) == k) {
          return fail(k, cv1::AuditBreak::INSERTED,
                      "an entry that was not sealed here stands before the sealed one");
        }
        return fail(k, cv1::AuditBreak::EDITED,
                    st->hashes[i].empty() ? "the entry's hash is missing"
                                          : "the entry differs from what was sealed");
      }
      prev = h;
      out.set_entries_checked(k);
    }
  }
  if (head->sealed > 0 && (out.entries_checked() != head->sealed || prev != head->hash)) {
    return fail(head->sealed, cv1::AuditBreak::TRUNCATED, "the chain does not end at its head");
  }
  out.set_intact(true);
  return out;
}

void AuditTrail::Anchor(const std::string& tenant, absl::Duration every) {
  auto head = ReadHead(tenant);
  if (!head.ok() || head->sealed == 0) return;
  absl::Time now = absl::Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& [seq, when] = anchored_[tenant];
    if (seq == head->sealed || now - when < every) return;
    seq = head->sealed;
    when = now;
  }
  // "trail": the line's own "service" is the process's.
  log::Info("audit anchor", {{"trail", service_},
                             {"tenant", tenant},
                             {"sequence", std::to_string(head->sealed)},
                             {"hash", head->hash}});
}

// ------------------------------------------------------------------ API

absl::StatusOr<std::string> AuditApi::CheckParent(const Principal& p, const std::string& parent,
                                                  const char* method) const {
  auto ids = ParseName("parent", parent, {"tenants", "services"});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0] != p.tenant() || (*ids)[1] != trail_.service()) return NotFound("audit trail");
  if (auto s = policy_.Allow(p, method); !s.ok()) return s;
  return (*ids)[0];
}

absl::Status AuditApi::ListAuditEntries(const Principal& p, const cv1::ListAuditEntriesRequest& req,
                                        cv1::ListAuditEntriesResponse* out) {
  auto tenant = CheckParent(p, req.parent(), "ListAuditEntries");
  if (!tenant.ok()) return tenant.status();
  FieldViolations v;
  CheckText(v, "resource", req.resource(), 512);
  CheckText(v, "subject", req.subject(), 200);
  if (auto s = v.ToStatus(); !s.ok()) return s;
  AuditTrail::Filter f;
  f.resource = req.resource();
  f.subject = req.subject();
  if (req.has_start_time()) {
    f.start = FromTimestamp(req.start_time());
  }
  if (req.has_end_time()) {
    f.end = FromTimestamp(req.end_time());
  }
  std::string start = req.has_start_time() ? req.start_time().SerializeAsString() : "";
  std::string end = req.has_end_time() ? req.end_time().SerializeAsString() : "";
  return ListPaged<cv1::ListAuditEntriesResponse, cv1::AuditEntry>(
      tokens_, req.page_size(), req.page_token(),
      {"audit", req.parent(), req.resource(), req.subject(), start, end},
      [&](int64_t after, int limit) { return trail_.List(*tenant, f, after, limit); }, out,
      &cv1::ListAuditEntriesResponse::add_entries, DecodeRecord<cv1::AuditEntry>);
}

absl::Status AuditApi::VerifyAuditTrail(const Principal& p, const cv1::VerifyAuditTrailRequest& req,
                                        cv1::VerifyAuditTrailResponse* out) {
  auto tenant = CheckParent(p, req.parent(), "VerifyAuditTrail");
  if (!tenant.ok()) return tenant.status();
  auto r = trail_.Verify(*tenant);
  if (!r.ok()) return r.status();
  if (!r->intact()) {
    log::Error("audit trail broken",
               {{"service", trail_.service()},
                {"tenant", *tenant},
                {"sequence", std::to_string(r->first_break().sequence())},
                {"kind", cv1::AuditBreak::Kind_Name(r->first_break().kind())}});
  }
  *out = *std::move(r);
  return absl::OkStatus();
}

AuditSealer::AuditSealer(AuditTrail& trail, Tenants tenants, absl::Duration interval)
    : trail_(trail), tenants_(std::move(tenants)), loop_(interval, [this] {
        auto ts = tenants_();
        if (!ts.ok()) return;
        for (const auto& t : *ts) {
          for (int i = 0; i < 20; ++i) {
            auto n = trail_.Seal(t);
            if (!n.ok() || *n == 0) break;
          }
          trail_.Anchor(t, absl::Minutes(1));
        }
      }) {}

}  // namespace certpath
