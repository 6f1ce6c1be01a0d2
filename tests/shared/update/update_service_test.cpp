// UpdateService against a real repository over HTTP: what the observer
// hears for "up to date", "staged" and "failed", and a background thread
// that stop() wakes from its long wait.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "expect_error.h"
#include "staging_fixture.h"
#include "update/update_service.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// Records every call, in order; lets a test wait for the end of a check.
class RecordingObserver : public UpdateObserver {
 public:
  void on_check_started() override { add("started"); }
  void on_up_to_date(const std::string& v) override { add("up_to_date " + v); }
  void on_update_found(const ReleaseInfo& r) override { add("found " + r.version); }
  void on_download_progress(uint64_t done, uint64_t total) override {
    std::lock_guard<std::mutex> g(m_);
    last_progress_ = {done, total};
  }
  void on_staged(const ReleaseInfo& r) override { add("staged " + r.version); }
  void on_error(const std::string& msg) override { add("error"); }
  void on_check_finished() override {
    add("finished");
    cv_.notify_all();
  }
  void wait_for_finished_checks(size_t n) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return std::count(calls_.begin(), calls_.end(), "finished") >= static_cast<long>(n); });
  }
  std::vector<std::string> calls() {
    std::lock_guard<std::mutex> g(m_);
    return calls_;
  }
  std::pair<uint64_t, uint64_t> last_progress() {
    std::lock_guard<std::mutex> g(m_);
    return last_progress_;
  }

 private:
  void add(std::string s) {
    std::lock_guard<std::mutex> g(m_);
    calls_.push_back(std::move(s));
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
  std::pair<uint64_t, uint64_t> last_progress_;
};

Config config_for(const StagingFixture& f) {
  Config c;
  c.app_id = "demo";
  c.repository_url = f.base();
  c.platform = build_platform();
  return c;
}

}  // namespace

TEST_CASE("check_now stages the newest release and reports each step", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), std::make_unique<HttpFetcher>(), observer);
  auto staged = service.check_now();
  REQUIRE(staged);
  CHECK(staged->version == "2.0.0");
  CHECK(observer.calls() == std::vector<std::string>{"started", "found 2.0.0", "staged 2.0.0", "finished"});
  CHECK(observer.last_progress() == std::make_pair(f.package_length, f.package_length));
  CHECK(service.staged()->version == "2.0.0");
}

TEST_CASE("check_now with the newest version installed reports up to date", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  stdfs::create_directories(f.layout.version_dir("2.0.0"));
  f.layout.switch_current("2.0.0");
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), std::make_unique<HttpFetcher>(), observer);
  CHECK_FALSE(service.check_now());
  CHECK(observer.calls() == std::vector<std::string>{"started", "up_to_date 2.0.0", "finished"});
}

TEST_CASE("a failed check reports the error, rethrows it and stages nothing", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  Config c = config_for(f);
  c.repository_url = "http://127.0.0.1:1/";  // nothing listens there
  RecordingObserver observer;
  UpdateService service(f.layout, c, std::make_unique<HttpFetcher>(), observer);
  error_of([&] { service.check_now(); }, ErrorCode::kNetwork);
  CHECK(observer.calls() == std::vector<std::string>{"started", "error", "finished"});
  CHECK_FALSE(stdfs::exists(f.layout.pending_marker()));
}

TEST_CASE("the background thread checks at start, then stop() wakes it from its wait", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  RecordingObserver observer;
  Config c = config_for(f);
  c.check_interval_minutes = 24 * 60;  // the next check would be a day away
  UpdateService service(f.layout, c, std::make_unique<HttpFetcher>(), observer);
  service.start();
  observer.wait_for_finished_checks(1);
  service.stop();  // returns at once: the wait is interrupted, not served
  CHECK(observer.calls().back() == "finished");
  CHECK(service.staged()->version == "2.0.0");
}
