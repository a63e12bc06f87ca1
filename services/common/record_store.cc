#include "services/common/record_store.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace certpath {
namespace {

// Two passes: every check first (so a failed check writes nothing), then
// every write. Ops: name, then arity arguments; key arguments are KEYS indexes.
const RedisScript& CommitScript() {
  static const RedisScript kScript(R"lua(
local arity = {IDEM=3, VER=2, EMPTY=1, CARD=2, NONE=3, SEQ=3, ORD=1, PUT=5, ZADD=3, ZREM=2, DEL=1, RESP=2,
  EVENT=4, QUEUE=2, ACK=3, MOVE=4, AUDIT=3, THEN=0, HINCR=3}
local function varint(n)
  local s = ''
  while n >= 128 do
    s = s .. string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  return s .. string.char(n)
end
local i = 1
local idem_key, idem_fp, idem_ttl
while i <= #ARGV do
  local op = ARGV[i]
  if arity[op] == nil then return redis.error_reply('commit: unknown op ' .. op) end
  if op == 'IDEM' then
    idem_key, idem_fp, idem_ttl = KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3]
    local rec = redis.call('HMGET', idem_key, 'f', 'r')
    if rec[1] then
      if rec[1] == idem_fp then return {'REPLAY', rec[2]} end
      return {'IDEM_MISMATCH'}
    end
  elseif op == 'VER' then
    local want = tonumber(ARGV[i+2])
    local have = tonumber(redis.call('HGET', KEYS[tonumber(ARGV[i+1])], 'v') or '0')
    if want == -1 then
      if have == 0 then return {'MISSING', ARGV[i+1]} end
    elseif have ~= want then
      if want == 0 then return {'EXISTS', ARGV[i+1]} end
      if have == 0 then return {'MISSING', ARGV[i+1]} end
      return {'CONFLICT', ARGV[i+1]}
    end
  elseif op == 'EMPTY' then
    if redis.call('ZCARD', KEYS[tonumber(ARGV[i+1])]) > 0 then return {'NOT_EMPTY', ARGV[i+1]} end
  elseif op == 'CARD' then
    if redis.call('ZCARD', KEYS[tonumber(ARGV[i+1])]) ~= tonumber(ARGV[i+2]) then
      return {'CONFLICT', ARGV[i+1]}
    end
  elseif op == 'NONE' then
    if redis.call('ZCOUNT', KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3]) > 0 then
      return {'CONFLICT', ARGV[i+1]}
    end
  end
  i = i + 1 + arity[op]
end
local seqfield, seqval, ord, resp, evseq, audseq = '', '', 0, '', 0, 0
local function pick(v) if v == '#' then return ord end return v end
-- THEN: the writes after it happen only if the last ACK/MOVE removed something.
local moved, skipping = true, false
i = 1
while i <= #ARGV do
  local op = ARGV[i]
  if skipping and op ~= 'RESP' then
    -- skipped
  elseif op == 'THEN' then
    skipping = not moved
  elseif op == 'HINCR' then
    local v = redis.call('HINCRBY', KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3])
    if v <= 0 then redis.call('HDEL', KEYS[tonumber(ARGV[i+1])], ARGV[i+2]) end
  elseif op == 'SEQ' then
    local v = redis.call('INCR', KEYS[tonumber(ARGV[i+1])])
    seqval = ARGV[i+2] .. string.format('%04d', v)
    seqfield = string.char(tonumber(ARGV[i+3]) * 8 + 2) .. varint(#seqval) .. seqval
  elseif op == 'ORD' then
    ord = redis.call('INCR', KEYS[tonumber(ARGV[i+1])])
  elseif op == 'PUT' then
    local d = ARGV[i+3]
    if ARGV[i+4] == '1' then d = d .. seqfield end
    redis.call('HSET', KEYS[tonumber(ARGV[i+1])], 'd', d, 'v', ARGV[i+2], 'o', pick(ARGV[i+5]))
  elseif op == 'ZADD' then
    redis.call('ZADD', KEYS[tonumber(ARGV[i+1])], pick(ARGV[i+2]), ARGV[i+3])
  elseif op == 'ZREM' then
    redis.call('ZREM', KEYS[tonumber(ARGV[i+1])], ARGV[i+2])
  elseif op == 'DEL' then
    redis.call('DEL', KEYS[tonumber(ARGV[i+1])])
  elseif op == 'RESP' then
    resp = ARGV[i+1]
    if ARGV[i+2] == '1' then resp = resp .. seqfield end
  elseif op == 'EVENT' then
    evseq = redis.call('INCR', KEYS[tonumber(ARGV[i+2])])
    redis.call('HSET', KEYS[tonumber(ARGV[i+1])], 'd', ARGV[i+3], 'p', ARGV[i+4], 's', evseq)
  elseif op == 'QUEUE' then
    redis.call('ZADD', KEYS[tonumber(ARGV[i+1])], evseq, ARGV[i+2])
  elseif op == 'ACK' then
    moved = redis.call('ZREM', KEYS[tonumber(ARGV[i+1])], ARGV[i+2]) == 1
    if moved then
      local ek = KEYS[tonumber(ARGV[i+3])]
      if redis.call('HINCRBY', ek, 'p', -1) <= 0 then redis.call('DEL', ek) end
    end
  elseif op == 'MOVE' then
    moved = redis.call('ZREM', KEYS[tonumber(ARGV[i+1])], ARGV[i+4]) == 1
    if moved then
      redis.call('ZADD', KEYS[tonumber(ARGV[i+2])], pick(ARGV[i+3]), ARGV[i+4])
    end
  elseif op == 'AUDIT' then
    audseq = redis.call('INCR', KEYS[tonumber(ARGV[i+1])])
    redis.call('HSET', KEYS[tonumber(ARGV[i+2])], audseq, ARGV[i+3] .. '\8' .. varint(audseq))
  end
  i = i + 1 + arity[op]
end
if idem_key then
  redis.call('HSET', idem_key, 'f', idem_fp, 'r', resp)
  if tonumber(idem_ttl) > 0 then redis.call('EXPIRE', idem_key, idem_ttl) end
end
return {'OK', resp, seqval, ord, audseq}
)lua");
  return kScript;
}

// KEYS[1] index walked; KEYS[2..1+nmember] membership filters; optional last
// key: range index. ARGV: after, limit, budget, prefix, nmember, has_range, min, max.
const RedisScript& ListScript() {
  static const RedisScript kScript(R"lua(
local after, limit, budget = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local prefix, nmember, has_range = ARGV[4], tonumber(ARGV[5]), ARGV[6] == '1'
local rmin, rmax = tonumber(ARGV[7]) or -math.huge, tonumber(ARGV[8]) or math.huge
local out = {}
local count, scanned, last, exhausted = 0, 0, after, false
local function keep(id)
  for j = 2, 1 + nmember do
    if not redis.call('ZSCORE', KEYS[j], id) then return false end
  end
  if has_range then
    local s = redis.call('ZSCORE', KEYS[2 + nmember], id)
    if not s then return false end
    s = tonumber(s)
    if s < rmin or s > rmax then return false end
  end
  return true
end
while count < limit and scanned < budget do
  local chunk = math.min(limit - count, budget - scanned)
  if nmember > 0 or has_range then chunk = math.min(budget - scanned, math.max(chunk, 64)) end
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. last, '+inf', 'WITHSCORES', 'LIMIT', 0, chunk)
  local consumed_all = true
  for j = 1, #ids, 2 do
    if count == limit then consumed_all = false break end
    scanned = scanned + 1
    last = ids[j + 1]
    if keep(ids[j]) then
      local r = redis.call('HMGET', prefix .. ids[j], 'd', 'v', 'o')
      if r[1] then
        out[#out + 1] = r[1]; out[#out + 1] = r[2]; out[#out + 1] = r[3]
        count = count + 1
      end
    end
  end
  -- The index ended only if this chunk came back short and was read to its end.
  if consumed_all and #ids < chunk * 2 then exhausted = true break end
end
local more = 0
if not exhausted then
  if #redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. last, '+inf', 'LIMIT', 0, 1) > 0 then more = 1 end
end
table.insert(out, 1, more)
table.insert(out, 1, last)
return out
)lua");
  return kScript;
}

int64_t ToInt(const RedisReply& r) {
  if (r.type == RedisReply::Type::kInteger) return r.integer;
  int64_t v = 0;
  return absl::SimpleAtoi(r.str, &v) ? v : 0;
}

Record ToRecord(const RedisReply& d, const RedisReply& v, const RedisReply& o) {
  Record rec;
  if (d.is_nil()) return rec;
  rec.data = d.str;
  rec.version = ToInt(v);
  rec.ordinal = ToInt(o);
  return rec;
}

absl::Status ReplyError(const RedisReply& r) { return absl::InternalError("redis: " + r.str); }

}  // namespace

size_t Batch::KeyIndex(std::string key) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) return i + 1;
  }
  keys_.push_back(std::move(key));
  what_.emplace_back();
  return keys_.size();
}

void Batch::Idempotency(std::string key, std::string fingerprint, int64_t ttl_seconds) {
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(),
               {"IDEM", std::to_string(k), std::move(fingerprint), std::to_string(ttl_seconds)});
}

void Batch::ExpectVersion(std::string key, int64_t version, std::string what) {
  size_t k = KeyIndex(std::move(key));
  what_[k - 1] = std::move(what);
  args_.insert(args_.end(), {"VER", std::to_string(k), std::to_string(version)});
}

void Batch::AllocateReference(std::string counter_key, std::string prefix, int field_number) {
  size_t k = KeyIndex(std::move(counter_key));
  args_.insert(args_.end(),
               {"SEQ", std::to_string(k), std::move(prefix), std::to_string(field_number)});
}

void Batch::AllocateOrdinal(std::string counter_key) {
  size_t k = KeyIndex(std::move(counter_key));
  args_.insert(args_.end(), {"ORD", std::to_string(k)});
}

static std::string Score(int64_t v) { return v == kNewOrdinal ? "#" : std::to_string(v); }

void Batch::Put(std::string key, int64_t version, std::string data, int64_t ordinal,
                bool append_reference) {
  writes_ = true;
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(), {"PUT", std::to_string(k), std::to_string(version), std::move(data),
                             append_reference ? "1" : "0", Score(ordinal)});
}

void Batch::ZAdd(std::string key, int64_t score, std::string member) {
  writes_ = true;
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(), {"ZADD", std::to_string(k), Score(score), std::move(member)});
}

void Batch::ZRem(std::string key, std::string member) {
  writes_ = true;
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(), {"ZREM", std::to_string(k), std::move(member)});
}

void Batch::ExpectEmpty(std::string zset_key, std::string what) {
  size_t k = KeyIndex(std::move(zset_key));
  what_[k - 1] = std::move(what);
  args_.insert(args_.end(), {"EMPTY", std::to_string(k)});
}

void Batch::ExpectCount(std::string zset_key, int64_t count, std::string what) {
  size_t k = KeyIndex(std::move(zset_key));
  what_[k - 1] = std::move(what);
  args_.insert(args_.end(), {"CARD", std::to_string(k), std::to_string(count)});
}

void Batch::ExpectNoneScored(std::string zset_key, int64_t min, int64_t max, std::string what) {
  size_t k = KeyIndex(std::move(zset_key));
  what_[k - 1] = std::move(what);
  args_.insert(args_.end(), {"NONE", std::to_string(k), std::to_string(min), std::to_string(max)});
}

void Batch::Delete(std::string key) {
  writes_ = true;
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(), {"DEL", std::to_string(k)});
}

void Batch::Response(std::string data, bool append_reference) {
  args_.insert(args_.end(), {"RESP", std::move(data), append_reference ? "1" : "0"});
}

void Batch::Event(std::string event_key, std::string seq_key, std::string data, int pending) {
  writes_ = true;
  size_t e = KeyIndex(std::move(event_key));
  size_t q = KeyIndex(std::move(seq_key));
  args_.insert(args_.end(), {"EVENT", std::to_string(e), std::to_string(q), std::move(data),
                             std::to_string(pending)});
}

void Batch::Queue(std::string queue_key, std::string event_id) {
  size_t k = KeyIndex(std::move(queue_key));
  args_.insert(args_.end(), {"QUEUE", std::to_string(k), std::move(event_id)});
}

void Batch::Ack(std::string zset_key, std::string member, std::string event_key) {
  writes_ = true;
  size_t z = KeyIndex(std::move(zset_key));
  size_t e = KeyIndex(std::move(event_key));
  args_.insert(args_.end(), {"ACK", std::to_string(z), std::move(member), std::to_string(e)});
}

void Batch::Move(std::string from_key, std::string to_key, int64_t score, std::string member) {
  writes_ = true;
  size_t f = KeyIndex(std::move(from_key));
  size_t t = KeyIndex(std::move(to_key));
  args_.insert(args_.end(), {"MOVE", std::to_string(f), std::to_string(t), std::to_string(score),
                             std::move(member)});
}

void Batch::Then() { args_.push_back("THEN"); }

void Batch::HashIncrement(std::string key, std::string field, int64_t delta) {
  writes_ = true;
  size_t k = KeyIndex(std::move(key));
  args_.insert(args_.end(), {"HINCR", std::to_string(k), std::move(field), std::to_string(delta)});
}

void Batch::Audit(std::string seq_key, std::string entries_key, std::string entry) {
  size_t s = KeyIndex(std::move(seq_key));
  size_t e = KeyIndex(std::move(entries_key));
  args_.insert(args_.end(), {"AUDIT", std::to_string(s), std::to_string(e), std::move(entry)});
}

void Batch::NoteWrite(std::string resource, std::vector<std::string> changed_paths) {
  if (resource.empty()) return;
  if (resource_.empty()) {
    resource_ = std::move(resource);
    changed_paths_ = std::move(changed_paths);
  } else if (resource != resource_) {
    others_.push_back(std::move(resource));
  }
}

RecordStore::RecordStore(RedisPool& redis) : redis_(redis) {}

absl::Status RecordStore::LoadScripts() { return redis_.Load({&CommitScript(), &ListScript()}); }

absl::StatusOr<Record> RecordStore::Read(const std::string& key) {
  auto r = redis_.Command({"HMGET", key, "d", "v", "o"});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 3) return ReplyError(*r);
  return ToRecord(r->elements[0], r->elements[1], r->elements[2]);
}

absl::StatusOr<std::vector<Record>> RecordStore::ReadMany(const std::vector<std::string>& keys) {
  return ReadManyWith(keys, {}, nullptr);
}

absl::StatusOr<std::vector<Record>> RecordStore::ReadManyWith(
    const std::vector<std::string>& keys, const std::vector<RedisPool::Args>& extra,
    std::vector<RedisReply>* extra_replies) {
  std::vector<RedisPool::Args> cmds;
  for (const auto& k : keys) cmds.push_back({"HMGET", k, "d", "v", "o"});
  cmds.insert(cmds.end(), extra.begin(), extra.end());
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::vector<Record> out;
  for (size_t i = 0; i < keys.size(); ++i) {
    const RedisReply& r = (*replies)[i];
    if (r.is_error() || r.elements.size() != 3) return ReplyError(r);
    out.push_back(ToRecord(r.elements[0], r.elements[1], r.elements[2]));
  }
  for (size_t i = keys.size(); i < replies->size(); ++i) {
    if ((*replies)[i].is_error()) return ReplyError((*replies)[i]);
    if (extra_replies != nullptr) extra_replies->push_back(std::move((*replies)[i]));
  }
  return out;
}

absl::StatusOr<std::pair<Record, absl::optional<std::string>>> RecordStore::ReadWithIdempotency(
    const std::string& key, const std::string& idem_key, const std::string& fingerprint) {
  std::vector<RedisPool::Args> cmds = {{"HMGET", key, "d", "v", "o"}};
  if (!idem_key.empty()) cmds.push_back({"HMGET", idem_key, "f", "r"});
  auto replies = redis_.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  const RedisReply& rec = (*replies)[0];
  if (rec.is_error() || rec.elements.size() != 3) return ReplyError(rec);
  std::pair<Record, absl::optional<std::string>> out;
  out.first = ToRecord(rec.elements[0], rec.elements[1], rec.elements[2]);
  if (!idem_key.empty()) {
    const RedisReply& idem = (*replies)[1];
    if (idem.is_error() || idem.elements.size() != 2) return ReplyError(idem);
    if (!idem.elements[0].is_nil()) {
      if (idem.elements[0].str != fingerprint) {
        return InvalidArgument("request_id", "was used before for a different request");
      }
      out.second = idem.elements[1].str;
    }
  }
  return out;
}

absl::StatusOr<absl::optional<std::string>> RecordStore::ReadIdempotency(
    const std::string& idem_key, const std::string& fingerprint) {
  auto r = redis_.Command({"HMGET", idem_key, "f", "r"});
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() != 2) return ReplyError(*r);
  if (r->elements[0].is_nil()) return absl::optional<std::string>();
  if (r->elements[0].str != fingerprint) {
    return InvalidArgument("request_id", "was used before for a different request");
  }
  return absl::optional<std::string>(r->elements[1].str);
}

absl::StatusOr<CommitResult> RecordStore::Commit(const Batch& batch) {
  RedisPool::Args keys(batch.keys_.begin(), batch.keys_.end());
  RedisPool::Args args(batch.args_.begin(), batch.args_.end());
  auto r = redis_.Eval(CommitScript(), keys, args);
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.empty()) return ReplyError(*r);
  const std::string& tag = r->elements[0].str;
  CommitResult out;
  if (tag == "OK" && r->elements.size() == 5) {
    out.response = r->elements[1].str;
    out.reference = r->elements[2].str;
    out.ordinal = ToInt(r->elements[3]);
    out.audit_sequence = ToInt(r->elements[4]);
    if (published_ != nullptr) {
      for (const auto& type : batch.published_) published_->Add({{"type", type}}).Increment();
    }
    return out;
  }
  if (tag == "REPLAY" && r->elements.size() == 2) {
    out.replayed = true;
    out.response = r->elements[1].str;
    return out;
  }
  if (tag == "IDEM_MISMATCH") {
    return InvalidArgument("request_id", "was used before for a different request");
  }
  std::string what = "record";
  if (r->elements.size() == 2) {
    size_t k = static_cast<size_t>(ToInt(r->elements[1]));
    if (k >= 1 && k <= batch.what_.size() && !batch.what_[k - 1].empty()) what = batch.what_[k - 1];
  }
  if (tag == "MISSING") return NotFound(what);
  if (tag == "EXISTS") {
    return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS", what + " already exists");
  }
  if (tag == "CONFLICT") return EtagMismatch();
  if (tag == "NOT_EMPTY") return FailedPrecondition("HAS_DEPENDENTS", what);
  return absl::InternalError("commit: unexpected reply " + tag);
}

absl::StatusOr<ListPage> RecordStore::List(const ListQuery& q) {
  RedisPool::Args keys = {q.index};
  for (const auto& m : q.members) keys.push_back(m);
  bool has_range = !q.range_index.empty();
  if (has_range) keys.push_back(q.range_index);
  std::string after = std::to_string(q.after), limit = std::to_string(q.limit),
              budget = std::to_string(q.scan_budget), nmember = std::to_string(q.members.size());
  RedisPool::Args args = {after,           limit,      budget,
                          q.record_prefix, nmember,    has_range ? "1" : "0",
                          q.range_min,     q.range_max};
  auto r = redis_.Eval(ListScript(), keys, args);
  if (!r.ok()) return r.status();
  if (r->is_error() || r->elements.size() < 2) return ReplyError(*r);
  ListPage page;
  page.last = ToInt(r->elements[0]);
  page.more = ToInt(r->elements[1]) != 0;
  for (size_t i = 2; i + 2 < r->elements.size(); i += 3) {
    page.records.push_back(ToRecord(r->elements[i], r->elements[i + 1], r->elements[i + 2]));
  }
  return page;
}

}  // namespace certpath
