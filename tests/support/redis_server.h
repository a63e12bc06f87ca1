#pragma once
// A real redis-server for tests, in its own temp dir, on a unix socket.
// Durable by default (appendonly yes, appendfsync always, noeviction).

#include <sys/types.h>

#include <string>

namespace certpath::testing {

class RedisServer {
 public:
  explicit RedisServer(bool durable = true);
  ~RedisServer();

  const std::string& socket() const { return socket_; }
  const std::string& dir() const { return dir_; }
  void Start();
  void Stop();  // SIGTERM and wait
  void Kill();  // SIGKILL and wait: what a crash looks like
  void Restart() {
    Stop();
    Start();
  }

 private:
  bool durable_;
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

// Makes a fresh temp dir.
std::string MakeTempDir(const char* prefix);

}  // namespace certpath::testing
