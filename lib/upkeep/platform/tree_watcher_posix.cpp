// POSIX (Linux) implementation of tree_watcher.h: one inotify descriptor
// with a watch per folder, and an eventfd that wake() writes.
#include <errno.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/tree_watcher.h"

namespace upkeep {

namespace {

constexpr const char* kLimitFile = "/proc/sys/fs/inotify/max_user_watches";
constexpr const char* kNamespaceLimitFile = "/proc/sys/user/max_inotify_watches";
constexpr uint32_t kFolderMask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM |
                                 IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;
// Never trust a length from the kernel more than the buffer we gave it.
constexpr size_t kBufferBytes = 64 * 1024;

std::string join(const std::string& dir, const char* name) { return dir.empty() ? name : dir + "/" + name; }

bool below(const std::string& path, const std::string& dir) {
  return dir.empty() || path == dir ||
         (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

}  // namespace

std::string tree_watch_limit_description() {
  auto read = [](const char* file) {
    std::ifstream in(file);
    long long value = -1;
    return (in >> value) ? value : -1;
  };
  const long long limit = read(kLimitFile);
  std::string text = std::string(kLimitFile) + " is " + (limit < 0 ? "unreadable" : std::to_string(limit));
  // Inside a user namespace its own, lower limit may be the one reached.
  const long long ns_limit = read(kNamespaceLimitFile);
  if (ns_limit >= 0 && (limit < 0 || ns_limit < limit))
    text += "; in this user namespace " + std::string(kNamespaceLimitFile) + " is " + std::to_string(ns_limit);
  return text;
}

struct TreeWatcher::Impl {
  std::filesystem::path root;
  int inotify_fd = -1;
  int wake_fd = -1;
  std::map<int, std::string> folder_of;  // watch descriptor -> folder relative to the root
  std::map<std::string, int> watch_of;   // folder -> watch descriptor

  ~Impl() {
    if (inotify_fd >= 0) ::close(inotify_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // Watches `rel` (a folder), then scans it: its files are reported as
  // created, its subfolders watched the same way. A folder that vanished
  // meanwhile is no error (its removal is reported by its parent's watch).
  void add_tree(const std::string& rel, std::vector<TreeEvent>* found) {
    const std::filesystem::path dir = rel.empty() ? root : root / rel;
    int wd = inotify_add_watch(inotify_fd, dir.c_str(), kFolderMask);
    if (wd < 0) {
      const int err = errno;
      if (err == ENOSPC)
        fail(ErrorCode::kFailure, "cannot watch " + dir.string() + ": the limit of inotify watches is reached (" +
                                      tree_watch_limit_description() + ", " + std::to_string(folder_of.size()) +
                                      " folders watched here); expected room for one watch per folder: raise it, "
                                      "e.g. sysctl fs.inotify.max_user_watches=524288");
      if (!rel.empty() && (err == ENOENT || err == ENOTDIR)) return;
      fs::fail_errno("cannot watch", dir, err);
    }
    auto old = watch_of.find(rel);
    if (old != watch_of.end() && old->second != wd) folder_of.erase(old->second);
    folder_of[wd] = rel;
    watch_of[rel] = wd;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string child = join(rel, it->path().filename().c_str());
      std::error_code type_ec;
      if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) {
        add_tree(child, found);
      } else if (found) {
        found->push_back({child, TreeEvent::Kind::kCreated, false});
      }
    }
  }

  // Forgets the watches of `rel` and every folder below it (the kernel
  // already dropped them for a deleted folder; rm_watch then just fails).
  void drop_tree(const std::string& rel) {
    for (auto it = watch_of.begin(); it != watch_of.end();) {
      if (!rel.empty() && below(it->first, rel)) {
        inotify_rm_watch(inotify_fd, it->second);
        folder_of.erase(it->second);
        it = watch_of.erase(it);
      } else {
        ++it;
      }
    }
  }

  void rescan(std::vector<TreeEvent>& out) {
    for (const auto& [wd, rel] : folder_of) inotify_rm_watch(inotify_fd, wd);
    folder_of.clear();
    watch_of.clear();
    add_tree("", nullptr);
    out.push_back({"", TreeEvent::Kind::kRescanned, true});
  }

  void handle(const inotify_event& e, std::vector<TreeEvent>& out) {
    if (e.mask & IN_Q_OVERFLOW) {
      spdlog::warn("watch {}: the kernel dropped events (queue overflow); watching the tree again", root.string());
      rescan(out);
      return;
    }
    auto folder = folder_of.find(e.wd);
    if (folder == folder_of.end()) return;  // a watch dropped before its last events were read
    if (e.mask & IN_IGNORED) {  // the kernel dropped the watch (its folder is gone)
      auto by_path = watch_of.find(folder->second);
      if (by_path != watch_of.end() && by_path->second == e.wd) watch_of.erase(by_path);
      folder_of.erase(folder);
      return;
    }
    if (e.mask & IN_DELETE_SELF) {
      if (folder->second.empty()) out.push_back({"", TreeEvent::Kind::kRemoved, true});
      return;  // a subfolder's removal is reported by its parent's IN_DELETE
    }
    if (e.len == 0) return;
    const std::string path = join(folder->second, e.name);  // e.name is NUL-terminated within e.len
    const bool dir = e.mask & IN_ISDIR;
    if (e.mask & (IN_DELETE | IN_MOVED_FROM)) {
      if (dir) drop_tree(path);
      out.push_back({path, TreeEvent::Kind::kRemoved, dir});
    } else if (e.mask & (IN_CREATE | IN_MOVED_TO)) {
      out.push_back({path, TreeEvent::Kind::kCreated, dir});
      if (dir) add_tree(path, &out);
    } else {
      out.push_back({path, TreeEvent::Kind::kModified, dir});
    }
  }

  void read_events(std::vector<TreeEvent>& out) {
    alignas(inotify_event) char buf[kBufferBytes];
    for (;;) {
      ssize_t n = ::read(inotify_fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        fs::fail_errno("cannot read the changes below", root, errno);
      }
      for (size_t off = 0; off + sizeof(inotify_event) <= static_cast<size_t>(n);) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        const size_t size = sizeof(inotify_event) + e->len;
        if (off + size > static_cast<size_t>(n)) break;  // cannot happen: the kernel returns whole events
        handle(*e, out);
        off += size;
      }
    }
  }
};

TreeWatcher::TreeWatcher(std::filesystem::path root) : impl_(std::make_unique<Impl>()) {
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec))
    fail(ErrorCode::kNotFound, root.string() + ": no such folder; expected the build folder to watch");
  // Watches never follow links below the root; the root itself may be one.
  impl_->root = std::filesystem::canonical(root);
  impl_->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (impl_->inotify_fd < 0) {
    const int err = errno;
    if (err == EMFILE)
      fail(ErrorCode::kFailure, "cannot watch " + impl_->root.string() +
                                    ": the limit of inotify instances is reached "
                                    "(/proc/sys/fs/inotify/max_user_instances)");
    fs::fail_errno("cannot start watching", impl_->root, err);
  }
  impl_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->wake_fd < 0) fs::fail_errno("cannot start watching (eventfd)", impl_->root, errno);
  impl_->add_tree("", nullptr);
}

TreeWatcher::~TreeWatcher() = default;

std::vector<TreeEvent> TreeWatcher::wait(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{impl_->inotify_fd, POLLIN, 0}, {impl_->wake_fd, POLLIN, 0}};
  const int ms = static_cast<int>(std::clamp<long long>(timeout.count(), 0, 24LL * 3600 * 1000));
  int r = ::poll(fds, 2, ms);
  std::vector<TreeEvent> out;
  if (r < 0) {
    if (errno == EINTR) return out;
    fs::fail_errno("cannot wait for changes below", impl_->root, errno);
  }
  if (fds[1].revents & POLLIN) {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(impl_->wake_fd, &count, sizeof count);
  }
  if (fds[0].revents & POLLIN) impl_->read_events(out);
  return out;
}

void TreeWatcher::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(impl_->wake_fd, &one, sizeof one);
}

size_t TreeWatcher::watched_folders() const { return impl_->folder_of.size(); }
const std::filesystem::path& TreeWatcher::root() const { return impl_->root; }

}  // namespace upkeep
