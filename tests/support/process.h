#pragma once
// A child process for e2e tests: the real binary, started as the run command
// starts it, killed the way a crash kills it, started again.

#include <sys/types.h>

#include <string>
#include <vector>

namespace certpath::testing {

class Process {
 public:
  Process(std::string binary, std::vector<std::string> args, std::string log_file);
  ~Process();
  // The child's RLIMIT_NOFILE (soft, hard), set before exec; 0 = inherited.
  void set_open_file_limit(int soft, int hard) {
    nofile_soft_ = soft;
    nofile_hard_ = hard;
  }
  void Start();
  // Sends `sig` and waits; returns the wait status.
  int Signal(int sig);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_;
  pid_t pid_ = -1;
  int nofile_soft_ = 0, nofile_hard_ = 0;
};

// The path of one of the project's binaries in the build tree.
std::string BinaryPath(const std::string& relative);

// Runs `command` in a shell: its stdout, and its exit code in *exit_code
// (-1 when it did not exit normally) when not null.
std::string RunCommand(const std::string& command, int* exit_code = nullptr);

}  // namespace certpath::testing
