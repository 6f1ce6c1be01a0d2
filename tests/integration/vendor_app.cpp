#include "vendor_app.h"

#include <sys/stat.h>

#include <sstream>

namespace upkeep::test {
namespace {

// The general string escapes of a Desktop Entry value: \s \n \t \r \\.
std::string unescape_value(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\' || i + 1 == v.size()) {
      out += v[i];
      continue;
    }
    const char c = v[++i];
    out += c == 's' ? ' ' : c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
  }
  return out;
}

}  // namespace

std::vector<std::string> desktop_exec_argv(const stdfs::path& desktop_file) {
  std::istringstream in(read_text(desktop_file));
  std::string line;
  std::optional<std::string> value;
  while (!value && std::getline(in, line))
    if (line.rfind("Exec=", 0) == 0) value = unescape_value(line.substr(5));
  INFO("desktop entry " << desktop_file);
  REQUIRE(value);
  std::vector<std::string> argv;
  std::string arg;
  bool in_arg = false, quoted = false;
  const std::string& s = *value;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 1 < s.size()) {  // a field code: %% is a '%', the others take no file here
      if (s[++i] == '%') arg += '%';
      in_arg = in_arg || s[i] == '%';
    } else if (quoted && c == '\\' && i + 1 < s.size()) {
      arg += s[++i];
    } else if (c == '"') {
      quoted = !quoted;
      in_arg = true;
    } else if (c == ' ' && !quoted) {
      if (in_arg) argv.push_back(arg);
      arg.clear();
      in_arg = false;
    } else {
      arg += c;
      in_arg = true;
    }
  }
  if (in_arg) argv.push_back(arg);
  REQUIRE(!argv.empty());
  return argv;
}

void write_script(const stdfs::path& file, const std::string& body) {
  write_text(file, "#!/bin/sh\n" + body);
  REQUIRE(chmod(file.c_str(), 0755) == 0);
}

std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  return argv;
}

InstallAnswer InstallAnswer::run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  Json j = Json::parse(run_ok(argv, env).out, "upkeep install --json");
  REQUIRE(j.at("desktop_entry").is_string());
  return {j.get_string("root"), j.get_string("desktop_entry")};
}

std::string version_state(const stdfs::path& launcher, const std::string& version,
                          const std::map<std::string, std::string>& env) {
  Json s = Json::parse(run_ok({launcher.string(), "--upkeep-status", "--upkeep-json"}, env).out,
                       "--upkeep-status --upkeep-json");
  for (const auto& v : s.get_array("versions"))
    if (v.get_string("version") == version) return v.get_string("state");
  return "";
}

namespace {
std::map<std::string, std::string> merged(std::map<std::string, std::string> a,
                                          const std::map<std::string, std::string>& b) {
  for (const auto& [k, v] : b) a[k] = v;
  return a;
}
}  // namespace

DesktopInstall::DesktopInstall(const VendorApp& app, const std::map<std::string, std::string>& env)
    : env_(merged(home_.env(), env)),
      answer_(InstallAnswer::run({program("upkeep").string(), "install", "--json", "--repo", app.server.url,
                                  "--trusted-root", app.vendor.root_json().string()},
                                 env_)) {}

namespace {
std::vector<std::string> install_argv(const VendorApp& app, const std::string& repo_url,
                                      const std::vector<std::string>& install_args) {
  std::vector<std::string> argv{
      program("upkeep").string(),     "install", "--json", "--repo", repo_url, "--trusted-root",
      app.vendor.root_json().string()};
  argv.insert(argv.end(), install_args.begin(), install_args.end());
  return argv;
}
}  // namespace

DesktopInstall::DesktopInstall(const VendorApp& app, const std::string& repo_url,
                               const std::vector<std::string>& install_args)
    : env_(home_.env()), answer_(InstallAnswer::run(install_argv(app, repo_url, install_args), env_)) {}

RunResult DesktopInstall::start(const std::vector<std::string>& args, const std::optional<std::string>& input) const {
  std::vector<std::string> argv = desktop_exec_argv(answer_.desktop_entry);
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, env_, input);
}

void DesktopInstall::stage() const {
  run_ok({(answer_.root / "upkeep-updater").string(), "--root", answer_.root.string()}, env_);
}

UpdateWalk release_install_update(const std::function<void(const stdfs::path&, const std::string&)>& build,
                                  const std::vector<std::string>& options, const Start& first, const Start& updated) {
  UpdateWalk walk;
  VendorApp& app = *walk.app;
  build(app.folder("1.0.0"), "1.0.0");
  app.release("1.0.0", options);
  walk.installed = std::make_unique<DesktopInstall>(app);
  walk.first = walk.installed->start(first.args, first.input);
  build(app.folder("2.0.0"), "2.0.0");
  app.release("2.0.0", options);
  walk.installed->stage();
  walk.updated = walk.installed->start(updated.args, updated.input);
  return walk;
}

}  // namespace upkeep::test
