// Json: a small JSON value with a strict parser and two writers.
//
// Why our own: TUF signs the *canonical* form of JSON (OLPC canonical JSON:
// sorted keys, no insignificant white space, only '"' and '\' escaped,
// integers only), and the launcher must stay free of heavy dependencies. The
// parser rejects duplicate keys, trailing data and nesting deeper than 64
// levels, so two parsers can never disagree about what a signed file says.
// Values are plain data: safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "upkeep/base/error.h"

namespace upkeep {

class Json {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };
  using Array = std::vector<Json>;
  using Object = std::map<std::string, Json, std::less<>>;  // sorted: canonical order

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : v_(b) {}
  Json(int i) : v_(static_cast<int64_t>(i)) {}
  Json(int64_t i) : v_(i) {}
  Json(uint64_t i) : v_(static_cast<int64_t>(i)) {}
  Json(double d) : v_(d) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  Json(std::string_view s) : v_(std::string(s)) {}
  Json(Array a) : v_(std::move(a)) {}
  Json(Object o) : v_(std::move(o)) {}

  static Json object() { return Json(Object{}); }
  static Json array() { return Json(Array{}); }

  // Parses text; on error throws Error(kBadInput) naming `what` (a file name
  // or "reply from URL"), the byte offset and what was expected.
  static Json parse(std::string_view text, std::string_view what = "JSON");

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Typed access; a wrong type throws Error(kBadInput) "expected a string, found a number".
  bool as_bool() const;
  int64_t as_int() const;
  double as_double() const;  // ints convert
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;
  Array& as_array();
  Object& as_object();

  // Object access. at() throws Error(kBadInput) "missing field 'key'";
  // find() returns nullptr when absent. The get_* helpers name the field in
  // type errors: "field 'version' must be an integer".
  const Json& at(std::string_view key) const;
  const Json* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  const std::string& get_string(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const Object& get_object(std::string_view key) const;
  const Array& get_array(std::string_view key) const;
  std::string get_string_or(std::string_view key, std::string fallback) const;
  int64_t get_int_or(std::string_view key, int64_t fallback) const;
  bool get_bool_or(std::string_view key, bool fallback) const;

  // Building: turns null into an object/array on first use.
  Json& operator[](std::string_view key);
  void push_back(Json v);

  // OLPC canonical JSON (what TUF signs). Throws Error(kBadInput) on doubles.
  std::string dump_canonical() const;
  // Human-readable, keys sorted, indent spaces per level (0: one line).
  std::string dump(int indent = 2) const;

  bool operator==(const Json& o) const { return v_ == o.v_; }
  bool operator!=(const Json& o) const { return !(*this == o); }

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

const char* json_type_name(Json::Type t);

}  // namespace upkeep
