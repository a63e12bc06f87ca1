#include "services/documents/store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/validate.h"

namespace certpath::documents {
namespace {

std::string Str(int64_t n) { return std::to_string(n); }

// The engagement id in a document's name (tenants/T/engagements/E/documents/D).
std::string EngagementOf(const std::string& document_name) {
  auto parts = ParseName("name", document_name, {"tenants", "engagements", "documents"});
  return parts.ok() ? (*parts)[1] : "";
}

bool Waiting(const v1::DocumentVersion& v) {
  return v.state() == v1::VERSION_STATE_IN_REVIEW ||
         v.state() == v1::VERSION_STATE_AWAITING_ACCEPTANCE;
}

int64_t Seconds(const google::protobuf::Timestamp& t) { return t.seconds(); }

}  // namespace

// ------------------------------------------------------------------ reads

absl::StatusOr<std::vector<absl::optional<Stored<v1::TemplateVersion>>>>
DocumentStore::CurrentTemplates(const std::string& tenant, const std::vector<std::string>& codes) {
  std::vector<std::string> keys;
  for (const auto& c : codes) keys.push_back(keys_.Key(tenant, "tpl", c));
  auto records = records_.ReadMany(keys);
  if (!records.ok()) return records.status();
  std::vector<absl::optional<Stored<v1::TemplateVersion>>> out;
  for (const Record& r : *records) {
    auto& o = out.emplace_back();
    if (!r.found()) continue;
    auto s = DecodeStored<v1::TemplateVersion>(r);
    if (!s.ok()) return s.status();
    o = *std::move(s);
  }
  return out;
}

absl::StatusOr<absl::optional<Stored<v1::Document>>> DocumentStore::GetDocument(
    const std::string& tenant, const std::string& did) {
  return Read<v1::Document>(keys_.Key(tenant, "doc", did));
}

absl::StatusOr<
    std::pair<absl::optional<Stored<v1::Document>>, absl::optional<Stored<v1::DocumentVersion>>>>
DocumentStore::GetDocumentAndVersion(const std::string& tenant, const std::string& did, int n) {
  auto records = records_.ReadMany(
      {keys_.Key(tenant, "doc", did), keys_.Key(tenant, "ver", absl::StrCat(did, ":", n))});
  if (!records.ok()) return records.status();
  std::pair<absl::optional<Stored<v1::Document>>, absl::optional<Stored<v1::DocumentVersion>>> out;
  if ((*records)[0].found()) {
    auto d = DecodeStored<v1::Document>((*records)[0]);
    if (!d.ok()) return d.status();
    out.first = *std::move(d);
  }
  if ((*records)[1].found()) {
    auto v = DecodeStored<v1::DocumentVersion>((*records)[1]);
    if (!v.ok()) return v.status();
    out.second = *std::move(v);
  }
  return out;
}

absl::StatusOr<absl::optional<Stored<v1::DocumentVersion>>> DocumentStore::GetVersion(
    const std::string& tenant, const std::string& did, int n) {
  return Read<v1::DocumentVersion>(keys_.Key(tenant, "ver", absl::StrCat(did, ":", n)));
}

absl::StatusOr<std::set<std::string>> DocumentStore::ProvidedCodes(
    const std::string& tenant, const std::string& eid, const std::vector<std::string>& codes) {
  std::vector<std::string> keys;
  for (const auto& c : codes) keys.push_back(keys_.Key(tenant, "provided", eid + ":" + c));
  auto records = records_.ReadMany(keys);
  if (!records.ok()) return records.status();
  std::set<std::string> out;
  for (size_t i = 0; i < codes.size(); ++i) {
    if ((*records)[i].found()) out.insert(codes[i]);
  }
  return out;
}

absl::StatusOr<absl::optional<Stored<v1::ExistingForm>>> DocumentStore::GetForm(
    const std::string& tenant, const std::string& fid) {
  return Read<v1::ExistingForm>(keys_.Key(tenant, "form", fid));
}

absl::StatusOr<absl::optional<Stored<v1::StatementOfApplicability>>> DocumentStore::GetStatement(
    const std::string& tenant, const std::string& eid) {
  return Read<v1::StatementOfApplicability>(keys_.Key(tenant, "soa", eid));
}

absl::StatusOr<std::vector<Stored<v1::Document>>> DocumentStore::TemplateDocuments(
    const std::string& tenant, const std::string& eid, const std::vector<std::string>& codes) {
  std::vector<Stored<v1::Document>> out;
  for (int64_t after = 0; out.size() < codes.size();) {
    auto page = ListDocuments(tenant, eid, /*include_archived=*/false, after, 100);
    if (!page.ok()) return page.status();
    for (const Record& r : page->records) {
      auto d = DecodeStored<v1::Document>(r);
      if (!d.ok()) return d.status();
      if (std::find(codes.begin(), codes.end(), d->value.template_code()) != codes.end()) {
        out.push_back(*std::move(d));
      }
    }
    if (!page->more) break;
    after = page->last;
  }
  return out;
}

absl::StatusOr<bool> DocumentStore::Referenced(const std::string& tenant,
                                               const std::string& sha256) {
  auto r = records_.redis().Command({"ZSCORE", keys_.Prefix(tenant) + "blobs", sha256});
  if (!r.ok()) return r.status();
  return !r->is_nil();
}

absl::StatusOr<DocumentStats> DocumentStore::Stats(const std::string& tenant) {
  std::string stats = keys_.Prefix(tenant) + "stats", waiting = keys_.Prefix(tenant) + "waiting";
  auto r = records_.redis().Pipeline({{"HMGET", stats, "active", "archived"},
                                      {"ZCARD", waiting},
                                      {"ZRANGE", waiting, "0", "0", "WITHSCORES"}});
  if (!r.ok()) return r.status();
  DocumentStats out;
  const auto& h = (*r)[0].elements;
  if (h.size() == 2) {
    if (!h[0].is_nil()) absl::SimpleAtoi(h[0].str, &out.active);
    if (!h[1].is_nil()) absl::SimpleAtoi(h[1].str, &out.archived);
  }
  out.reviews_waiting = (*r)[1].integer;
  const auto& first = (*r)[2].elements;
  if (first.size() == 2) absl::SimpleAtoi(first[1].str, &out.oldest_waiting_unix);
  return out;
}

absl::StatusOr<std::map<int, Stored<v1::DocumentVersion>>> DocumentStore::WaitingVersions(
    const std::string& tenant, const std::string& did) {
  // The tenant's waiting set is as long as its open reviews (tens).
  auto r = records_.redis().Command({"ZRANGE", keys_.Prefix(tenant) + "waiting", "0", "-1"});
  if (!r.ok()) return r.status();
  std::vector<int> numbers;
  std::vector<std::string> keys;
  for (const auto& m : r->elements) {
    int n = 0;
    if (absl::StartsWith(m.str, did + ":") &&
        absl::SimpleAtoi(absl::string_view(m.str).substr(did.size() + 1), &n)) {
      numbers.push_back(n);
      keys.push_back(keys_.Key(tenant, "ver", m.str));
    }
  }
  // The versions in one round trip.
  auto records = records_.ReadMany(keys);
  if (!records.ok()) return records.status();
  std::map<int, Stored<v1::DocumentVersion>> out;
  for (size_t i = 0; i < numbers.size(); ++i) {
    if (!(*records)[i].found()) continue;
    auto v = DecodeStored<v1::DocumentVersion>((*records)[i]);
    if (!v.ok()) return v.status();
    out.emplace(numbers[i], *std::move(v));
  }
  return out;
}

// ------------------------------------------------------------------ steps

absl::StatusOr<v1::TemplateVersion> DocumentStore::AddTemplateVersion(
    const std::string& tenant, const std::string& code,
    const absl::optional<Stored<v1::TemplateVersion>>& before, const v1::TemplateVersion& v,
    const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  // The current-version record's own version counts the template's versions.
  PutStored(b, keys_.Key(tenant, "tpl", code), before ? &*before : nullptr, v,
            keys_.Ordinals(tenant), "template " + code);
  std::string vkey = keys_.Key(tenant, "tplv", absl::StrCat(code, ":", v.number()));
  b.ExpectVersion(vkey, 0, "template version");
  b.Put(vkey, 1, v.SerializeAsString(), 0);
  b.ZAdd(keys_.Prefix(tenant) + "blobs", Seconds(v.create_time()), v.file().sha256());
  return CommitAnswering(b, v);
}

void DocumentStore::ExpectUnchanged(Batch& b, const std::string& tenant,
                                    const std::vector<Stored<v1::Document>>& docs) {
  for (const auto& d : docs) {
    b.ExpectVersion(keys_.Key(tenant, "doc", LastSegment(d.value.name())), d.version, "document");
  }
}

void DocumentStore::PutDocument(Batch& b, const std::string& tenant,
                                const Stored<v1::Document>* before, const v1::Document& after) {
  std::string did = LastSegment(after.name());
  std::string eid = EngagementOf(after.name());
  int64_t ordinal = PutStored(b, keys_.Key(tenant, "doc", did), before, after,
                              keys_.Ordinals(tenant), "document");
  std::string stats = keys_.Prefix(tenant) + "stats";
  auto state_field = [](v1::DocumentState s) {
    return s == v1::DOCUMENT_STATE_ARCHIVED ? "archived" : "active";
  };
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "docs:eng:" + eid), ordinal, did);
    b.HashIncrement(stats, state_field(after.state()), 1);
  } else if (before->value.state() != after.state()) {
    b.HashIncrement(stats, state_field(before->value.state()), -1);
    b.HashIncrement(stats, state_field(after.state()), 1);
  }
  std::string active = keys_.Index(tenant, "docs:eng:" + eid + ":active");
  if (after.state() == v1::DOCUMENT_STATE_ACTIVE) {
    b.ZAdd(active, ordinal, did);
  } else {
    b.ZRem(active, did);
  }
}

void DocumentStore::PutVersion(Batch& b, const std::string& tenant, const std::string& did, int n,
                               const Stored<v1::DocumentVersion>* before,
                               const v1::DocumentVersion& after) {
  int64_t ordinal = PutStored(b, keys_.Key(tenant, "ver", absl::StrCat(did, ":", n)), before, after,
                              keys_.Ordinals(tenant), "document version");
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "vers:" + did), ordinal, Str(n));
    b.ZAdd(keys_.Prefix(tenant) + "blobs", Seconds(after.create_time()), after.file().sha256());
  }
  std::string waiting = keys_.Prefix(tenant) + "waiting";
  std::string member = absl::StrCat(did, ":", n);
  if (Waiting(after) && !(before && Waiting(before->value))) {
    b.ZAdd(waiting, Seconds(after.update_time()), member);
  } else if (!Waiting(after)) {
    b.ZRem(waiting, member);
  }
}

absl::StatusOr<CommitResult> DocumentStore::CreateDocuments(
    const std::string& tenant, const std::string& eid, const std::vector<NewDocument>& docs,
    const std::vector<std::string>& provided, const Idem& idem, const cv1::OutboxEvent* event,
    const std::string& response) {
  Batch b;
  AddIdem(b, idem);
  for (const auto& code : provided) {
    std::string key = keys_.Key(tenant, "provided", eid + ":" + code);
    b.ExpectVersion(key, 0, "template " + code + " (provided already)");
    b.Put(key, 1, "", 0);
  }
  for (const auto& d : docs) {
    PutDocument(b, tenant, nullptr, d.document);
    if (d.first) PutVersion(b, tenant, d.did, 1, nullptr, *d.first);
  }
  if (event != nullptr) outbox_.Publish(b, *event);
  b.Response(response);
  return Commit(b);
}

absl::StatusOr<CommitResult> DocumentStore::AddVersion(const std::string& tenant,
                                                       const Stored<v1::Document>& doc,
                                                       const v1::Document& doc_after, int n,
                                                       const v1::DocumentVersion& v,
                                                       const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  std::string did = LastSegment(doc_after.name());
  // The document first: a concurrent version is a version conflict (ABORTED,
  // retried with the next number), not an existing version.
  PutDocument(b, tenant, &doc, doc_after);
  PutVersion(b, tenant, did, n, nullptr, v);
  v1::DocumentVersion response = v;
  response.set_etag("1");
  b.Response(response.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<CommitResult> DocumentStore::SaveVersion(
    const std::string& tenant, const Stored<v1::Document>* doc, const v1::Document* doc_after,
    const Stored<v1::DocumentVersion>& before, const v1::DocumentVersion& after,
    const absl::optional<Superseded>& superseded, const std::vector<cv1::OutboxEvent>& events,
    const Idem& idem, const std::vector<Stored<v1::Document>>& unchanged) {
  Batch b;
  AddIdem(b, idem);
  auto parts = ParseName("name", after.name(), {"tenants", "engagements", "documents", "versions"});
  if (!parts.ok()) return parts.status();
  std::string did = (*parts)[2];
  int n = 0;
  if (!absl::SimpleAtoi((*parts)[3], &n)) return absl::InternalError("version id");
  PutVersion(b, tenant, did, n, &before, after);
  if (superseded) PutVersion(b, tenant, did, superseded->n, &superseded->before, superseded->after);
  if (doc != nullptr && doc_after != nullptr) PutDocument(b, tenant, doc, *doc_after);
  ExpectUnchanged(b, tenant, unchanged);
  for (const auto& e : events) outbox_.Publish(b, e);
  v1::DocumentVersion response = after;
  response.set_etag(Str(before.version + 1));
  b.Response(response.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<v1::Document> DocumentStore::SaveDocument(
    const std::string& tenant, const Stored<v1::Document>& before, const v1::Document& after,
    const cv1::OutboxEvent* event, const std::vector<Stored<v1::Document>>& unchanged,
    const std::vector<ChangedVersion>& changed) {
  Batch b;
  PutDocument(b, tenant, &before, after);
  ExpectUnchanged(b, tenant, unchanged);
  std::string did = LastSegment(after.name());
  for (const auto& c : changed) PutVersion(b, tenant, did, c.n, &c.before, c.after);
  if (event != nullptr) outbox_.Publish(b, *event);
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::Document out = after;
  out.set_etag(Str(before.version + 1));
  return out;
}

absl::StatusOr<v1::ExistingForm> DocumentStore::SaveForm(const std::string& tenant,
                                                         const Stored<v1::ExistingForm>* before,
                                                         const v1::ExistingForm& after,
                                                         const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  auto parts = ParseName("name", after.name(), {"tenants", "engagements", "existingForms"});
  if (!parts.ok()) return parts.status();
  int64_t ordinal = PutStored(b, keys_.Key(tenant, "form", (*parts)[2]), before, after,
                              keys_.Ordinals(tenant), "existing form");
  if (!before) {
    b.ZAdd(keys_.Index(tenant, "forms:eng:" + (*parts)[1]), ordinal, (*parts)[2]);
    b.ZAdd(keys_.Prefix(tenant) + "blobs", Seconds(after.create_time()), after.file().sha256());
  }
  v1::ExistingForm out = after;
  out.set_etag(Str(before ? before->version + 1 : 1));
  return CommitAnswering(b, out);
}

absl::StatusOr<v1::StatementOfApplicability> DocumentStore::SaveStatement(
    const std::string& tenant, const std::string& eid,
    const Stored<v1::StatementOfApplicability>& before, const v1::StatementOfApplicability& after) {
  Batch b;
  // Version 0: the default, never saved: the key must not exist yet.
  PutStored(b, keys_.Key(tenant, "soa", eid), &before, after, keys_.Ordinals(tenant),
            "statement of applicability");
  if (auto r = Commit(b); !r.ok()) return r.status();
  v1::StatementOfApplicability out = after;
  out.set_etag(Str(before.version + 1));
  return out;
}

absl::StatusOr<CommitResult> DocumentStore::ApproveStatement(
    const std::string& tenant, const std::string& eid,
    const Stored<v1::StatementOfApplicability>& before, const v1::StatementOfApplicability& after,
    const FrozenVersion& frozen, const cv1::OutboxEvent& event,
    const std::vector<Stored<v1::Document>>& unchanged) {
  Batch b;
  ExpectUnchanged(b, tenant, unchanged);
  PutStored(b, keys_.Key(tenant, "soa", eid), &before, after, keys_.Ordinals(tenant),
            "statement of applicability");
  std::string did = LastSegment(frozen.doc_after.name());
  PutDocument(b, tenant, frozen.doc_before, frozen.doc_after);
  if (frozen.mark_provided) {
    // The engagement's 適用宣言書 now exists: ProvideTemplates does not add
    // a second one (nor does this step, if it just did).
    std::string given = keys_.Key(tenant, "provided", eid + ":" + frozen.doc_after.template_code());
    b.ExpectVersion(given, 0, "the statement of applicability document (provided meanwhile)");
    b.Put(given, 1, "", 0);
  }
  PutVersion(b, tenant, did, frozen.n, nullptr, frozen.version);
  if (frozen.superseded) {
    PutVersion(b, tenant, did, frozen.superseded->n, &frozen.superseded->before,
               frozen.superseded->after);
  }
  outbox_.Publish(b, event);
  v1::StatementOfApplicability response = after;
  response.set_etag(Str(before.version + 1));
  b.Response(response.SerializeAsString());
  return Commit(b);
}

absl::StatusOr<v1::ReviewComment> DocumentStore::AddComment(const std::string& tenant,
                                                            const std::string& did, int n,
                                                            const std::string& id,
                                                            const v1::ReviewComment& c,
                                                            const Idem& idem) {
  Batch b;
  AddIdem(b, idem);
  int64_t ordinal =
      PutStored<v1::ReviewComment>(b, keys_.Key(tenant, "cmt", absl::StrCat(did, ":", n, ":", id)),
                                   nullptr, c, keys_.Ordinals(tenant), "review comment");
  // The version must still exist (it always does: versions are never deleted).
  b.ExpectVersion(keys_.Key(tenant, "ver", absl::StrCat(did, ":", n)), -1, "document version");
  b.ZAdd(keys_.Index(tenant, absl::StrCat("cmts:", did, ":", n)), ordinal, id);
  return CommitAnswering(b, c);
}

// ------------------------------------------------------------------ lists

absl::StatusOr<ListPage> DocumentStore::ListDocuments(const std::string& tenant,
                                                      const std::string& eid, bool include_archived,
                                                      int64_t after, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "docs:eng:" + eid + (include_archived ? "" : ":active"));
  q.record_prefix = keys_.Prefix(tenant) + "doc:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> DocumentStore::ListVersions(const std::string& tenant,
                                                     const std::string& did, int64_t after,
                                                     int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "vers:" + did);
  q.record_prefix = keys_.Prefix(tenant) + "ver:" + did + ":";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> DocumentStore::ListForms(const std::string& tenant, const std::string& eid,
                                                  int64_t after, int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, "forms:eng:" + eid);
  q.record_prefix = keys_.Prefix(tenant) + "form:";
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

absl::StatusOr<ListPage> DocumentStore::ListComments(const std::string& tenant,
                                                     const std::string& did, int n, int64_t after,
                                                     int limit) {
  ListQuery q;
  q.index = keys_.Index(tenant, absl::StrCat("cmts:", did, ":", n));
  q.record_prefix = keys_.Prefix(tenant) + absl::StrCat("cmt:", did, ":", n, ":");
  q.after = after;
  q.limit = limit;
  return records_.List(q);
}

}  // namespace certpath::documents
