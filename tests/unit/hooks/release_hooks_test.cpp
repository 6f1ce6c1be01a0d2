// ReleaseHooks in a real install root (version folder, signed manifest file,
// state.db) with shell-script hooks: run until success once, recorded, run
// again after an interruption, never run from unverified files.
#include "upkeep/hooks/release_hooks.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fs.h"

using upkeep::ErrorCode;
using upkeep::FileManifest;
using upkeep::HookKind;
using upkeep::HookRunState;
using upkeep::HookSpec;
using upkeep::Layout;
using upkeep::ReleaseHooks;
using upkeep::StateStore;
using upkeep::test::error_of;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// Version 2.0.0 installed in a fresh root, its manifest saved and its signed hash recorded,
// with bin/hook as its update hook. Every run of the hook appends a line to runs.txt.
struct Root {
  explicit Root(const std::string& body, std::vector<HookSpec> hooks = {{HookKind::kUpdate, "bin/hook", 30}}) {
    const stdfs::path v = layout.version_dir("2.0.0");
    write_text(v / "bin" / "hook",
               "#!/bin/sh\necho \"$1 $UPKEEP_PREVIOUS_VERSION\" >> \"" + (tmp / "runs.txt").string() + "\"\n" + body);
    stdfs::permissions(v / "bin" / "hook", static_cast<stdfs::perms>(0755));
    write_text(v / "share" / "data.txt", "data");
    std::string text = FileManifest::from_directory(v, "2.0.0", std::move(hooks)).to_json();
    write_text(layout.manifest_file("2.0.0"), text);
    store.record_installed("2.0.0", upkeep::sha256_hex(text));
  }
  std::optional<upkeep::HookRun> run(HookKind kind = HookKind::kUpdate) {
    return ReleaseHooks(layout, store).run(kind, "2.0.0", "1.0.0");
  }
  std::string runs() const { return stdfs::exists(tmp / "runs.txt") ? read_text(tmp / "runs.txt") : ""; }
  std::string newest_event() { return store.events(1).at(0).kind + ": " + store.events(1).at(0).detail; }

  TempDir tmp;
  Layout layout{tmp / "root"};
  StateStore store{[this] {
    stdfs::create_directories(tmp / "root");
    return layout.state_db();
  }()};
};

}  // namespace

TEST_CASE("a hook that succeeded is recorded with an event and never run again", "[hooks]") {
  Root root("echo configured\n");
  auto first = root.run();
  REQUIRE(first);
  CHECK(first->state == HookRunState::kSucceeded);
  CHECK(first->version == "2.0.0");
  CHECK(first->kind == HookKind::kUpdate);
  CHECK(first->path == "bin/hook");
  CHECK(first->attempts == 1);
  CHECK(first->exit_code == 0);
  CHECK(first->output == "configured\n");
  CHECK(first->detail == "exit code 0");
  CHECK(first->finished_at >= first->started_at);
  CHECK(root.runs() == "update 1.0.0\n");
  CHECK(root.newest_event() == "hook_succeeded: update bin/hook: exit code 0");
  CHECK(upkeep::describe_hook_run(*first) == "the update hook bin/hook of 2.0.0 succeeded");

  auto again = root.run();
  REQUIRE(again);
  CHECK(again->state == HookRunState::kSucceeded);
  CHECK(again->attempts == 1);
  CHECK(root.runs() == "update 1.0.0\n");  // not run a second time
}

TEST_CASE("a hook recorded as started without an outcome (a crash) is run again", "[hooks]") {
  Root root("exit 0\n");
  root.store.hook_started("2.0.0", HookKind::kUpdate, "bin/hook");  // what a crash mid-hook leaves
  auto run = root.run();
  REQUIRE(run);
  CHECK(run->state == HookRunState::kSucceeded);
  CHECK(run->attempts == 2);
  CHECK(root.runs() == "update 1.0.0\n");
  CHECK(root.newest_event() ==
        "hook_succeeded: update bin/hook: exit code 0 (start 2; an earlier run was interrupted)");
}

TEST_CASE("a failed or timed-out hook is recorded as such and its outcome stands", "[hooks]") {
  SECTION("failed") {
    Root root("echo broken >&2; exit 4\n");
    auto run = root.run();
    REQUIRE(run);
    CHECK(run->state == HookRunState::kFailed);
    CHECK(run->exit_code == 4);
    CHECK(run->output == "broken\n");
    CHECK(upkeep::describe_hook_run(*run) == "the update hook bin/hook of 2.0.0 failed: exit code 4");
    CHECK(root.newest_event() == "hook_failed: update bin/hook: exit code 4");
    CHECK(root.run()->state == HookRunState::kFailed);
    CHECK(root.runs() == "update 1.0.0\n");  // not retried
  }
  SECTION("timed out") {
    Root root("exec sleep 60\n", {{HookKind::kUpdate, "bin/hook", 1}});
    auto run = root.run();
    REQUIRE(run);
    CHECK(run->state == HookRunState::kTimedOut);
    CHECK(root.store.hook_run("2.0.0", HookKind::kUpdate)->state == HookRunState::kTimedOut);
    CHECK(root.newest_event().rfind("hook_timed_out: update bin/hook: still running after its 1 s time limit", 0) == 0);
  }
}

TEST_CASE("only the declared kind runs, a release without that hook records nothing", "[hooks]") {
  Root root("exit 0\n", {{HookKind::kInstall, "bin/hook", 30}});
  CHECK_FALSE(root.run(HookKind::kUpdate));
  CHECK_FALSE(root.run(HookKind::kUninstall));
  CHECK(root.store.hook_runs().empty());
  CHECK(root.run(HookKind::kInstall)->state == HookRunState::kSucceeded);
  CHECK(root.runs() == "install \n");
}

TEST_CASE("nothing runs from a manifest or hook file that does not match what was signed", "[hooks]") {
  SECTION("the manifest file was changed") {
    Root root("exit 0\n");
    std::string text = read_text(root.layout.manifest_file("2.0.0"));
    write_text(root.layout.manifest_file("2.0.0"), text + " ");
    std::string message = error_of([&] { root.run(); }, ErrorCode::kVerification);
    CHECK(message ==
          root.layout.manifest_file("2.0.0").string() + " does not match its signed hash; not running its hooks");
    CHECK(root.store.hook_runs().empty());
  }
  SECTION("the hook file was rewritten in place after it was verified") {
    Root root("exit 0\n");
    const stdfs::path hook = root.layout.version_dir("2.0.0") / "bin" / "hook";
    write_text(hook, "#!/bin/sh\necho evil >> \"" + (root.tmp / "runs.txt").string() + "\"\n");
    auto run = root.run();
    REQUIRE(run);
    CHECK(run->state == HookRunState::kFailed);
    CHECK(run->detail == "not run: " + hook.string() + " differs from its signed manifest entry (size or SHA-256)");
    CHECK(root.runs().empty());
  }
  SECTION("the hook lost its x bit") {
    Root root("exit 0\n");
    const stdfs::path hook = root.layout.version_dir("2.0.0") / "bin" / "hook";
    stdfs::permissions(hook, static_cast<stdfs::perms>(0644));
    auto run = root.run();
    REQUIRE(run);
    CHECK(run->state == HookRunState::kFailed);
    CHECK(run->detail == "not run: " + hook.string() + " has mode 0644, the signed manifest says 0755");
  }
  SECTION("no signed hash is recorded for the version") {
    Root root("exit 0\n");
    std::string message = error_of([&] { ReleaseHooks(root.layout, root.store).run(HookKind::kUpdate, "9.9.9"); },
                                   ErrorCode::kVerification);
    CHECK(message.find("no signed hash") != std::string::npos);
  }
}
