// Load on a local HTTP server for the hand-over test (handover_test.cpp) and
// bench (bench/handover_bench.cpp): one-shot HTTP/1.0 GETs on new connections
// to 127.0.0.1:PORT, from client threads. Header-only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace upkeep::test {

// The body of a 200 answer without its trailing newlines ("VERSION PID"), or
// "" when anything failed: refused, reset, another status, or no answer
// within `timeout_seconds`.
inline std::string one_shot_get(int port, const std::string& path, int timeout_seconds = 10) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return "";
  timeval tv{timeout_seconds, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(s, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = recv(s, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
      if (n < 0) reply.clear();  // reset or timed out
    }
  }
  close(s);
  size_t body = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.0 200", 0) != 0 || body == std::string::npos) return "";
  std::string text = reply.substr(body + 4);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Client threads that send one_shot_get(port, "/") in a loop until stopped,
// recording every answer with the time it completed ("" when it failed).
// After a failure a client pauses `retry_pause` (a refused port: no spinning).
// Thread-safe.
class LoadClients {
 public:
  using Clock = std::chrono::steady_clock;
  struct Answer {
    Clock::time_point at;
    std::string text;  // "" when it failed
    int client = 0;    // which client thread: 0 .. clients-1
  };

  LoadClients(int port, int clients, int timeout_seconds = 10,
              std::chrono::milliseconds retry_pause = std::chrono::milliseconds(0)) {
    for (int i = 0; i < clients; ++i)
      threads_.emplace_back([=, this] {
        while (!stop_) {
          std::string r = one_shot_get(port, "/", timeout_seconds);
          {
            std::lock_guard lock(mutex_);
            answers_.push_back({Clock::now(), r, i});
            arrived_.notify_all();
          }
          if (r.empty()) std::this_thread::sleep_for(retry_pause);
        }
      });
  }
  ~LoadClients() { stop(); }
  LoadClients(const LoadClients&) = delete;
  LoadClients& operator=(const LoadClients&) = delete;

  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }
  std::vector<Answer> answers() {
    std::lock_guard lock(mutex_);
    return answers_;
  }
  // Blocks (bounded: 60 s) until `n` more answers arrived.
  void wait_for(size_t n) {
    std::unique_lock lock(mutex_);
    size_t target = answers_.size() + n;
    arrived_.wait_for(lock, std::chrono::seconds(60), [&] { return answers_.size() >= target; });
  }
  // Blocks (bounded: 60 s) until an answer from index `from` on satisfies
  // `pred(text)`; that answer, or nothing (text "") on time-out.
  template <class Pred>
  Answer wait_for_answer(Pred pred, size_t from = 0) {
    std::unique_lock lock(mutex_);
    Answer found;
    size_t seen = from;
    arrived_.wait_for(lock, std::chrono::seconds(60), [&] {
      for (; seen < answers_.size() && found.text.empty(); ++seen)
        if (!answers_[seen].text.empty() && pred(answers_[seen].text)) found = answers_[seen];
      return !found.text.empty();
    });
    return found;
  }

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Answer> answers_;
};

}  // namespace upkeep::test
