#include "upkeep/install/link_resolver.h"

#include <algorithm>
#include <deque>

#include "upkeep/base/error.h"
#include "upkeep/install/manifest.h"

namespace upkeep {

namespace {

constexpr size_t kMaxTargetBytes = 4096;

// The components of a '/'-separated name, in order.
std::vector<std::string> components(std::string_view p) {
  std::vector<std::string> out;
  for (size_t start = 0; start <= p.size();) {
    size_t slash = p.find('/', start);
    if (slash == std::string_view::npos) slash = p.size();
    out.emplace_back(p.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

}  // namespace

bool is_safe_link_target(std::string_view target, std::string* why) {
  auto no = [why](const char* reason) {
    if (why) *why = reason;
    return false;
  };
  if (target.empty()) return no("is empty");
  if (target.size() > kMaxTargetBytes) return no("is longer than 4096 bytes");
  if (target.front() == '/') return no("is absolute (a link must stay inside the version folder: make it relative)");
  // Every other component obeys the rules of a name in the release.
  for (const std::string& part : components(target)) {
    if (part.empty()) return no("has an empty component");
    if (part != "." && part != ".." && !is_safe_relative_path(part, why)) return false;
  }
  return true;
}

LinkResolver::LinkResolver(const std::vector<FileEntry>& entries) : entries_(entries) {
  for (const FileEntry& e : entries_)
    for (size_t s = e.path.find('/'); s != std::string::npos; s = e.path.find('/', s + 1))
      dirs_.insert(e.path.substr(0, s));
}

const FileEntry* LinkResolver::find(std::string_view path) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), path,
                             [](const FileEntry& e, std::string_view p) { return e.path < p; });
  return it != entries_.end() && it->path == path ? &*it : nullptr;
}

// Walks a name component by component, as the kernel would, but over the
// manifest's names.
std::optional<std::string> LinkResolver::why_not(std::string_view start, const FileEntry*& end) const {
  std::vector<std::string> done;  // components resolved so far: never a link
  std::deque<std::string> todo;
  for (auto& c : components(start)) todo.push_back(std::move(c));
  int hops = 0;
  std::string via;  // the last link followed other than `start` itself, for context
  end = nullptr;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    end = nullptr;
    if (part == ".") continue;
    if (part == "..") {
      if (done.empty()) return "leaves the version folder" + via;
      done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    const std::string here = joined(done);
    const FileEntry* e = find(here);
    if (!e) {
      if (dirs_.count(here)) continue;
      return "does not resolve: '" + here + "' is not in the release (a dangling link)" + via;
    }
    if (!e->is_link()) {
      if (!todo.empty()) return "does not resolve: '" + here + "' is a file, not a folder" + via;
      end = e;
      continue;
    }
    if (++hops > kMaxHops) return "passes through more than 40 links (a loop)";
    std::string why;
    if (!is_safe_link_target(e->link, &why)) return "passes through link '" + here + "', whose target " + why;
    if (here != start) via = " (through link '" + here + "' -> '" + e->link + "')";
    done.pop_back();
    auto target = components(e->link);
    todo.insert(todo.begin(), target.begin(), target.end());
  }
  return std::nullopt;
}

const FileEntry* LinkResolver::resolve(std::string_view path) const {
  const FileEntry* end = nullptr;
  if (auto why = why_not(path, end)) fail(ErrorCode::kBadInput, "'" + std::string(path) + "' " + *why);
  return end;
}

void LinkResolver::check_links(const std::string& what) const {
  for (const FileEntry& e : entries_) {
    if (!e.is_link()) continue;
    std::string why;
    if (!is_safe_link_target(e.link, &why))
      fail(ErrorCode::kBadInput, what + ": link '" + e.path + "' has a target that " + why);
    const FileEntry* end = nullptr;
    if (auto bad = why_not(e.path, end))
      fail(ErrorCode::kBadInput, what + ": link '" + e.path + "' -> '" + e.link + "' " + *bad);
  }
}

}  // namespace upkeep
