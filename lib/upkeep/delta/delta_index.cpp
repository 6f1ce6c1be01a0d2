#include "upkeep/delta/delta_index.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/json_entry_reader.h"
#include "upkeep/base/version.h"

namespace upkeep::delta {

namespace {

constexpr int64_t kFormat = 2;

Stored read_stored(const JsonEntryReader& owner, const char* name, const std::string& prefix) {
  JsonEntryReader r(prefix + "." + name, owner.field(name));
  r.only_fields({"length", "sha256"}, "length, sha256");
  Stored s;
  s.length = static_cast<uint64_t>(r.integer("length", 1, INT64_MAX, "a positive integer"));
  s.sha256 = r.sha256("sha256");
  return s;
}

Json stored_json(const Stored& s) {
  Json j = Json::object();
  j["length"] = s.length;
  j["sha256"] = s.sha256;
  return j;
}

bool patch_less(const PatchRoute& a, const PatchRoute& b) {
  return std::tie(a.from, a.algorithm) < std::tie(b.from, b.algorithm);
}

}  // namespace

bool is_sha256_hex(std::string_view s) { return is_lower_hex_sha256(s); }

std::string blob_target_path(std::string_view app_id, std::string_view content_sha256) {
  return std::string(app_id) + "/blobs/" + std::string(content_sha256) + ".zst";
}

std::string patch_target_path(std::string_view app_id, std::string_view from_sha256, std::string_view to_sha256,
                              std::string_view algorithm) {
  return std::string(app_id) + "/patches/" + std::string(from_sha256) + "-" + std::string(to_sha256) + "." +
         std::string(algorithm);
}

DeltaIndex::DeltaIndex(std::string version, std::vector<ContentEntry> entries)
    : version_(std::move(version)), entries_(std::move(entries)) {
  std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) { return a.sha256 < b.sha256; });
  for (auto& e : entries_) std::sort(e.patches.begin(), e.patches.end(), patch_less);
}

DeltaIndex DeltaIndex::parse(std::string_view json_text, std::string_view what) {
  const std::string w(what);
  Json doc = Json::parse(json_text, what);
  if (!doc.is_object()) fail(ErrorCode::kBadInput, w + ": must be a JSON object");
  const Json* format = doc.find("format");
  if (!format || !format->is_int())
    fail(ErrorCode::kBadInput, w + ": field 'format' must be the integer " + std::to_string(kFormat));
  if (format->as_int() != kFormat)
    fail(ErrorCode::kBadInput, w + ": field 'format' is " + std::to_string(format->as_int()) + ", must be " +
                                   std::to_string(kFormat) + " (this client reads delta index format " +
                                   std::to_string(kFormat) + " only, as published in delta.zst)");
  const Json* version = doc.find("version");
  if (!version || !version->is_string()) fail(ErrorCode::kBadInput, w + ": field 'version' must be a string");
  Version::parse_or_throw(version->as_string(), w + ": field 'version'");
  const Json* files = doc.find("files");
  if (!files || !files->is_array()) fail(ErrorCode::kBadInput, w + ": field 'files' must be an array");

  DeltaIndex out;
  out.version_ = version->as_string();
  const Json::Array& list = files->as_array();
  out.entries_.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = w + ": files[" + std::to_string(i) + "]";
    JsonEntryReader r(what, "files", i, list[i]);
    r.only_fields({"blob", "patches", "sha256"}, "blob, patches, sha256");
    ContentEntry e;
    e.sha256 = r.sha256("sha256");
    r.set_name(e.sha256.substr(0, 16));
    e.blob = read_stored(r, "blob", at);
    if (const Json* patches = list[i].find("patches")) {
      if (!patches->is_array()) r.bad("patches", "must be an array");
      const Json::Array& pl = patches->as_array();
      for (size_t k = 0; k < pl.size(); ++k) {
        JsonEntryReader pr(at, "patches", k, pl[k]);
        pr.only_fields({"algorithm", "from", "length", "sha256"}, "algorithm, from, length, sha256");
        PatchRoute p;
        p.algorithm = pr.string("algorithm");
        // The name becomes part of a URL and a file name: letters, digits, '-' only.
        bool ok = !p.algorithm.empty() && p.algorithm.size() <= 32 &&
                  std::all_of(p.algorithm.begin(), p.algorithm.end(),
                              [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
        if (!ok) pr.bad("algorithm", "'" + p.algorithm + "' must be 1-32 of a-z, 0-9, '-'");
        p.from = pr.sha256("from");
        if (p.from == e.sha256) pr.bad("from", "is the file's own content");
        p.stored.length = static_cast<uint64_t>(pr.integer("length", 1, INT64_MAX, "a positive integer"));
        p.stored.sha256 = pr.sha256("sha256");
        if (!e.patches.empty() && !patch_less(e.patches.back(), p))
          pr.bad("is out of order or listed twice (patches are sorted by from, algorithm)");
        e.patches.push_back(std::move(p));
      }
    }
    if (!out.entries_.empty() && out.entries_.back().sha256 >= e.sha256)
      r.bad("sha256", "is out of order or listed twice (entries are sorted by content hash)");
    out.entries_.push_back(std::move(e));
  }
  return out;
}

const ContentEntry* DeltaIndex::find(std::string_view content_sha256) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), content_sha256,
                             [](const ContentEntry& e, std::string_view s) { return e.sha256 < s; });
  return it != entries_.end() && it->sha256 == content_sha256 ? &*it : nullptr;
}

void DeltaIndex::check_matches(const FileManifest& m) {
  if (m.version() != version_)
    fail(ErrorCode::kVerification, "the delta index lists version " + version_ + ", its files.json " + m.version());
  std::map<std::string, uint64_t> contents;
  for (const auto& f : m.files())
    if (!f.is_link()) contents.emplace(f.sha256, f.size);  // a link has no content to route
  for (const auto& content : contents)
    if (!find(content.first))
      fail(ErrorCode::kVerification,
           "the delta index of " + version_ + " has no entry for content " + content.first + " of its files.json");
  if (contents.size() != entries_.size())
    fail(ErrorCode::kVerification, "the delta index of " + version_ + " lists " + std::to_string(entries_.size()) +
                                       " contents, its files.json holds " + std::to_string(contents.size()));
  for (auto& e : entries_) e.size = contents.at(e.sha256);
}

std::string DeltaIndex::to_json() const {
  Json files = Json::array();
  for (const auto& e : entries_) {
    Json j = Json::object();
    j["sha256"] = e.sha256;
    j["blob"] = stored_json(e.blob);
    if (!e.patches.empty()) {
      Json patches = Json::array();
      for (const auto& p : e.patches) {
        Json pj = stored_json(p.stored);
        pj["algorithm"] = p.algorithm;
        pj["from"] = p.from;
        patches.push_back(std::move(pj));
      }
      j["patches"] = std::move(patches);
    }
    files.push_back(std::move(j));
  }
  Json doc = Json::object();
  doc["format"] = kFormat;
  doc["version"] = version_;
  doc["files"] = std::move(files);
  return doc.dump_canonical();
}

}  // namespace upkeep::delta
