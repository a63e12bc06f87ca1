#pragma once
// Redis client: a bounded pool of hiredis contexts, each with a timeout and
// owned by RAII. A context that saw any error is freed, never reused (a late
// reply could pair with the next command). Lua scripts are called by SHA and
// reloaded when Redis answers NOSCRIPT (e.g. after a restart).

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;

namespace certpath {

// An owned copy of a reply, so no hiredis type leaves this component.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

struct RedisOptions {
  std::string unix_socket;  // preferred when set
  std::string host = "127.0.0.1";
  int port = 6379;
  absl::Duration timeout = absl::Seconds(2);
  int pool_size = 8;
};

struct RedisScript {
  explicit RedisScript(std::string source);
  std::string source;
  std::string sha1;  // hex, as EVALSHA wants it
};

// Observes each round trip (for a metric); may be empty.
using RoundTripObserver = void (*)(void* arg);

class RedisPool {
 public:
  explicit RedisPool(RedisOptions options);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  using Args = std::vector<absl::string_view>;

  // One command, one round trip. UNAVAILABLE when Redis cannot be reached or
  // times out. A Redis error reply is returned as a reply of type kError.
  absl::StatusOr<RedisReply> Command(const Args& args);
  // Several commands in one round trip (pipelined, not atomic).
  absl::StatusOr<std::vector<RedisReply>> Pipeline(const std::vector<Args>& commands);
  // EVALSHA; on NOSCRIPT, SCRIPT LOAD and try once more.
  absl::StatusOr<RedisReply> Eval(const RedisScript& script, const Args& keys, const Args& args);
  // SCRIPT LOAD each script (done at start so the first call is one round trip).
  absl::Status Load(const std::vector<const RedisScript*>& scripts);

  void set_round_trip_observer(RoundTripObserver fn, void* arg) {
    observer_ = fn;
    observer_arg_ = arg;
  }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };
  using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

  absl::StatusOr<ContextPtr> Acquire();
  void Release(ContextPtr ctx);
  absl::StatusOr<ContextPtr> Connect();
  absl::StatusOr<std::vector<RedisReply>> RoundTrip(const std::vector<Args>& commands);

  RedisOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ContextPtr> idle_;
  int open_ = 0;
  RoundTripObserver observer_ = nullptr;
  void* observer_arg_ = nullptr;
};

// What the durable Redis of architecture.md requires. Returns the settings that
// are weaker than required (empty = durable) or UNAVAILABLE.
absl::StatusOr<std::vector<std::string>> CheckDurability(RedisPool& redis);

}  // namespace certpath
