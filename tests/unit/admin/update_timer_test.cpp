#include "upkeep/admin/update_timer.h"

#include <catch2/catch.hpp>
#include <regex>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/admin/install_record.h"

using upkeep::admin::InstallRecord;
using upkeep::admin::InstallScope;
using upkeep::admin::UpdateTimer;
namespace stdfs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("update timer: unit names escaped, commands and paths quoted as systemd reads them", "[update_timer]") {
  const auto sys = UpdateTimer::for_install(InstallScope::kSystem, "my app%", "/opt/my app%$", "/units");
  CHECK(sys.service_file() == "/units/upkeep-my\\x20app\\x25.service");
  CHECK(sys.timer_file() == "/units/upkeep-my\\x20app\\x25.timer");
  const std::string service = sys.service_text();
  // '%' starts a specifier everywhere, '$' a variable in a command's arguments only.
  CHECK(has(service,
            "ExecStart=\"/opt/my app%%$/upkeep-updater\" --root \"/opt/my app%%$$\" "
            "--scheduled --apply-when-idle\n"));
  CHECK(has(service, "ReadWritePaths=\"/opt/my app%%$\"\n"));
  CHECK(has(service, "Description=Update my app%% in /opt/my app%%$ (upkeep)\n"));
  CHECK(has(service, "Type=oneshot\n"));
  CHECK(has(service, "UMask=0022\n"));
  CHECK(has(sys.timer_text(), "OnBootSec=5min\nOnUnitActiveSec=6h\nRandomizedDelaySec=30min\n"));
  CHECK(has(sys.timer_text(), "[Install]\nWantedBy=timers.target\n"));
  // systemd runs no program whose path holds a quote or a backslash.
  for (const char* root : {"/opt/it's", "/opt/a\"b", "/opt/a\\b"})
    CHECK(has(upkeep::test::error_of([&] { UpdateTimer::for_install(InstallScope::kSystem, "demo", root); },
                                     upkeep::ErrorCode::kBadInput),
              "choose another --prefix"));
}

TEST_CASE("update timer: the user's only checks and stages, the machine's applies when idle", "[update_timer]") {
  const auto user = UpdateTimer::for_install(InstallScope::kUser, "demo", "/home/ann/app", "/u");
  const std::string service = user.service_text();
  CHECK(has(service, "ExecStart=\"/home/ann/app/upkeep-updater\" --root \"/home/ann/app\" --scheduled\n"));
  CHECK_FALSE(has(service, "--apply-when-idle"));
  CHECK_FALSE(has(service, "ProtectSystem"));          // a user manager may not set up mount namespaces
  CHECK_FALSE(has(service, "network-online.target"));  // a system unit a user manager does not know
}

TEST_CASE("update timer: cron lines, per machine for /etc/cron.d and per user for crontab", "[update_timer]") {
  const std::string sys = UpdateTimer::for_install(InstallScope::kSystem, "demo", "/opt/a $b 100%", "/u").cron_line();
  INFO(sys);
  CHECK(std::regex_match(sys, std::regex(R"([0-9]{1,2} [0-5]-23/6 \* \* \* root .*)")));
  // Single quotes for the shell; cron turns an unescaped '%' into a newline.
  CHECK(has(sys,
            " root '/opt/a $b 100\\%/upkeep-updater' --root '/opt/a $b 100\\%' --scheduled --apply-when-idle --quiet"));
  const std::string user = UpdateTimer::for_install(InstallScope::kUser, "demo", "/home/ann/app", "/u").cron_line();
  CHECK(std::regex_match(user, std::regex(R"([0-9]{1,2} [0-5]-23/6 \* \* \* '/home/ann/app/upkeep-updater' )"
                                          R"(--root '/home/ann/app' --scheduled --quiet)")));
}

TEST_CASE("update timer: the managers' folders", "[update_timer]") {
  CHECK(UpdateTimer::manager_dir(InstallScope::kSystem) == "/etc/systemd/system");
  auto env = [](const char* name) -> const char* {
    return std::string(name) == "XDG_CONFIG_HOME" ? "/cfg" : std::string(name) == "HOME" ? "/home/ann" : nullptr;
  };
  CHECK(UpdateTimer::manager_dir(InstallScope::kUser, env) == "/cfg/systemd/user");
  auto home_only = [](const char* name) -> const char* { return std::string(name) == "HOME" ? "/home/ann" : nullptr; };
  CHECK(UpdateTimer::manager_dir(InstallScope::kUser, home_only) == "/home/ann/.config/systemd/user");
  // Units not in the manager's folder are never enabled.
  CHECK_FALSE(UpdateTimer::for_install(InstallScope::kSystem, "demo", "/opt/demo", "/elsewhere").can_enable());
}

TEST_CASE("update timer: written and removed, and listed in install.json", "[update_timer]") {
  upkeep::test::TempDir dir;
  const auto timer = UpdateTimer::for_install(InstallScope::kSystem, "demo", dir / "root", dir / "units");
  timer.write();
  CHECK(upkeep::test::read_text(timer.service_file()) == timer.service_text());
  CHECK(upkeep::test::read_text(timer.timer_file()) == timer.timer_text());

  InstallRecord record;
  record.scope = InstallScope::kSystem;
  record.units = {timer.service_file(), timer.timer_file()};
  stdfs::create_directories(dir / "root");
  record.save(dir / "root");
  const auto loaded = InstallRecord::load(dir / "root");
  REQUIRE(loaded);
  CHECK(loaded->units == record.units);

  // Not the manager's folder: nothing to disable, both files removed, nothing to report.
  CHECK(UpdateTimer::remove_units(InstallScope::kSystem, loaded->units).empty());
  CHECK_FALSE(stdfs::exists(timer.service_file()));
  CHECK_FALSE(stdfs::exists(timer.timer_file()));

  upkeep::test::write_text(InstallRecord::file_in(dir / "root"), R"({"scope":"system","units":["relative.timer"]})");
  CHECK(has(upkeep::test::error_of([&] { InstallRecord::load(dir / "root"); }, upkeep::ErrorCode::kBadInput),
            "'units' must be an absolute path"));
}
