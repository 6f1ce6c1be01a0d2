// TortureWorld: everything the torture harness's trials share, built once
// with the real programs: signing keys and a repository made by `upkeep`,
// releases of the real mainapp (1.0.0; 2.0.0 with an 8 MiB payload so that
// kills land inside the download too; 3.0.0 in channel "next"; broken
// releases 3.1.0-3.4.0 in channels of their own), the repository served by
// an in-process RepoServer on 127.0.0.1 (its byte counters prove what a
// client fetched), and install roots made by `upkeep install` that each
// trial copies.
//
// Construct and use from one thread. Construction throws upkeep::Error
// naming the step that failed; the scratch folder is the caller's.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child.h"
#include "upkeep/net/repo_server.h"

namespace upkeep::torture {

namespace stdfs = std::filesystem;

// A broken release: what its main program does on its first start.
struct BrokenKind {
  std::string name;     // "segfault", "exit-1", ...
  std::string version;  // its release version
  std::string channel;  // the only release of that channel
};

class TortureWorld {
 public:
  enum class Template {
    kV1,        // 1.0.0 installed, good; 2.0.0 on the server
    kV2,        // 2.0.0 installed, good
    kV1Staged,  // 1.0.0 installed, 2.0.0 staged (the launcher's work is waiting)
  };

  // `deltas`: releases carry a delta bundle (delta.zst) and a man page
  // compressed by gzip, so updates take the delta route (the payload is
  // held; the man page's gzip patch and the small files are fetched);
  // otherwise package only.
  explicit TortureWorld(const stdfs::path& scratch, bool deltas = false);
  ~TortureWorld();

  // A new install root, a copy of the template, in its own folder under the scratch folder.
  stdfs::path fresh_install(Template t);
  stdfs::path launcher(const stdfs::path& root) const { return root / "demo"; }
  stdfs::path program(const std::string& name) const { return bin_dir_ / name; }
  net::RepoServer& server() { return *server_; }
  bool deltas() const { return deltas_; }
  std::string url() const;
  // The published package of a version: its file name (unique, hash-named) and length.
  struct Package {
    std::string name;
    uint64_t length = 0;
  };
  Package package(const std::string& version) const;
  const std::vector<BrokenKind>& broken_kinds() const { return broken_; }
  const stdfs::path& scratch() const { return scratch_; }
  // Points an install at a release channel (config.json, as an admin would).
  static void set_channel(const stdfs::path& root, const std::string& channel);

 private:
  stdfs::path build_folder(const std::string& version, uint64_t payload_bytes);
  stdfs::path broken_folder(const BrokenKind& kind);
  void release(const stdfs::path& folder, const std::string& version, const std::string& channel);
  stdfs::path install(const std::string& version);
  void upkeep_ok(const std::vector<std::string>& args);

  stdfs::path scratch_, bin_dir_, keys_, repo_;
  bool deltas_ = false;
  std::unique_ptr<net::RepoServer> server_;
  std::vector<BrokenKind> broken_;
  stdfs::path templates_[3];
  int next_trial_ = 0;
};

}  // namespace upkeep::torture
