#include "services/common/redis.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/status.h"

namespace certpath {
namespace {

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

std::string Sha1Hex(absl::string_view s) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return HexEncode(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

bool IsNoScript(const RedisReply& r) { return r.is_error() && r.str.rfind("NOSCRIPT", 0) == 0; }

}  // namespace

RedisScript::RedisScript(std::string src) : source(std::move(src)), sha1(Sha1Hex(source)) {}

void RedisPool::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }

RedisPool::RedisPool(RedisOptions options) : options_(std::move(options)) {
  // hiredis writes with write(2): a Redis that died must be an error on the
  // context, not a SIGPIPE that kills the process.
  static const bool ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignored;
}

RedisPool::~RedisPool() = default;

absl::StatusOr<RedisPool::ContextPtr> RedisPool::Connect() {
  timeval tv{static_cast<time_t>(absl::ToInt64Seconds(options_.timeout)),
             static_cast<suseconds_t>(absl::ToInt64Microseconds(options_.timeout) % 1000000)};
  redisContext* raw = options_.unix_socket.empty()
                          ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
                          : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), tv);
  ContextPtr ctx(raw);
  if (ctx == nullptr || ctx->err != 0) {
    return Unavailable(absl::StrCat("redis connect: ", ctx ? ctx->errstr : "out of memory"));
  }
  if (redisSetTimeout(ctx.get(), tv) != REDIS_OK) return Unavailable("redis set timeout failed");
  return ctx;
}

absl::StatusOr<RedisPool::ContextPtr> RedisPool::Acquire() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    bool ready = cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.timeout),
                              [&] { return !idle_.empty() || open_ < options_.pool_size; });
    if (!ready) return Unavailable("redis pool exhausted");
    if (!idle_.empty()) {
      ContextPtr ctx = std::move(idle_.back());
      idle_.pop_back();
      return ctx;
    }
    ++open_;
  }
  auto ctx = Connect();
  if (!ctx.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --open_;
    cv_.notify_one();
  }
  return ctx;
}

void RedisPool::Release(ContextPtr ctx) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ctx) {
    idle_.push_back(std::move(ctx));
  } else {
    --open_;  // discarded after an error
  }
  cv_.notify_one();
}

absl::StatusOr<std::vector<RedisReply>> RedisPool::RoundTrip(const std::vector<Args>& commands) {
  auto ctx = Acquire();
  if (!ctx.ok()) return ctx.status();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& cmd : commands) {
    argv.clear();
    lens.clear();
    for (auto a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx->get(), static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  if (observer_ != nullptr) observer_(observer_arg_);
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx->get(), &raw) != REDIS_OK || raw == nullptr) {
      std::string err = (*ctx)->errstr;
      Release(nullptr);  // the context is dead: free it, never reuse
      return Unavailable("redis: " + err);
    }
    std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                       freeReplyObject);
    replies.push_back(Convert(reply.get()));
  }
  Release(std::move(*ctx));
  return replies;
}

absl::StatusOr<RedisReply> RedisPool::Command(const Args& args) {
  auto r = RoundTrip({args});
  if (!r.ok()) return r.status();
  return std::move(r->front());
}

absl::StatusOr<std::vector<RedisReply>> RedisPool::Pipeline(const std::vector<Args>& commands) {
  return RoundTrip(commands);
}

absl::StatusOr<RedisReply> RedisPool::Eval(const RedisScript& script, const Args& keys,
                                           const Args& args) {
  std::string nkeys = std::to_string(keys.size());
  Args argv = {"EVALSHA", script.sha1, nkeys};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = Command(argv);
  if (r.ok() && IsNoScript(*r)) {
    if (auto s = Load({&script}); !s.ok()) return s;
    r = Command(argv);
  }
  return r;
}

absl::Status RedisPool::Load(const std::vector<const RedisScript*>& scripts) {
  for (const RedisScript* s : scripts) {
    auto r = Command({"SCRIPT", "LOAD", s->source});
    if (!r.ok()) return r.status();
    if (r->is_error()) return absl::InternalError("script load: " + r->str);
    if (r->str != s->sha1) return absl::InternalError("script sha mismatch");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CheckDurability(RedisPool& redis) {
  struct Want {
    const char* name;
    const char* value;
  };
  static constexpr Want kWant[] = {{"appendonly", "yes"},
                                   {"appendfsync", "always"},
                                   {"maxmemory-policy", "noeviction"},
                                   {"no-appendfsync-on-rewrite", "no"}};
  std::vector<RedisPool::Args> cmds;
  for (const auto& w : kWant) cmds.push_back({"CONFIG", "GET", w.name});
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::vector<std::string> weak;
  for (size_t i = 0; i < cmds.size(); ++i) {
    const RedisReply& r = (*replies)[i];
    std::string got = r.elements.size() == 2 ? r.elements[1].str : "?";
    if (got != kWant[i].value) {
      weak.push_back(absl::StrCat(kWant[i].name, "=", got, " (want ", kWant[i].value, ")"));
    }
  }
  return weak;
}

}  // namespace certpath
