// JsonEntryReader: typed field access for one entry of a list in a signed
// JSON document (files.json, the delta index), whose errors name the document,
// the entry and the field: "files.json: files[3] (bin/app): field 'size' is
// missing". Errors are Error(kBadInput). Cheap; one per entry, one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"

namespace upkeep {

// True for 64 lower-case hex digits, the only form a SHA-256 may take in
// signed metadata (and before it becomes part of a file name or URL).
inline bool is_lower_hex_sha256(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

class JsonEntryReader {
 public:
  JsonEntryReader(std::string_view what, std::string_view list, size_t index, const Json& entry) : entry_(entry) {
    prefix_ = std::string(what) + ": " + std::string(list) + "[" + std::to_string(index) + "]";
    if (!entry.is_object()) bad(std::string("must be an object, found ") + json_type_name(entry.type()));
  }
  // An object that is not a list entry; `prefix` names it ("delta index: files[2].blob").
  JsonEntryReader(std::string prefix, const Json& entry) : entry_(entry), prefix_(std::move(prefix)) {
    if (!entry.is_object()) bad(std::string("must be an object, found ") + json_type_name(entry.type()));
  }
  void set_name(const std::string& name) { prefix_ += " (" + name + ")"; }
  [[noreturn]] void bad(const std::string& field, const std::string& problem) const {
    fail(ErrorCode::kBadInput, prefix_ + ": field '" + field + "' " + problem);
  }
  [[noreturn]] void bad(const std::string& problem) const { fail(ErrorCode::kBadInput, prefix_ + ": " + problem); }
  // Refuses any field not in `known` (`expected` lists them for the message).
  void only_fields(std::initializer_list<std::string_view> known, const char* expected) const {
    for (const auto& [key, value] : entry_.as_object())
      if (std::find(known.begin(), known.end(), key) == known.end())
        bad("unknown field '" + key + "' (expected only " + expected + ")");
  }
  const Json& field(const char* name) const {
    const Json* j = entry_.find(name);
    if (!j) bad(name, "is missing");
    return *j;
  }
  const std::string& string(const char* name) const {
    const Json& j = field(name);
    if (!j.is_string()) bad(name, std::string("must be a string, found ") + json_type_name(j.type()));
    return j.as_string();
  }
  const std::string& sha256(const char* name) const {
    const std::string& s = string(name);
    if (!is_lower_hex_sha256(s)) bad(name, "must be 64 lower-case hex characters");
    return s;
  }
  int64_t integer(const char* name, int64_t min, int64_t max, const char* range) const {
    const Json& j = field(name);
    if (!j.is_int()) bad(name, std::string("must be an integer, found ") + json_type_name(j.type()));
    int64_t v = j.as_int();
    if (v < min || v > max) bad(name, "is " + std::to_string(v) + ", expected " + range);
    return v;
  }
  const Json& entry() const { return entry_; }

 private:
  const Json& entry_;
  std::string prefix_;
};

}  // namespace upkeep
