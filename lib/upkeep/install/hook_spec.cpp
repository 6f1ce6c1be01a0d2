#include "upkeep/install/hook_spec.h"

#include <algorithm>
#include <cstdio>

#include "upkeep/base/error.h"
#include "upkeep/install/manifest.h"

namespace upkeep {
namespace {

constexpr HookKind kKinds[] = {HookKind::kInstall, HookKind::kUpdate, HookKind::kUninstall};

std::string field_of(const std::string& what, HookKind kind, const char* field) {
  return what + ": hooks." + hook_kind_name(kind) + "." + field;
}

std::string limit_range() { return "an integer from 1 to " + std::to_string(kMaxHookTimeoutSeconds) + " (seconds)"; }

}  // namespace

const char* hook_kind_name(HookKind kind) {
  switch (kind) {
    case HookKind::kInstall:
      return "install";
    case HookKind::kUpdate:
      return "update";
    case HookKind::kUninstall:
      return "uninstall";
  }
  return "unknown";
}

std::optional<HookKind> parse_hook_kind(std::string_view name) {
  for (HookKind k : kKinds)
    if (name == hook_kind_name(k)) return k;
  return std::nullopt;
}

const char* hook_kind_choices() { return "install, update or uninstall"; }

void validate_hooks(const std::vector<HookSpec>& hooks, const std::vector<FileEntry>& files, const std::string& what,
                    const std::string& where) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    const HookSpec& h = hooks[i];
    for (size_t j = 0; j < i; ++j)
      if (hooks[j].kind == h.kind)
        fail(ErrorCode::kBadInput, what + ": the " + hook_kind_name(h.kind) + " hook is declared twice (one per kind)");
    const std::string path_field = field_of(what, h.kind, "path");
    std::string why;
    if (!is_safe_relative_path(h.path, &why)) fail(ErrorCode::kBadInput, path_field + " '" + h.path + "' " + why);
    auto it = std::lower_bound(files.begin(), files.end(), h.path,
                               [](const FileEntry& e, const std::string& p) { return e.path < p; });
    if (it == files.end() || it->path != h.path)
      fail(ErrorCode::kBadInput,
           path_field + " '" + h.path + "' is not a file " + where + " (a hook must be one of the release's files)");
    if (it->is_link())
      fail(ErrorCode::kBadInput,
           path_field + " '" + h.path + "' is a symlink (a hook must be a regular file " + where + ")");
    if ((it->mode & 0111) == 0) {
      char mode[16];
      std::snprintf(mode, sizeof mode, "%04o", it->mode);
      fail(ErrorCode::kBadInput, path_field + " '" + h.path + "' has mode " + mode +
                                     ", expected an executable file (a mode with an x bit, e.g. 0755)");
    }
    if (h.timeout_seconds < 1 || h.timeout_seconds > kMaxHookTimeoutSeconds)
      fail(ErrorCode::kBadInput, field_of(what, h.kind, "timeout_seconds") + " is " +
                                     std::to_string(h.timeout_seconds) + ", expected " + limit_range());
  }
}

std::vector<HookSpec> parse_hooks(const Json& hooks, const std::string& what) {
  if (!hooks.is_object())
    fail(ErrorCode::kBadInput, what + ": field 'hooks' must be an object, found " + json_type_name(hooks.type()));
  std::vector<HookSpec> out;
  for (const auto& [name, value] : hooks.as_object()) {
    auto kind = parse_hook_kind(name);
    if (!kind)
      fail(ErrorCode::kBadInput, what + ": hooks: unknown kind '" + name + "' (expected " + hook_kind_choices() + ")");
    const std::string prefix = what + ": hooks." + name;
    if (!value.is_object())
      fail(ErrorCode::kBadInput, prefix + " must be an object, found " + json_type_name(value.type()));
    for (const auto& [key, v] : value.as_object())
      if (key != "path" && key != "timeout_seconds")
        fail(ErrorCode::kBadInput, prefix + ": unknown field '" + key + "' (expected only path, timeout_seconds)");
    HookSpec h;
    h.kind = *kind;
    const Json* path = value.find("path");
    if (!path) fail(ErrorCode::kBadInput, prefix + ".path is missing");
    if (!path->is_string())
      fail(ErrorCode::kBadInput, prefix + ".path must be a string, found " + json_type_name(path->type()));
    h.path = path->as_string();
    const Json* limit = value.find("timeout_seconds");
    if (!limit) fail(ErrorCode::kBadInput, prefix + ".timeout_seconds is missing");
    if (!limit->is_int())
      fail(ErrorCode::kBadInput, prefix + ".timeout_seconds must be an integer, found " +
                                     json_type_name(limit->type()) + " (expected " + limit_range() + ")");
    h.timeout_seconds = limit->as_int();  // its range: validate_hooks()
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const HookSpec& a, const HookSpec& b) { return a.kind < b.kind; });
  return out;
}

Json hooks_to_json(const std::vector<HookSpec>& hooks) {
  Json out = Json::object();
  for (const HookSpec& h : hooks) {
    Json e = Json::object();
    e["path"] = h.path;
    e["timeout_seconds"] = h.timeout_seconds;
    out[hook_kind_name(h.kind)] = std::move(e);
  }
  return out;
}

}  // namespace upkeep
