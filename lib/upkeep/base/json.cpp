#include "upkeep/base/json.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "upkeep/base/utf8.h"

namespace upkeep {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(std::string_view text, std::string_view what) : s_(text), what_(what) {}

  Json parse_document() {
    skip_ws();
    Json v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) error("end of data after the top-level value");
    return v;
  }

 private:
  [[noreturn]] void error(std::string_view expected) const {
    std::string found = pos_ < s_.size() ? "'" + std::string(1, s_[pos_]) + "'" : "end of data";
    if (pos_ < s_.size() && static_cast<unsigned char>(s_[pos_]) < 0x20) found = "a control character";
    fail(ErrorCode::kBadInput, std::string(what_) + ": invalid JSON at byte " + std::to_string(pos_) + ": expected " +
                                   std::string(expected) + ", found " + found);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool consume(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) == lit) {
      pos_ += lit.size();
      return true;
    }
    return false;
  }

  Json parse_value(int depth) {
    if (depth > kMaxDepth) error("nesting of at most 64 levels");
    if (pos_ >= s_.size()) error("a value");
    char c = s_[pos_];
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') return Json(parse_string());
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    if (consume("true")) return Json(true);
    if (consume("false")) return Json(false);
    if (consume("null")) return Json(nullptr);
    error("a value");
  }

  Json parse_object(int depth) {
    ++pos_;
    Json::Object obj;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Json(std::move(obj));
    }
    while (true) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') error("a string key");
      size_t key_pos = pos_;
      std::string key = parse_string();
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') error("':'");
      ++pos_;
      skip_ws();
      Json v = parse_value(depth + 1);
      if (!obj.emplace(key, std::move(v)).second) {
        pos_ = key_pos;
        error("unique keys (duplicate key \"" + key + "\")");
      }
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Json(std::move(obj));
      }
      error("',' or '}'");
    }
  }

  Json parse_array(int depth) {
    ++pos_;
    Json::Array arr;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Json(std::move(arr));
    }
    while (true) {
      skip_ws();
      arr.push_back(parse_value(depth + 1));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Json(std::move(arr));
      }
      error("',' or ']'");
    }
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > s_.size()) error("four hex digits");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else {
        --pos_;
        error("a hex digit");
      }
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("'\"' closing the string");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) error("an escaped control character");
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= s_.size()) error("an escape character");
      char e = s_[pos_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!consume("\\u")) error("a low surrogate escape");
            unsigned lo = parse_hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) error("a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error("a high surrogate before a low one");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          error("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
      }
    }
  }

  Json parse_number() {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("a digit");
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && s_[pos_ + 1] >= '0' && s_[pos_ + 1] <= '9') {
      ++pos_;
      error("no leading zeros");
    }
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    bool is_float = false;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      is_float = true;
      ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("a digit after '.'");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      is_float = true;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("a digit in the exponent");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    std::string_view num = s_.substr(start, pos_ - start);
    if (!is_float) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec == std::errc() && p == num.data() + num.size()) return Json(v);
      pos_ = start;
      error("an integer within 64 bits");
    }
    std::string copy(num);
    char* end = nullptr;
    double d = std::strtod(copy.c_str(), &end);
    if (!std::isfinite(d)) {
      pos_ = start;
      error("a finite number");
    }
    return Json(d);
  }

  std::string_view s_;
  std::string_view what_;
  size_t pos_ = 0;
};

void write_string(std::string& out, const std::string& s, bool canonical) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (!canonical && c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void write(std::string& out, const Json& v, bool canonical, int indent, int level) {
  auto newline = [&](int lvl) {
    if (indent > 0) {
      out += '\n';
      out.append(static_cast<size_t>(lvl * indent), ' ');
    }
  };
  switch (v.type()) {
    case Json::Type::kNull:
      out += "null";
      break;
    case Json::Type::kBool:
      out += v.as_bool() ? "true" : "false";
      break;
    case Json::Type::kInt:
      out += std::to_string(v.as_int());
      break;
    case Json::Type::kDouble: {
      if (canonical)
        fail(ErrorCode::kBadInput,
             "canonical JSON cannot hold the non-integer number " + std::to_string(v.as_double()));
      // -0.0 prints as 0: "-0" would parse back as the integer 0 and print differently.
      const double d = v.as_double() == 0 ? 0.0 : v.as_double();
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      out += buf;
      break;
    }
    case Json::Type::kString:
      write_string(out, v.as_string(), canonical);
      break;
    case Json::Type::kArray: {
      const auto& a = v.as_array();
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(level + 1);
        write(out, a[i], canonical, indent, level + 1);
      }
      if (!a.empty()) newline(level);
      out += ']';
      break;
    }
    case Json::Type::kObject: {
      const auto& o = v.as_object();
      out += '{';
      bool first = true;
      for (const auto& [k, val] : o) {
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        write_string(out, k, canonical);
        out += indent > 0 ? ": " : ":";
        write(out, val, canonical, indent, level + 1);
      }
      if (!o.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

[[noreturn]] void type_error(const char* expected, Json::Type found) {
  fail(ErrorCode::kBadInput, std::string("expected ") + expected + ", found " + json_type_name(found));
}

[[noreturn]] void field_error(std::string_view key, const char* expected, const Json& v) {
  fail(ErrorCode::kBadInput,
       "field '" + std::string(key) + "' must be " + expected + ", found " + json_type_name(v.type()));
}

}  // namespace

const char* json_type_name(Json::Type t) {
  switch (t) {
    case Json::Type::kNull:
      return "null";
    case Json::Type::kBool:
      return "a boolean";
    case Json::Type::kInt:
      return "an integer";
    case Json::Type::kDouble:
      return "a number";
    case Json::Type::kString:
      return "a string";
    case Json::Type::kArray:
      return "an array";
    case Json::Type::kObject:
      return "an object";
  }
  return "?";
}

Json Json::parse(std::string_view text, std::string_view what) { return Parser(text, what).parse_document(); }

bool Json::as_bool() const {
  if (!is_bool()) type_error("a boolean", type());
  return std::get<bool>(v_);
}
int64_t Json::as_int() const {
  if (!is_int()) type_error("an integer", type());
  return std::get<int64_t>(v_);
}
double Json::as_double() const {
  if (is_int()) return static_cast<double>(std::get<int64_t>(v_));
  if (type() != Type::kDouble) type_error("a number", type());
  return std::get<double>(v_);
}
const std::string& Json::as_string() const {
  if (!is_string()) type_error("a string", type());
  return std::get<std::string>(v_);
}
const Json::Array& Json::as_array() const {
  if (!is_array()) type_error("an array", type());
  return std::get<Array>(v_);
}
const Json::Object& Json::as_object() const {
  if (!is_object()) type_error("an object", type());
  return std::get<Object>(v_);
}
Json::Array& Json::as_array() {
  if (!is_array()) type_error("an array", type());
  return std::get<Array>(v_);
}
Json::Object& Json::as_object() {
  if (!is_object()) type_error("an object", type());
  return std::get<Object>(v_);
}

const Json* Json::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  const auto& o = std::get<Object>(v_);
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}

const Json& Json::at(std::string_view key) const {
  if (!is_object()) type_error("an object", type());
  const Json* v = find(key);
  if (!v) fail(ErrorCode::kBadInput, "missing field '" + std::string(key) + "'");
  return *v;
}

const std::string& Json::get_string(std::string_view key) const {
  const Json& v = at(key);
  if (!v.is_string()) field_error(key, "a string", v);
  return v.as_string();
}
int64_t Json::get_int(std::string_view key) const {
  const Json& v = at(key);
  if (!v.is_int()) field_error(key, "an integer", v);
  return v.as_int();
}
bool Json::get_bool(std::string_view key) const {
  const Json& v = at(key);
  if (!v.is_bool()) field_error(key, "a boolean", v);
  return v.as_bool();
}
const Json::Object& Json::get_object(std::string_view key) const {
  const Json& v = at(key);
  if (!v.is_object()) field_error(key, "an object", v);
  return v.as_object();
}
const Json::Array& Json::get_array(std::string_view key) const {
  const Json& v = at(key);
  if (!v.is_array()) field_error(key, "an array", v);
  return v.as_array();
}
std::string Json::get_string_or(std::string_view key, std::string fallback) const {
  return find(key) ? get_string(key) : fallback;
}
int64_t Json::get_int_or(std::string_view key, int64_t fallback) const { return find(key) ? get_int(key) : fallback; }
bool Json::get_bool_or(std::string_view key, bool fallback) const { return find(key) ? get_bool(key) : fallback; }

Json& Json::operator[](std::string_view key) {
  if (is_null()) v_ = Object{};
  auto& o = as_object();
  auto it = o.find(key);
  if (it == o.end()) it = o.emplace(std::string(key), Json()).first;
  return it->second;
}

void Json::push_back(Json v) {
  if (is_null()) v_ = Array{};
  as_array().push_back(std::move(v));
}

std::string Json::dump_canonical() const {
  std::string out;
  write(out, *this, true, 0, 0);
  return out;
}

std::string Json::dump(int indent) const {
  std::string out;
  write(out, *this, false, indent, 0);
  return out;
}

}  // namespace upkeep
