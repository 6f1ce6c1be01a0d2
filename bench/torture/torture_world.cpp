#include "torture_world.h"

#include <random>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/config.h"

namespace upkeep::torture {

namespace {

void write_text(const stdfs::path& p, const std::string& text, uint32_t mode = 0644) {
  stdfs::create_directories(p.parent_path());
  fs::write_file_atomic(p, text, mode);
}

}  // namespace

TortureWorld::TortureWorld(const stdfs::path& scratch, bool deltas)
    : scratch_(scratch), bin_dir_(fs::self_executable_path().parent_path()), deltas_(deltas) {
  keys_ = scratch_ / "keys";
  repo_ = scratch_ / "repo";
  upkeep_ok({"keys", "init", "--app-id", "demo", "--keys", keys_.string(), "--repo", repo_.string()});
  release(build_folder("1.0.0", 0), "1.0.0", "stable");
  release(build_folder("2.0.0", 8 << 20), "2.0.0", "stable");
  release(build_folder("3.0.0", 0), "3.0.0", "next");
  broken_ = {{"segfault", "3.1.0", "broken-segfault"},
             {"exit-1", "3.2.0", "broken-exit"},
             {"abort", "3.3.0", "broken-abort"},
             {"cannot-run", "3.4.0", "broken-cannot-run"}};
  for (const auto& b : broken_) release(broken_folder(b), b.version, b.channel);

  server_ = std::make_unique<net::RepoServer>(repo_);
  server_->start();

  templates_[static_cast<int>(Template::kV1)] = install("1.0.0");
  stdfs::path v2 = install("2.0.0");
  templates_[static_cast<int>(Template::kV2)] = v2;
  stdfs::path staged = scratch_ / "template-staged";
  stdfs::copy(templates_[0], staged, stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
  Ran r = run_to_end({(staged / "upkeep-updater").string(), "--root", staged.string(), "--quiet"}, {}, scratch_);
  if (!r.exit.success()) fail(ErrorCode::kFailure, "torture: upkeep-updater could not stage 2.0.0: " + r.err);
  templates_[static_cast<int>(Template::kV1Staged)] = staged;
}

TortureWorld::~TortureWorld() {
  if (server_) server_->stop();
}

std::string TortureWorld::url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/"; }

TortureWorld::Package TortureWorld::package(const std::string& version) const {
  for (const auto& e : stdfs::recursive_directory_iterator(repo_ / "targets" / "demo" / version))
    if (e.path().filename().string().find(".package.zip") != std::string::npos)
      return {e.path().filename().string(), stdfs::file_size(e.path())};
  fail(ErrorCode::kNotFound, "torture: no package of " + version);
}

stdfs::path TortureWorld::fresh_install(Template t) {
  stdfs::path root = scratch_ / "trials" / ("t" + std::to_string(++next_trial_));
  stdfs::create_directories(root.parent_path());
  stdfs::copy(templates_[static_cast<int>(t)], root,
              stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
  return root;
}

void TortureWorld::set_channel(const stdfs::path& root, const std::string& channel) {
  Config c = Config::load(root / "config.json");
  c.channel = channel;
  c.save(root / "config.json");
}

stdfs::path TortureWorld::build_folder(const std::string& version, uint64_t payload_bytes) {
  stdfs::path d = scratch_ / ("build-" + version);
  stdfs::create_directories(d);
  stdfs::copy_file(program("mainapp"), d / "mainapp", stdfs::copy_options::overwrite_existing);
  Ran r = run_to_end({"/usr/bin/strip", "--strip-debug", (d / "mainapp").string()}, {}, scratch_);
  if (!r.exit.success()) fail(ErrorCode::kFailure, "torture: strip failed: " + r.err);
  write_text(d / "VERSION", version + "\n");
  write_text(d / "share" / "readme.txt", "torture application " + version + "\n");
  if (payload_bytes > 0) {
    std::string payload(payload_bytes, '\0');
    std::mt19937_64 rng(42);
    for (auto& c : payload) c = static_cast<char>(rng());
    write_text(d / "share" / "payload.bin", payload);
  }
  if (deltas_) {  // a man page compressed by the real gzip, so delta updates take gzip patches too
    // Words in a fixed random order: text that deflate cuts into several
    // blocks, so the insertion changes the .gz from there on.
    static const char* const words[] = {"the", "option", "file", "must", "be", "a", "with", "default", "see"};
    std::mt19937 words_rng(7);
    std::string manual;
    for (int i = 0; i < 4000; ++i) manual += std::string(words[words_rng() % 9]) + (i % 11 == 10 ? "\n" : " ");
    manual.insert(manual.size() / 3, "new in " + version + "\n");
    write_text(d / "share" / "mainapp.1", manual);
    Ran g = run_to_end({"/usr/bin/gzip", "-9", "-n", "-f", (d / "share" / "mainapp.1").string()}, {}, scratch_);
    if (!g.exit.success()) fail(ErrorCode::kFailure, "torture: gzip failed: " + g.err);
    // A translation catalog by the real msgfmt with a message new in each
    // version (every offset and the hash table renumber): catalog patches.
    std::string po = "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n";
    po += "msgid \"AAA new in " + version + "\"\nmsgstr \"AAA neu in " + version + "\"\n\n";
    for (int i = 0; i < 800; ++i)
      po += "msgid \"cannot open file %s (" + std::to_string(i) + ")\"\nmsgstr \"Datei %s nicht lesbar (" +
            std::to_string(i) + ")\"\n\n";
    const stdfs::path mo = d / "share" / "locale" / "de" / "LC_MESSAGES" / "mainapp.mo";
    write_text(scratch_ / ("mainapp-" + version + ".po"), po);
    stdfs::create_directories(mo.parent_path());
    Ran m = run_to_end({"/usr/bin/msgfmt", "-o", mo.string(), (scratch_ / ("mainapp-" + version + ".po")).string()}, {},
                       scratch_);
    if (!m.exit.success()) fail(ErrorCode::kFailure, "torture: msgfmt failed: " + m.err);
  }
  return d;
}

stdfs::path TortureWorld::broken_folder(const BrokenKind& kind) {
  stdfs::path d = scratch_ / ("build-" + kind.version);
  std::string body;
  if (kind.name == "segfault") body = "kill -SEGV $$\n";
  if (kind.name == "exit-1") body = "exit 1\n";
  if (kind.name == "abort") body = "kill -ABRT $$\n";
  if (kind.name == "cannot-run") body = "exit 127\n";  // as the shell or the loader says "cannot run"
  write_text(d / "mainapp", "#!/bin/sh\necho \"mainapp " + kind.version + " " + kind.name + "\"\n" + body, 0755);
  return d;
}

void TortureWorld::release(const stdfs::path& folder, const std::string& version, const std::string& channel) {
  std::vector<std::string> args{"release", folder.string(), "--version",    version,  "--channel",
                                channel,   "--keys",        keys_.string(), "--repo", repo_.string()};
  if (!deltas_) args.push_back("--no-delta");
  upkeep_ok(args);
}

stdfs::path TortureWorld::install(const std::string& version) {
  stdfs::path root = scratch_ / ("template-" + version);
  upkeep_ok({"install", "--repo", url(), "--prefix", root.string(), "--version", version, "--trusted-root",
             (repo_ / "metadata" / "1.root.json").string(), "--silent", "--no-shortcut"});
  return root;
}

void TortureWorld::upkeep_ok(const std::vector<std::string>& args) {
  std::vector<std::string> argv{program("upkeep").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Ran r = run_to_end(argv, {}, scratch_);
  if (!r.exit.success())
    fail(ErrorCode::kFailure,
         "torture: upkeep " + args[0] + " failed (exit " + std::to_string(r.exit.as_exit_code()) + "): " + r.err);
}

}  // namespace upkeep::torture
