#pragma once
// A background loop: runs `pass` every `interval`, or at once when notified,
// on its own thread until stopped. The relays and the audit sealer run on it.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace certpath {

class BackgroundLoop {
 public:
  BackgroundLoop(absl::Duration interval, std::function<void()> pass)
      : interval_(interval), pass_(std::move(pass)) {}
  ~BackgroundLoop() { Stop(); }
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  void Start() {
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stop_) {
        notified_ = false;
        lock.unlock();
        pass_();
        lock.lock();
        cv_.wait_for(lock, absl::ToChronoMilliseconds(interval_),
                     [&] { return stop_ || notified_; });
      }
    });
  }
  // Runs a pass without waiting for the interval.
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      notified_ = true;
    }
    cv_.notify_all();
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Sleeps up to `d` inside a pass; false when the loop is stopping.
  bool Sleep(absl::Duration d) {
    std::unique_lock<std::mutex> lock(mu_);
    return !cv_.wait_for(lock, absl::ToChronoMilliseconds(d), [&] { return stop_; });
  }

 private:
  const absl::Duration interval_;
  std::function<void()> pass_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace certpath
