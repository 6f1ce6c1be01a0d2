// AppUpdater over a real install root and a file:// repository: the state a
// UI sees from check to staged (bytes, notes, each phase once, in order),
// a failed check, "Skip this version" (recorded, refused at the next check,
// refused when forced or critical), "Later" until the next reminder (on a
// FixedClock), "Restart to update" handing over to the launcher, listeners
// and wait_for_change.
#include "upkeep/embed/app_updater.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>

#include "embed_fixture.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/platform/process.h"

using namespace upkeep;
using namespace upkeep::test;
using Phase = UpdateState::Phase;
using Prompt = UpdateState::Prompt;

namespace {

// Every state the listeners were given, in order.
struct Recorder {
  std::mutex m;
  std::vector<UpdateState> seen;
  void operator()(const UpdateState& s) {
    std::lock_guard<std::mutex> g(m);
    seen.push_back(s);
  }
  std::vector<std::string> phases() {
    std::lock_guard<std::mutex> g(m);
    std::vector<std::string> out;
    for (const auto& s : seen)
      if (out.empty() || out.back() != phase_name(s.phase)) out.push_back(phase_name(s.phase));
    return out;
  }
  std::vector<uint64_t> revisions() {
    std::lock_guard<std::mutex> g(m);
    std::vector<uint64_t> out;
    for (const auto& s : seen) out.push_back(s.revision);
    return out;
  }
};

UpdateState stage(AppUpdater& updater) {
  updater.check_now();
  return wait_until(updater,
                    [](const UpdateState& s) { return s.phase == Phase::kStaged || s.phase == Phase::kFailed; });
}

}  // namespace

TEST_CASE("app updater: a check goes through downloading and verifying to staged with bytes and notes", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "## What's new\n- faster\n");
  auto updater = w.open();
  CHECK(updater->state().phase == Phase::kIdle);
  CHECK(updater->state().running_version == "1.0.0");
  auto recorder = std::make_shared<Recorder>();
  updater->subscribe([recorder](const UpdateState& s) { (*recorder)(s); });

  UpdateState s = stage(*updater);
  REQUIRE(s.phase == Phase::kStaged);
  CHECK(s.version == "2.0.0");
  CHECK(s.notes == "## What's new\n- faster\n");
  CHECK(s.bytes_total > 0);
  CHECK(s.bytes_done == s.bytes_total);
  CHECK(s.error.empty());
  CHECK(s.can_skip);
  CHECK_FALSE(s.critical);
  // restart_prompt "ask" (the default): the policy thread asks; the UI offers the buttons.
  s = wait_until(*updater, [](const UpdateState& st) { return st.prompt == Prompt::kAsk; });
  CHECK_FALSE(s.dismissed);
  CHECK(StateStore(w.layout.state_db()).get("2.0.0")->state == VersionState::kStaged);

  wait_until(*updater, [&](const UpdateState&) { return recorder->revisions().size() == s.revision; });
  CHECK(recorder->phases() == std::vector<std::string>{"checking", "downloading", "verifying", "staged"});
  auto revisions = recorder->revisions();
  for (size_t i = 0; i < revisions.size(); ++i) CHECK(revisions[i] == i + 1);  // every change, once, in order
}

TEST_CASE("app updater: a failed check is kFailed with the error, and the next check starts afresh", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  std::string good = w.repository_url;
  w.repository_url = "file://" + (w.dir / "no-such-repo").string() + "/";
  {
    auto updater = w.open();
    UpdateState s = stage(*updater);
    CHECK(s.phase == Phase::kFailed);
    CHECK(s.error.find("no-such-repo") != std::string::npos);
    CHECK(s.version.empty());
    CHECK(w.layout.current_version() == "1.0.0");
  }
  w.repository_url = good;
  auto updater = w.open();
  CHECK(stage(*updater).phase == Phase::kStaged);
}

TEST_CASE("app updater: updates turned off by managed policy show at start, naming the file", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  w.policy(R"({"update_mode":"disabled"})");
  auto updater = w.open();
  updater->start();
  UpdateState s = wait_for_phase(*updater, Phase::kUpdatesOff);
  CHECK(s.error.find("10-test.json") != std::string::npos);
  CHECK_FALSE(stdfs::exists(w.layout.staged_dir("2.0.0")));
}

TEST_CASE("app updater: skip records the version skipped and the next check does not offer it", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  auto updater = w.open();
  REQUIRE(stage(*updater).phase == Phase::kStaged);
  REQUIRE(stdfs::exists(w.layout.staged_dir("2.0.0")));
  updater->skip_version();
  UpdateState s = wait_for_phase(*updater, Phase::kUpToDate);
  CHECK(s.version.empty());
  CHECK(s.prompt == Prompt::kNone);
  CHECK_FALSE(s.can_skip);
  {
    StateStore store(w.layout.state_db());
    CHECK(store.get("2.0.0")->state == VersionState::kSkipped);
    CHECK_FALSE(store.has_pending_work());
  }
  CHECK_FALSE(stdfs::exists(w.layout.staged_dir("2.0.0")));
  CHECK_FALSE(stdfs::exists(w.layout.manifest_file("2.0.0")));
  CHECK_FALSE(stdfs::exists(w.layout.pending_marker()));

  // The next check: up to date, nothing downloaded; a newer release is offered again.
  const uint64_t before = s.revision;
  updater->check_now();
  s = wait_until(*updater, [&](const UpdateState& st) { return st.revision > before && st.phase == Phase::kUpToDate; });
  CHECK(s.version.empty());
  CHECK_FALSE(stdfs::exists(w.layout.staged_dir("2.0.0")));
  w.publish("3.0.0", "three");
  s = stage(*updater);
  CHECK(s.phase == Phase::kStaged);
  CHECK(s.version == "3.0.0");
}

TEST_CASE("app updater: skip is refused when the restart is forced or the release critical", "[embed]") {
  EmbedWorld w;
  SECTION("forced by managed policy") {
    w.publish("2.0.0", "notes");
    w.policy(R"({"restart_prompt":"forced","restart_deadline_hours":24})");
  }
  SECTION("a critical release") { w.publish("2.0.0", "notes", /*critical=*/true); }
  auto updater = w.open();
  UpdateState s = stage(*updater);
  REQUIRE(s.phase == Phase::kStaged);
  CHECK_FALSE(s.can_skip);
  updater->skip_version();
  s = wait_until(*updater, [](const UpdateState& st) { return !st.error.empty(); });
  CHECK(s.error.find("cannot be skipped") != std::string::npos);
  CHECK(s.phase == Phase::kStaged);
  CHECK(StateStore(w.layout.state_db()).get("2.0.0")->state == VersionState::kStaged);
  CHECK(stdfs::exists(w.layout.staged_dir("2.0.0")));
}

TEST_CASE("app updater: a forced prompt carries its deadline and who requires it", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  w.policy(R"({"restart_prompt":"forced","restart_deadline_hours":24})");
  auto updater = w.open();
  REQUIRE(stage(*updater).phase == Phase::kStaged);
  UpdateState s = wait_until(*updater, [](const UpdateState& st) { return st.prompt == Prompt::kForced; });
  REQUIRE(s.restart_at);
  CHECK(*s.restart_at > w.clock->now() + std::chrono::hours(23));
  CHECK(s.required_by.find("10-test.json") != std::string::npos);
}

TEST_CASE("app updater: later dismisses the prompt until the next reminder", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  w.policy(R"({"restart_prompt":"notify"})");
  auto updater = w.open();
  REQUIRE(stage(*updater).phase == Phase::kStaged);
  UpdateState s = wait_until(*updater, [](const UpdateState& st) { return st.prompt == Prompt::kNotify; });
  updater->later();
  s = wait_until(*updater, [](const UpdateState& st) { return st.dismissed; });
  CHECK(s.prompt == Prompt::kNotify);
  w.clock->advance(std::chrono::minutes(30));  // no reminder yet
  s = updater->wait_for_change(s.revision, std::chrono::milliseconds(1500));
  CHECK(s.dismissed);
  w.clock->advance(std::chrono::minutes(31));  // the reminder is due
  s = wait_until(*updater, [](const UpdateState& st) { return st.prompt == Prompt::kRemind; });
  CHECK_FALSE(s.dismissed);
}

TEST_CASE("app updater: restart_now saves the work and hands over to the launcher", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  int saves = 0;
  bool save_ok = true;
  AppUpdater::Options options;
  options.restart_args = {"--from-updater"};
  options.save_work = [&] {
    ++saves;
    return save_ok;
  };
  auto updater = w.open(options);

  updater->restart_now();  // nothing staged yet
  UpdateState s = wait_until(*updater, [](const UpdateState& st) { return !st.error.empty(); });
  CHECK(s.error.find("nothing to restart") != std::string::npos);
  CHECK(saves == 0);

  REQUIRE(stage(*updater).phase == Phase::kStaged);
  wait_until(*updater, [](const UpdateState& st) { return st.prompt == Prompt::kAsk; });
  save_ok = false;
  updater->restart_now();
  s = wait_until(*updater, [](const UpdateState& st) {
    return st.error.find("not saved") != std::string::npos || st.error.find("could not be saved") != std::string::npos;
  });
  CHECK(s.phase == Phase::kStaged);
  CHECK(saves == 1);

  LauncherStandIn launcher(w.dir.path());
  ::setenv(env::kLauncher, launcher.script.c_str(), 1);
  save_ok = true;
  updater->restart_now();
  s = wait_for_phase(*updater, Phase::kRestarting);
  ::unsetenv(env::kLauncher);
  CHECK(s.version == "2.0.0");
  CHECK(saves == 2);
  CHECK(launcher.arguments() == "--upkeep-after-pid " + std::to_string(::getpid()) + " --from-updater\n");
  // Restarting is final: a later check changes nothing.
  updater->check_now();
  CHECK(updater->wait_for_change(s.revision, std::chrono::milliseconds(300)).phase == Phase::kRestarting);
}

TEST_CASE("app updater: with listening sockets the restart is a hand-over", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  int socket = listen_on_loopback();
  AppUpdater::Options options;
  options.listen_fds = {socket};
  options.listen_names = {"web"};
  auto updater = w.open(options);
  REQUIRE(stage(*updater).phase == Phase::kStaged);
  LauncherStandIn launcher(w.dir.path(),
                           "\"$* fds=$LISTEN_FDS names=$LISTEN_FDNAMES\" $(test -S /proc/self/fd/3 && echo socket)");
  ::setenv(env::kLauncher, launcher.script.c_str(), 1);
  updater->restart_now();
  wait_for_phase(*updater, Phase::kRestarting);
  ::unsetenv(env::kLauncher);
  CHECK(launcher.arguments() ==
        "--upkeep-after-pid " + std::to_string(::getpid()) + " --upkeep-handover fds=1 names=web socket\n");
  ::close(socket);
}

TEST_CASE("app updater: headless, a staged update restarts when the app stops", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  AppUpdater::Options options;
  options.headless = true;
  auto updater = w.open(options);
  UpdateState s = stage(*updater);
  REQUIRE(s.phase == Phase::kStaged);
  CHECK(updater->wait_for_change(s.revision, std::chrono::milliseconds(300)).prompt == Prompt::kNone);  // nobody to ask
  LauncherStandIn launcher(w.dir.path());
  ::setenv(env::kLauncher, launcher.script.c_str(), 1);
  updater->stop();
  ::unsetenv(env::kLauncher);
  CHECK(updater->state().phase == Phase::kRestarting);
  CHECK(launcher.arguments() == "--upkeep-after-pid " + std::to_string(::getpid()) + "\n");
}

TEST_CASE("app updater: listeners, unsubscribe and wait_for_change", "[embed]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  auto updater = w.open();
  // Nothing changes: wait_for_change returns the same revision when the time is up.
  auto t0 = std::chrono::steady_clock::now();
  UpdateState s = updater->wait_for_change(0, std::chrono::milliseconds(100));
  CHECK(s.revision == 0);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(100));

  auto kept = std::make_shared<Recorder>();
  auto dropped = std::make_shared<Recorder>();
  updater->subscribe([kept](const UpdateState& st) { (*kept)(st); });
  int id = updater->subscribe([dropped](const UpdateState& st) { (*dropped)(st); });
  updater->unsubscribe(id);
  // A listener may call back into the updater (no lock is held).
  std::atomic<int> reads{0};
  updater->subscribe([&](const UpdateState&) { reads += updater->state().revision > 0; });
  s = stage(*updater);
  REQUIRE(s.phase == Phase::kStaged);
  wait_until(*updater, [&](const UpdateState& st) { return kept->revisions().size() >= st.revision; });
  CHECK(dropped->revisions().empty());
  CHECK(reads > 0);
}

TEST_CASE("update state: to_json names the phase and prompt and carries every field", "[embed]") {
  UpdateState s;
  s.phase = Phase::kDownloading;
  s.running_version = "1.0.0";
  s.version = "2.0.0";
  s.notes = "a \"quoted\" line\n";
  s.bytes_done = 10;
  s.bytes_total = 40;
  s.bytes_per_second = 5.4;
  s.eta = std::chrono::seconds(6);
  s.prompt = Prompt::kForced;
  s.restart_at = std::chrono::system_clock::from_time_t(1700000000);
  s.required_by = "policy /etc/p.json";
  s.revision = 7;
  Json j = Json::parse(s.to_json());
  CHECK(j.get_string("phase") == "downloading");
  CHECK(j.get_string("prompt") == "forced");
  CHECK(j.get_string("notes") == "a \"quoted\" line\n");
  CHECK(j.get_int("bytes_done") == 10);
  CHECK(j.get_int("bytes_total") == 40);
  CHECK(j.get_int("bytes_per_second") == 5);
  CHECK(j.get_int("eta_seconds") == 6);
  CHECK(j.get_int("restart_at") == 1700000000);
  CHECK(j.get_int("revision") == 7);
  for (const char* key : {"running_version", "version", "critical", "error", "required_by", "dismissed", "can_skip"})
    CHECK(j.contains(key));
  CHECK(Json::parse(UpdateState{}.to_json()).at("eta_seconds").is_null());
  CHECK(std::string(phase_name(Phase::kNotManaged)) == "not_managed");
  CHECK(std::string(prompt_name(Prompt::kRemind)) == "remind");
}
