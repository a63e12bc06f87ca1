#include "tests/support/redis_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace certpath::testing {

std::string MakeTempDir(const char* prefix) {
  std::string tmpl = std::filesystem::temp_directory_path().string() + "/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

RedisServer::RedisServer(bool durable) : durable_(durable) {
  dir_ = MakeTempDir("certpath-redis-");
  socket_ = dir_ + "/redis.sock";
  Start();
}

RedisServer::~RedisServer() {
  Kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::Start() {
  if (pid_ > 0) return;
  ::unlink(socket_.c_str());
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<std::string> args = {CERTPATH_REDIS_SERVER,
                                     "--port",
                                     "0",
                                     "--unixsocket",
                                     socket_,
                                     "--unixsocketperm",
                                     "700",
                                     "--dir",
                                     dir_,
                                     "--save",
                                     "",
                                     "--daemonize",
                                     "no",
                                     "--loglevel",
                                     "warning"};
    if (durable_) {
      for (const char* a : {"--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy",
                            "noeviction", "--no-appendfsync-on-rewrite", "no"}) {
        args.push_back(a);
      }
    } else {
      for (const char* a : {"--appendonly", "no", "--maxmemory-policy", "allkeys-lru"}) {
        args.push_back(a);
      }
    }
    // Keep the test output readable: Redis logs into its own dir.
    int log = ::open((dir_ + "/redis.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    struct stat st;
    if (::stat(socket_.c_str(), &st) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not start");
}

static void SignalAndWait(pid_t& pid, int sig) {
  if (pid <= 0) return;
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  pid = -1;
}

void RedisServer::Stop() { SignalAndWait(pid_, SIGTERM); }
void RedisServer::Kill() { SignalAndWait(pid_, SIGKILL); }

}  // namespace certpath::testing
