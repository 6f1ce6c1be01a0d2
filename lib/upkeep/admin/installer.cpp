#include "upkeep/admin/installer.h"

#include <spdlog/spdlog.h>

#include <set>

#include "upkeep/admin/desktop_shortcut.h"
#include "upkeep/admin/install_record.h"
#include "upkeep/admin/offline_bundle.h"
#include "upkeep/admin/shared_root.h"
#include "upkeep/admin/update_timer.h"
#include "upkeep/admin/user_data_purge.h"
#include "upkeep/base/error.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/platform/privileges.h"
#include "upkeep/platform/secret_file.h"
#include "upkeep/policy/config.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/repository/repository_trust.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/release_selector.h"
#include "upkeep/update/stager.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

namespace {

void copy_executable(const stdfs::path& from, const stdfs::path& to) {
  if (!stdfs::exists(from)) fail(ErrorCode::kNotFound, "cannot find " + from.string() + " to install it");
  stdfs::path tmp = to.string() + ".tmp";
  stdfs::copy_file(from, tmp, stdfs::copy_options::overwrite_existing);
  fs::set_file_mode(tmp, 0755);
  fs::fsync_file(tmp);
  fs::rename_durable(tmp, to);
}

// The first version's install hook, once everything else is in place. A
// failure throws, and install() then removes what was installed.
void run_install_hook(const Layout& layout, const std::string& version) {
  auto lock = InstallLock::acquire(layout.lock_file(), std::chrono::seconds(30));
  StateStore store = StateRecovery(layout).open();
  auto run = ReleaseHooks(layout, store).run(HookKind::kInstall, version);
  if (!run || run->state == HookRunState::kSucceeded) return;
  fail(ErrorCode::kFailure, describe_hook_run(*run) + "; the install is undone" +
                                (run->output.empty() ? "" : ". Its output ended with:\n" + run->output));
}

// The current version's uninstall hook, if it declares one. Never throws:
// a hook that cannot run is reported in `problem` and does not block the uninstall.
std::optional<HookRun> run_uninstall_hook(const Layout& layout, std::string& problem) {
  auto current = layout.current_version();
  if (!current || !stdfs::exists(layout.state_db())) return std::nullopt;
  try {
    StateStore store = StateRecovery(layout).open();
    return ReleaseHooks(layout, store).run(HookKind::kUninstall, *current);
  } catch (const std::exception& e) {
    problem = std::string("could not check for an uninstall hook of ") + *current + ": " + e.what();
    spdlog::warn("{}", problem);
    return std::nullopt;
  }
}

// The fetcher of an install: every scheme, with the credentials file's credentials (refused when loose).
std::unique_ptr<net::Fetcher> install_fetcher(const InstallOptions& o) {
  return net::make_fetcher(net::with_credentials_file(o.credentials_file));
}

// Trust: a pinned root, or the repository's first root on first use (true).
bool bootstrap_trust(const InstallOptions& o, const stdfs::path& trust_dir, net::Fetcher& fetcher) {
  return RepositoryTrust::start(trust_dir, o.repository_url, o.trusted_root, fetcher);
}

// The repository's one app id, read through verified metadata in a
// temporary trust folder (the install root's name depends on it).
std::string discover_app_id(const InstallOptions& o) {
  const fs::RemoveTreeOnExit temp(fs::make_temp_dir("upkeep-install-"));
  const stdfs::path& dir = temp.path();
  const auto fetcher = install_fetcher(o);
  bootstrap_trust(o, dir, *fetcher);
  tuf::Client client(dir, RepositoryLayout::metadata_url(o.repository_url),
                     RepositoryLayout::targets_url(o.repository_url), *fetcher);
  client.refresh();
  return sole_app_id(client.targets());
}

// What the record names outside the root (shortcut, icon, units); "" or
// what could not be removed. Never throws.
std::string remove_outside_root(const InstallRecord& record) {
  remove_shortcut(record.desktop_entry, record.icon);
  return UpdateTimer::remove_units(record.scope, record.units);
}

// The update timer's units: per machine always, per user when asked.
void write_timer(const InstallOptions& o, const Layout& layout, InstallResult& result, InstallRecord& record) {
  if (o.scope != InstallScope::kSystem && !o.schedule) return;
  if (!stdfs::exists(layout.root() / "upkeep-updater"))
    fail(ErrorCode::kNotFound, "the update timer runs upkeep-updater, and none was found beside upkeep to install");
  const auto timer = UpdateTimer::for_install(o.scope, result.app_id, layout.root(), o.systemd_dir);
  record.units = {timer.service_file(), timer.timer_file()};
  timer.write();
  result.units = record.units;
}

// The shortcut, the update timer, and the record of what lies outside the root.
void install_outside_root(const InstallOptions& o, const Layout& layout, const ReleaseInfo& release,
                          InstallResult& result) {
  InstallPathOverrides where = o.paths;
  where.prefix = layout.root();
  const InstallPaths paths = InstallPaths::resolve(o.scope, result.app_id, where);
  InstallRecord record;
  record.scope = o.scope;
  record.user_data = paths.user_data;
  if (o.shortcut) {
    const Json desktop = ReleaseFacts::read(release.package.custom).desktop;
    const DesktopEntry entry = DesktopEntry::from_metadata(desktop, result.app_id, result.launcher);
    const InstalledShortcut made = install_shortcut(entry, layout.version_dir(release.version), paths);
    record.desktop_entry = made.desktop_entry;
    record.icon = made.icon;
    result.desktop_entry = made.desktop_entry;
  }
  try {
    write_timer(o, layout, result, record);
    record.save(layout.root());
  } catch (...) {
    remove_outside_root(record);
    throw;
  }
}

// Last: the timer runs from now on where its manager runs here; elsewhere
// the result says what to give cron instead. Never throws.
void enable_timer(const InstallOptions& o, const Layout& layout, InstallResult& result) {
  if (result.units.empty()) return;
  const auto timer = UpdateTimer::for_install(o.scope, result.app_id, layout.root(), o.systemd_dir);
  if (timer.can_enable()) {
    try {
      timer.enable();
      result.timer_enabled = true;
      return;
    } catch (const Error& e) {
      result.timer_note = std::string("could not enable it: ") + e.what();
    }
  } else if (!UpdateTimer::manager_runs(o.scope)) {
    result.timer_note = o.scope == InstallScope::kSystem ? "systemd is not running here"
                                                         : "no systemd user manager runs for this user now";
  } else {
    result.timer_note = "its folder " + timer.timer_file().parent_path().string() + " is not the manager's";
  }
  result.cron_line = timer.cron_line();
  spdlog::info("update timer {} not enabled: {}", timer.timer_file().string(), result.timer_note);
}

InstallResult install_into(const InstallOptions& o, const Layout& layout, UpdateObserver& observer) {
  InstallResult result;
  for (const auto& d :
       {layout.trust_dir(), layout.staging_dir(), layout.versions_dir(), layout.manifests_dir(), layout.logs_dir()})
    fs::create_directories_durable(d);

  const auto fetcher_owner = install_fetcher(o);
  net::Fetcher& fetcher = *fetcher_owner;
  if (o.credentials_file && o.keep_credentials)  // the updates' copy; never into config.json
    fs::write_secret_file(net::CredentialStore::install_file(layout.root()),
                          fs::read_secret_file(*o.credentials_file, net::CredentialStore::kMaxFileBytes));
  result.trusted_on_first_use = bootstrap_trust(o, layout.trust_dir(), fetcher);
  // A bundle checks expiry as of its creation (InstallOptions::metadata_time).
  const FixedClock bundle_time(FixedClock::at_unix(o.metadata_time.value_or(0)));
  const Clock& clock = o.metadata_time ? static_cast<const Clock&>(bundle_time) : *SystemClock::instance();
  tuf::Client client(layout.trust_dir(), RepositoryLayout::metadata_url(o.repository_url),
                     RepositoryLayout::targets_url(o.repository_url), fetcher, clock);
  client.refresh();
  result.app_id = o.app_id ? *o.app_id : sole_app_id(client.targets());
  check_app_id(result.app_id);

  Config config;
  config.app_id = result.app_id;
  config.repository_url = o.config_repository_url.value_or(o.repository_url);
  config.mirror_urls = o.mirror_urls;
  config.channel = o.channel;
  config.platform = build_platform();

  SelectionCriteria criteria{.app_id = config.app_id, .platform = config.platform, .channel = config.channel};
  criteria.exact_version = o.version;
  criteria.version_prefix = o.version_prefix;
  auto release = select_release(client.targets(), criteria);
  if (!release)
    fail(
        ErrorCode::kNotFound,
        o.version
            ? "version " + *o.version + " of " + config.app_id + " for " + config.platform + " is not in the repository"
            : "no release of " + config.app_id + " for " + config.platform + " in channel " + config.channel +
                  (o.version_prefix.empty() ? "" : " matching target_version_prefix '" + o.version_prefix + "'"));
  observer.on_update_found(*release);
  ObserverProgress progress(observer, release->version);
  Stager(layout, fetcher)
      .stage(*release, ReleaseUrls::of(*release, client, config.app_id, /*use_delta=*/false), &progress);
  observer.on_staged(*release);

  {
    auto lock = InstallLock::acquire(layout.lock_file(), std::chrono::seconds(30));
    StateStore store = StateRecovery(layout).open();
    Applier applier(layout, store, config.max_update_failures);
    applier.apply(release->version);
    applier.mark_good(release->version);  // a first install has nothing to roll back to
    store.add_event("installed", release->version, "");
    Config::remember(store, config);  // what `upkeep repair` rewrites a damaged config.json from
    PendingMarker(layout).clear_if_idle(store);
  }
  config.save(layout.config_file());
  result.launcher = layout.root() / result.app_id;
  copy_executable(o.launcher_binary, result.launcher);
  if (!o.updater_binary.empty() && stdfs::exists(o.updater_binary))
    copy_executable(o.updater_binary, layout.root() / "upkeep-updater");
  install_outside_root(o, layout, *release, result);
  run_install_hook(layout, release->version);  // a failure: install() removes the shortcut with the root
  if (o.scope == InstallScope::kSystem) share_with_every_user(layout);
  enable_timer(o, layout, result);
  result.version = release->version;
  return result;
}

}  // namespace

InstallResult install(const InstallOptions& in, UpdateObserver& observer) {
  if (in.scope == InstallScope::kSystem && !running_as_administrator())
    fail(ErrorCode::kNeedsRoot,
         "a per-machine install (--system) needs administrator rights: run it as root (sudo), or install for "
         "this user without --system");
  InstallOptions options = in;
  if (!options.paths.prefix) {
    if (!options.app_id) options.app_id = discover_app_id(options);
    options.paths.prefix = InstallPaths::resolve(options.scope, *options.app_id, options.paths).root;
  }
  Layout layout(stdfs::absolute(*options.paths.prefix));
  if (stdfs::exists(layout.config_file()))
    fail(ErrorCode::kExists, layout.root().string() + " already holds an installed application (uninstall it first)");
  bool created = !stdfs::exists(layout.root());
  if (!created && !stdfs::is_empty(layout.root()))
    fail(ErrorCode::kExists, layout.root().string() + " exists and is not empty; choose an empty or new folder");
  std::vector<stdfs::path> made_above;  // folders above the root this install creates
  for (auto p = layout.root().parent_path(); !p.empty() && !stdfs::exists(p); p = p.parent_path())
    made_above.push_back(p);
  try {
    InstallResult result = install_into(options, layout, observer);
    // Every user reaches a per-machine root, whatever the umask made of the folders above it.
    if (options.scope == InstallScope::kSystem)
      for (const auto& p : made_above) fs::set_file_mode(p, 0755);
    return result;
  } catch (...) {
    // Leave nothing half-installed behind: what the record names outside the root, then the root.
    std::error_code ec;
    try {
      if (const auto record = InstallRecord::load(layout.root())) remove_outside_root(*record);
    } catch (const std::exception&) {
      // an unreadable record was written by no one else: nothing outside the root to remove
    }
    if (created) {
      stdfs::remove_all(layout.root(), ec);
    } else {
      for (const auto& e : stdfs::directory_iterator(layout.root(), ec)) stdfs::remove_all(e.path(), ec);
    }
    throw;
  }
}

InstallResult install_bundle(const stdfs::path& file, InstallOptions options, bool use_bundled_programs,
                             UpdateObserver& observer) {
  const auto bundle = admin::OfflineBundle::open(file);
  const auto& facts = bundle.facts();
  if (facts.platform != build_platform())
    fail(ErrorCode::kBadBundle, "bundle " + file.string() + " holds " + facts.app_id + " " + facts.version + " for " +
                                    facts.platform + "; this machine needs " + build_platform());
  const fs::RemoveTreeOnExit temp(fs::make_temp_dir("upkeep-bundle-"));
  const stdfs::path payload = temp.path() / "payload";
  fs::create_directories_durable(temp.path());
  bundle.extract(payload);
  spdlog::info("unpacked bundle {} ({} {}) into {}", file.string(), facts.app_id, facts.version, payload.string());

  options.repository_url = "file://" + payload.string() + "/";
  if (!options.config_repository_url) options.config_repository_url = facts.update_url;
  options.app_id = facts.app_id;
  options.version = facts.version;
  options.channel = facts.channel;
  options.metadata_time = facts.created;
  const bool pinned = options.trusted_root.has_value();
  if (!pinned) options.trusted_root = RepositoryLayout::metadata_dir(payload) / RepositoryLayout::root_file_name(1);
  if (use_bundled_programs) {
    options.launcher_binary = payload / "bin" / "launcher";
    options.updater_binary = payload / "bin" / "upkeep-updater";
  }
  InstallResult result = install(options, observer);
  result.trusted_on_first_use = !pinned;
  return result;
}

namespace {

// With no record in the root: the XDG rules, for the app id `config.json` names or the caller's.
std::optional<UserDataPurge> purge_by_rules(const Layout& layout, const std::optional<PurgeFallback>& fallback) {
  std::string app_id = fallback ? fallback->app_id : "";
  if (stdfs::exists(layout.config_file())) app_id = Config::load_or_salvage(layout.config_file(), app_id).config.app_id;
  if (app_id.empty()) return std::nullopt;
  UserDataPurge purge = UserDataPurge::by_rules(app_id, fallback ? fallback->scope : InstallScope::kUser);
  purge.roots.push_back(layout.root());
  return purge;
}

}  // namespace

UninstallResult uninstall(const stdfs::path& prefix, bool purge, const std::optional<PurgeFallback>& fallback) {
  Layout layout(stdfs::absolute(prefix));
  UninstallResult result;
  if (!stdfs::exists(layout.root())) {
    // Removed before, by a plain uninstall: its record went with it, the XDG rules still name its user data.
    if (!purge) return result;
    if (!fallback)
      result.purge_problem = "nothing installed at " + layout.root().string() +
                             " any more, so no record names its user data: give --app-id ID (and --system for a "
                             "per-machine install) to remove the folders the XDG rules name";
    else
      result.purged = purge_by_rules(layout, fallback)->run(result.purge_problem);
    return result;
  }
  InstallRecord::require_rights(layout.root(), "removing it");
  if (!stdfs::exists(layout.config_file()) && !stdfs::exists(layout.state_db()))
    fail(ErrorCode::kBadInput,
         layout.root().string() + " is not an install root (no config.json or state.db); not removing it");
  {
    auto lock = InstallLock::acquire(layout.lock_file(), std::chrono::seconds(30));
    result.hook = run_uninstall_hook(layout, result.hook_problem);
    // Outside the root first: a failure after this leaves a root that a
    // second uninstall removes, never a shortcut to nothing.
    const auto record = InstallRecord::load(layout.root());
    if (record) {
      result.units_problem = remove_outside_root(*record);
      result.units = record->units;
    }
    if (purge) {
      auto folders =
          record ? std::optional(UserDataPurge{record->user_data, {layout.root()}}) : purge_by_rules(layout, fallback);
      if (folders) result.purged = folders->run(result.purge_problem);
    }
    // The lock file goes last, so a launcher starting now waits, then finds nothing.
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(layout.root(), ec))
      if (e.path() != layout.lock_file()) fs::remove_tree(e.path());
  }
  fs::remove_tree(layout.root());
  result.removed = true;
  return result;
}

}  // namespace upkeep::admin
