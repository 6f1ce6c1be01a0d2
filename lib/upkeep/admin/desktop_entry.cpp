#include "upkeep/admin/desktop_entry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <set>

#include "upkeep/base/error.h"

namespace upkeep::admin {

namespace {

// The registered main categories (Desktop Menu specification, appendix A);
// desktop-file-validate wants at least one.
const std::set<std::string> kMainCategories = {"AudioVideo", "Audio",    "Video",   "Development", "Education",
                                               "Game",       "Graphics", "Network", "Office",      "Science",
                                               "Settings",   "System",   "Utility"};
// Sizes hicolor's index.theme lists for apps.
const std::set<uint32_t> kIconSizes = {16, 22, 24, 32, 36, 48, 64, 72, 96, 128, 192, 256, 512};

[[noreturn]] void bad(const std::string& what) { fail(ErrorCode::kBadInput, "desktop entry: " + what); }

std::string checked_text(const std::string& key, const std::string& v, bool may_be_empty) {
  if (v.empty() && !may_be_empty) bad("'" + key + "' is empty");
  if (v.size() > 1024) bad("'" + key + "' is longer than 1024 bytes");
  for (unsigned char c : v)
    if (c < 0x20 || c == 0x7f) bad("'" + key + "' holds a control character (expected one line of text)");
  return v;
}

// A string value: backslash escapes for \ and controls, \s for a leading space.
std::string escape_value(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\')
      out += "\\\\";
    else if (i == 0 && c == ' ')
      out += "\\s";
    else
      out += c;
  }
  return out;
}

// Exec: the program quoted as one argument (the spec's reserved characters
// escaped inside double quotes), '%' doubled; then escaped as a string value.
std::string exec_value(const std::filesystem::path& program) {
  const std::string p = program.string();
  if (p.find('\n') != std::string::npos || p.find('\r') != std::string::npos)
    bad("the launcher path " + p + " holds a line break");
  std::string q = "\"";
  for (char c : p) {
    if (c == '"' || c == '`' || c == '$' || c == '\\') q += '\\';
    if (c == '%') q += '%';
    q += c;
  }
  q += '"';
  return escape_value(q);
}

void check_icon_path(const std::string& p) {
  checked_text("icon", p, false);
  const std::filesystem::path path(p);
  if (path.is_absolute() || p.find('\\') != std::string::npos)
    bad("'icon' must be a path inside the release, got " + p);
  for (const auto& part : path)
    if (part == ".." || part == ".") bad("'icon' must not contain '.' or '..', got " + p);
}

void check_category(const std::string& c) {
  if (c.empty() || c.size() > 64 ||
      !std::all_of(c.begin(), c.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '-' || ch == '_'; }))
    bad("category '" + c + "' is not a plain word (letters, digits, '-', '_')");
}

}  // namespace

DesktopEntry DesktopEntry::from_metadata(const Json& desktop, const std::string& app_id,
                                         const std::filesystem::path& exec) {
  DesktopEntry e;
  e.app_id = app_id;
  e.exec = exec;
  e.name = app_id;
  e.categories = {"Utility"};
  if (desktop.is_null()) return e;
  if (!desktop.is_object()) bad("expected an object with name, comment, icon, categories");
  for (const auto& [key, value] : desktop.as_object()) {
    if (key == "name" || key == "comment" || key == "icon") {
      if (!value.is_string()) bad("'" + key + "' must be a string");
    } else if (key == "categories") {
      if (!value.is_array()) bad("'categories' must be an array of strings");
    } else {
      bad("unknown key '" + key + "' (expected name, comment, icon, categories)");
    }
  }
  if (desktop.contains("name")) e.name = checked_text("name", desktop.get_string("name"), false);
  if (desktop.contains("comment")) e.comment = checked_text("comment", desktop.get_string("comment"), true);
  if (desktop.contains("icon")) {
    check_icon_path(desktop.get_string("icon"));
    e.icon_path = desktop.get_string("icon");
  }
  if (desktop.contains("categories")) {
    e.categories.clear();
    for (const Json& c : desktop.at("categories").as_array()) {
      if (!c.is_string()) bad("'categories' must be an array of strings");
      check_category(c.as_string());
      e.categories.push_back(c.as_string());
    }
    if (std::none_of(e.categories.begin(), e.categories.end(),
                     [](const std::string& c) { return kMainCategories.count(c) > 0; }))
      bad("'categories' needs one registered main category (e.g. Utility, Office, Development, Game)");
  }
  return e;
}

Json DesktopEntry::to_metadata() const {
  Json j = Json::object();
  j["name"] = name;
  if (!comment.empty()) j["comment"] = comment;
  if (icon_path) j["icon"] = *icon_path;
  Json cats = Json::array();
  for (const auto& c : categories) cats.push_back(c);
  j["categories"] = cats;
  from_metadata(j, app_id, exec);  // the same checks as the client's
  return j;
}

std::string DesktopEntry::render() const {
  std::string s = "[Desktop Entry]\nType=Application\nVersion=1.4\n";
  s += "Name=" + escape_value(name) + "\n";
  if (!comment.empty()) s += "Comment=" + escape_value(comment) + "\n";
  s += "Exec=" + exec_value(exec) + "\n";
  if (icon_path) s += "Icon=" + escape_value(app_id) + "\n";
  s += "Terminal=false\nCategories=";
  for (const auto& c : categories) s += c + ";";
  s += "\n";
  return s;
}

IconKind icon_kind(const std::filesystem::path& file) {
  std::string head(1024, '\0');
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(ErrorCode::kNotFound, file.string() + ": cannot read the icon");
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
  }
  const auto* b = reinterpret_cast<const unsigned char*>(head.data());
  static constexpr std::array<unsigned char, 8> kPng = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (head.size() >= 24 && std::equal(kPng.begin(), kPng.end(), b) && head.compare(12, 4, "IHDR") == 0) {
    auto be32 = [&](size_t at) {
      return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
    };
    const uint32_t w = be32(16), h = be32(20);
    if (w != h || !kIconSizes.count(w))
      fail(ErrorCode::kBadInput, file.string() + ": a " + std::to_string(w) + "x" + std::to_string(h) +
                                     " PNG icon; expected a square one of 16, 22, 24, 32, 36, 48, 64, 72, 96, 128, "
                                     "192, 256 or 512 pixels");
    return {std::to_string(w) + "x" + std::to_string(w), ".png"};
  }
  if (head.find("<svg") != std::string::npos) return {"scalable", ".svg"};
  fail(ErrorCode::kBadInput, file.string() + ": the icon is neither a PNG nor an SVG file");
}

}  // namespace upkeep::admin
