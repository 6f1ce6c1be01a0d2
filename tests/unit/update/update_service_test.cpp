// UpdateService against a real repository over HTTP: what the observer
// hears for "up to date", "staged" and "failed", a background thread that
// stop() wakes from its long wait, and failed tries: a broken release is
// quarantined after max_update_failures checks; a flaky network or tampered bytes never.
#include "upkeep/update/update_service.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "expect_error.h"
#include "staging_fixture.h"
#include "upkeep/install/applier.h"
#include "upkeep/policy/managed_policy.h"

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
  void on_quarantined(const std::string& v, int failures, const std::string& last_error) override {
    add("quarantined " + v + " after " + std::to_string(failures));
  }
  void on_error(const std::string& msg) override { add("error"); }
  void on_updates_off(const std::string& why) override {
    add("off");
    std::lock_guard<std::mutex> g(m_);
    last_off_ = why;
  }
  std::string last_off() {
    std::lock_guard<std::mutex> g(m_);
    return last_off_;
  }
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
  std::string last_off_;
};

Config config_for(const StagingFixture& f) {
  Config c;
  c.app_id = "demo";
  c.repository_url = f.base();
  c.platform = build_platform();
  c.delta_updates = f.use_delta;  // these tests count package downloads
  return c;
}

}  // namespace

TEST_CASE("check_now stages the newest release and reports each step", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), std::make_unique<net::HttpFetcher>(), observer);
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
  UpdateService service(f.layout, config_for(f), std::make_unique<net::HttpFetcher>(), observer);
  CHECK_FALSE(service.check_now());
  CHECK(observer.calls() == std::vector<std::string>{"started", "up_to_date 2.0.0", "finished"});
}

TEST_CASE("a version whose interrupted rollback the journal holds is not offered again", "[update_service]") {
  // Found by the torture harness: a power cut after a rollback switched
  // `current` back but before it marked the version bad; the next check
  // downloaded and staged the version being rolled back.
  TempDir root;
  StagingFixture f(root.path());
  stdfs::create_directories(f.layout.version_dir("1.0.0"));
  f.layout.switch_current("1.0.0");
  StateStore(f.layout.state_db()).journal_begin(JournalOp::kRollback, "2.0.0", "1.0.0");
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), std::make_unique<net::HttpFetcher>(), observer);
  f.server.reset_byte_counts();
  CHECK_FALSE(service.check_now());
  CHECK(observer.calls() == std::vector<std::string>{"started", "up_to_date 1.0.0", "finished"});
  CHECK(f.server.body_bytes_sent(".package.zip") == 0);
  CHECK_FALSE(stdfs::exists(f.layout.staged_dir("2.0.0")));
}

TEST_CASE("a failed check reports the error, rethrows it and stages nothing", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  Config c = config_for(f);
  c.repository_url = "http://127.0.0.1:1/";  // nothing listens there
  RecordingObserver observer;
  UpdateService service(f.layout, c, std::make_unique<net::HttpFetcher>(), observer);
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
  UpdateService service(f.layout, c, std::make_unique<net::HttpFetcher>(), observer);
  service.start();
  observer.wait_for_finished_checks(1);
  service.stop();  // returns at once: the wait is interrupted, not served
  CHECK(observer.calls().back() == "finished");
  CHECK(service.staged()->version == "2.0.0");
}

namespace {
// The machine's time, but waits are a million times shorter: an hour between checks takes 3.6 ms.
class FastClock : public SystemClock {
 public:
  std::chrono::nanoseconds real_wait(std::chrono::nanoseconds d) const override { return d / 1000000; }
};
}  // namespace

TEST_CASE("the background thread sleeps the interval of its clock's time (Clock::real_wait)", "[update_service]") {
  TempDir root;
  StagingFixture f(root.path());
  RecordingObserver observer;
  Config c = config_for(f);
  c.check_interval_minutes = 60;
  UpdateService service(f.layout, c, ManagedPolicy::effective_settings(f.layout, c),
                        std::make_unique<net::HttpFetcher>(), observer, std::make_shared<FastClock>());
  service.start();
  observer.wait_for_finished_checks(3);  // three hours apart on its clock; with real waits, never in a test
  service.stop();
  CHECK(service.staged()->version == "2.0.0");
  const auto calls = observer.calls();
  CHECK(std::count(calls.begin(), calls.end(), "started") >= 3);
}

namespace {

// A fresh install root, the repository, and the service with a RecordingFetcher the test keeps an eye on.
struct Checks {
  TempDir root;
  StagingFixture f{root.path()};
  RecordingObserver observer;
  RecordingFetcher* fetcher = new RecordingFetcher;  // owned by the service
  UpdateService service{f.layout, config_for(f), std::unique_ptr<net::Fetcher>(fetcher), observer};
};

std::optional<VersionRecord> record_of(const StagingFixture& f, const std::string& v) {
  return StateStore(f.layout.state_db()).get(v);
}

}  // namespace

TEST_CASE("a package tampered on the way at every check is never a failed try, and is staged once it arrives intact",
          "[update_service][quarantine]") {
  Checks s;
  StagingFixture& f = s.f;
  const std::string honest = read_text(f.package_file);
  std::string bytes = honest;
  bytes[bytes.size() / 2] ^= 0x5a;  // tampered on the way (a mirror, proxy or man in the middle)
  write_text(f.package_file, bytes);
  for (int i = 1; i <= 4; ++i) {
    INFO("check " << i);
    auto msg = error_of([&] { s.service.check_now(); }, ErrorCode::kVerification);
    CHECK_THAT(msg, Catch::Contains("SHA-256") && !Catch::Contains("failed try"));
    CHECK_FALSE(stdfs::exists(f.layout.staged_dir("2.0.0")));
    CHECK_FALSE(stdfs::exists(f.layout.pending_marker()));
    CHECK_FALSE(stdfs::exists(f.layout.staging_dir() / "2.0.0.package.zip.part"));
  }
  CHECK(s.fetcher->downloads == 4);
  CHECK(StateStore(f.layout.state_db()).failure_count("2.0.0") == 0);
  CHECK_FALSE(record_of(f, "2.0.0").has_value());

  write_text(f.package_file, honest);
  auto staged = s.service.check_now();
  REQUIRE(staged);
  CHECK(staged->version == "2.0.0");
  CHECK(record_of(f, "2.0.0")->state == VersionState::kStaged);
}

TEST_CASE("connections dropped during the download, more than K times, never quarantine, and the download resumes",
          "[update_service][quarantine]") {
  Checks s;
  StagingFixture& f = s.f;
  s.fetcher->before_download = [&] { f.server.set_drop_after_bytes(64 * 1024); };
  stdfs::path part = f.layout.staging_dir() / "2.0.0.package.zip.part";
  for (int i = 1; i <= 4; ++i) {
    INFO("check " << i);
    auto msg = error_of([&] { s.service.check_now(); }, ErrorCode::kNetwork);
    CHECK_THAT(msg, !Catch::Contains("failed try"));
    CHECK(stdfs::file_size(part) == static_cast<uint64_t>(i) * 64 * 1024);  // each try got a little further
  }
  StateStore store(f.layout.state_db());
  CHECK(store.failure_count("2.0.0") == 0);
  CHECK_FALSE(store.get("2.0.0"));
  s.fetcher->before_download = nullptr;
  auto staged = s.service.check_now();
  REQUIRE(staged);
  CHECK(staged->version == "2.0.0");
  CHECK(s.fetcher->last.resumed);
  CHECK(s.fetcher->last.bytes_transferred == f.package_length - 4 * 64 * 1024);
}

TEST_CASE("a server stopped during the download and then gone quarantines nothing", "[update_service][quarantine]") {
  Checks s;
  StagingFixture& f = s.f;
  s.fetcher->before_download = [&] { f.server.stop(); };  // the release was selected, then the network went away
  for (int i = 1; i <= 3; ++i) error_of([&] { s.service.check_now(); }, ErrorCode::kNetwork);
  CHECK(s.fetcher->downloads == 1);  // later checks fail before any release is selected
  StateStore store(f.layout.state_db());
  CHECK(store.failure_count("2.0.0") == 0);
  CHECK(store.failures().empty());
  CHECK(store.in_state(VersionState::kQuarantined).empty());
}

TEST_CASE("a release that stages but fails its check at every apply is quarantined after K, then not downloaded",
          "[update_service][quarantine]") {
  Checks s;
  StagingFixture& f = s.f;
  for (int i = 1; i <= 3; ++i) {
    INFO("try " << i);
    auto staged = s.service.check_now();  // downloaded and staged again after each discard
    REQUIRE(staged);
    CHECK(staged->version == "2.0.0");
    // Something changes the staged folder before the launcher applies it.
    write_text(f.layout.staged_dir("2.0.0") / "stray.txt", "x");
    StateStore store(f.layout.state_db());
    auto msg = error_of([&] { Applier(f.layout, store, 3).apply("2.0.0"); }, ErrorCode::kVerification);
    CHECK_THAT(msg, Catch::Contains("stray.txt") && Catch::Contains("failed try " + std::to_string(i) + " of 3"));
  }
  CHECK(s.fetcher->downloads == 3);
  CHECK(record_of(f, "2.0.0")->state == VersionState::kQuarantined);
  CHECK_FALSE(s.service.check_now());  // not offered, not reported as staged
  CHECK_FALSE(s.service.staged());
  CHECK(s.fetcher->downloads == 3);
}

namespace {

UpdateSettings settings_for(const StagingFixture& f) {
  return UpdateSettings::resolve(config_for(f), f.layout.config_file(), ManagedPolicy{},
                                 [](const std::string&) { return std::optional<std::string>(); });
}

}  // namespace

TEST_CASE("update_mode disabled: check_now fetches nothing and says why", "[update_service][policy]") {
  TempDir root;
  StagingFixture f(root.path());
  UpdateSettings s = settings_for(f);
  s.set("update_mode", Json("disabled"), {SettingSource::Kind::kPolicy, "/p/10.json", ""});
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), s, std::make_unique<net::HttpFetcher>(), observer);
  f.server.reset_byte_counts();
  CHECK_FALSE(service.check_now());
  CHECK(observer.calls() == std::vector<std::string>{"off", "finished"});
  CHECK(observer.last_off() == "updates are disabled by managed policy (policy /p/10.json)");
  CHECK(f.server.body_bytes_sent("") == 0);
  CHECK_FALSE(service.background_delay());
}

TEST_CASE("the background thread waits out quiet hours, read from the clock it is given", "[update_service][policy]") {
  TempDir root;
  StagingFixture f(root.path());
  UpdateSettings s = settings_for(f);
  s.set("quiet_hours", Json("22:00-06:00"), {});
  RecordingObserver observer;
  auto service_at = [&](int minute) {
    return std::make_unique<UpdateService>(f.layout, config_for(f), s, std::make_unique<net::HttpFetcher>(), observer,
                                           std::make_shared<FixedClock>(minute));
  };
  CHECK(service_at(23 * 60)->background_delay() == std::chrono::minutes(7 * 60));
  CHECK(service_at(5 * 60 + 30)->background_delay() == std::chrono::minutes(30));
  CHECK(service_at(6 * 60)->background_delay() == std::chrono::minutes(0));
  CHECK(service_at(12 * 60)->background_delay() == std::chrono::minutes(0));
  // Manual updates: no background checks at all; an explicit check still runs.
  s.set("update_mode", Json("manual"), {});
  auto manual = service_at(12 * 60);
  CHECK_FALSE(manual->background_delay());
  REQUIRE(manual->check_now());
  CHECK(manual->staged()->version == "2.0.0");
}

TEST_CASE("the settings' repository, channel and version prefix decide what a check offers",
          "[update_service][policy]") {
  TempDir root;
  StagingFixture f(root.path());
  f.publish("2.1.0");
  UpdateSettings s = settings_for(f);
  s.set("target_version_prefix", Json("2.0."), {});
  RecordingObserver observer;
  UpdateService service(f.layout, config_for(f), s, std::make_unique<net::HttpFetcher>(), observer);
  REQUIRE(service.check_now());
  CHECK(service.staged()->version == "2.0.0");
  CHECK(service.settings().target_version_prefix == "2.0.");
}
