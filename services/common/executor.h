#pragma once
// A fixed pool of worker threads with a bounded queue. gRPC callback threads
// must not block on Redis, so handlers run here; a full queue sheds load.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace certpath {

class Executor {
 public:
  Executor(int threads, size_t max_queue);
  ~Executor();  // finishes queued work, then joins
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // False when the queue is full or the executor is stopping.
  bool Submit(std::function<void()> task);
  size_t queued() const;

 private:
  void Loop();

  const size_t max_queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace certpath
