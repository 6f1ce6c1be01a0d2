// The hosting page (docs/hosting.md) as the tests use it: its snippets read
// from the page itself, so the configuration tested is the one documented;
// nginx origins and a caching edge configured with them; an upload of the
// publisher's folder in the documented order; a reply's headers by curl.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <string>

#include "nginx_server.h"
#include "release_fixture.h"

namespace upkeep::test {

// The fenced block after "<!-- snippet: NAME -->" in docs/hosting.md (without the fences).
inline std::string doc_snippet(const std::string& name) {
  const std::string doc = read_text(source_dir() / "docs" / "hosting.md");
  const size_t marker = doc.find("<!-- snippet: " + name + " -->");
  REQUIRE(marker != std::string::npos);
  const size_t open = doc.find("```", marker);
  REQUIRE(open != std::string::npos);
  const size_t body = doc.find('\n', open) + 1;
  const size_t close = doc.find("\n```", body);
  REQUIRE(close != std::string::npos);
  return doc.substr(body, close - body + 1);
}

inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// An origin nginx serving `docroot` with the page's rules; `before` goes first
// into the server block (a location that takes precedence: a misconfiguration).
inline std::unique_ptr<Nginx> documented_origin(const stdfs::path& docroot, const std::string& before = "") {
  return std::make_unique<Nginx>(docroot, before + doc_snippet("nginx-origin"));
}

// An nginx caching edge in front of `origin_url` as the page configures it; `extra`
// goes into its location (after proxy_cache): a misconfiguration.
class Edge {
 public:
  explicit Edge(const std::string& origin_url, const std::string& extra = "") {
    std::string origin = origin_url;
    if (!origin.empty() && origin.back() == '/') origin.pop_back();
    std::string server = replaced(doc_snippet("nginx-edge-server"), "http://origin.example.com", origin);
    if (!extra.empty()) server = replaced(server, "proxy_cache upkeep;\n", "proxy_cache upkeep;\n" + extra);
    const std::string http =
        replaced(doc_snippet("nginx-edge-http"), "/var/cache/nginx/upkeep", (cache_ / "cache").string());
    nginx_ = std::make_unique<Nginx>(cache_.path(), server, http);
  }
  std::string url() const { return nginx_->url(); }

 private:
  TempDir cache_;
  std::unique_ptr<Nginx> nginx_;
};

// The headers of a GET of `url` (curl), lower-cased names, e.g. "cache-control: no-cache".
inline std::string headers_of(const std::string& url) {
  RunResult r = run({"/usr/bin/curl", "-sS", "-o", "/dev/null", "-D", "-", url});
  REQUIRE(r.exit_code == 0);
  std::string out = r.out;
  for (size_t line = 0; line < out.size();) {
    const size_t colon = out.find(':', line), end = out.find('\n', line);
    for (size_t i = line; i < std::min(colon, end); ++i) out[i] = static_cast<char>(std::tolower(out[i]));
    line = end == std::string::npos ? out.size() : end + 1;
  }
  return out;
}

// One file into the docroot the way an upload tool writes it: whole, then renamed into place.
inline void upload_file(const stdfs::path& from, const stdfs::path& to) {
  stdfs::create_directories(to.parent_path());
  const stdfs::path tmp = to.parent_path() / ("." + to.filename().string() + ".upload");
  stdfs::copy_file(from, tmp, stdfs::copy_options::overwrite_existing);
  stdfs::rename(tmp, to);
}

// Uploads the publisher's folder `repo` to `docroot` in the documented order
// (targets; metadata but timestamp.json, root versions after the rest;
// timestamp.json; download/), calling
// `after(step)` after each of the four steps; files already there and
// unchanged are left alone, as `aws s3 sync` would.
inline void upload_in_order(const stdfs::path& repo, const stdfs::path& docroot,
                            const std::function<void(int step)>& after = {}) {
  auto tree = [&](const std::string& sub, const std::function<bool(const stdfs::path&)>& take) {
    if (!stdfs::exists(repo / sub)) return;
    for (const auto& e : stdfs::recursive_directory_iterator(repo / sub)) {
      if (!e.is_regular_file() || !take(e.path())) continue;
      const stdfs::path to = docroot / stdfs::relative(e.path(), repo);
      if (stdfs::exists(to) && read_text(to) == read_text(e.path())) continue;
      upload_file(e.path(), to);
    }
  };
  const auto all = [](const stdfs::path&) { return true; };
  tree("targets", all);
  if (after) after(1);
  const auto is_root = [](const stdfs::path& p) {
    const std::string n = p.filename().string();
    return n == "root.json" || (n.size() > 10 && n.compare(n.size() - 10, 10, ".root.json") == 0);
  };
  tree("metadata", [&](const stdfs::path& p) { return p.filename() != "timestamp.json" && !is_root(p); });
  tree("metadata", is_root);
  if (after) after(2);
  upload_file(repo / "metadata" / "timestamp.json", docroot / "metadata" / "timestamp.json");
  if (after) after(3);
  tree("download", all);
  if (after) after(4);
}

// `upkeep info URL --json` pinned to the vendor's root: the newest version of the one release line, "" on failure.
inline std::string newest_seen(const std::string& url, const stdfs::path& root_json, RunResult* result = nullptr) {
  RunResult r = run({program("upkeep").string(), "info", url, "--trusted-root", root_json.string(), "--json"});
  if (result) *result = r;
  if (r.exit_code != 0) return "";
  const Json j = Json::parse(r.out, "upkeep info --json");
  const auto& releases = j.at("signed").get_array("releases");
  return releases.empty() ? "" : releases.front().get_string("version");
}

}  // namespace upkeep::test
