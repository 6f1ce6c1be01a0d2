#include "upkeep/webui/markdown_html.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <vector>

namespace upkeep::webui {
namespace {

constexpr int kMaxNesting = 8;

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void append_escaped(std::string& out, char c) {
  switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    case '\0':
      out += "\xEF\xBF\xBD";
      break;  // U+FFFD, as HTML parsers do
    default:
      out += c;
  }
}

// Only these schemes become links; the check is on the raw text, so "java\tscript:" is no link either.
bool safe_url(std::string_view url) {
  if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return false;
  std::string lower(url.substr(0, 8));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view scheme : {"http://", "https://", "mailto:"})
    if (lower.rfind(scheme, 0) == 0 && url.size() > scheme.size()) return true;
  return false;
}

// Inline Markdown of one block's text. For each delimiter the next position
// holding it is precomputed, so finding a closer is one look-up and the
// whole pass is linear in the text.
class Inline {
 public:
  explicit Inline(std::string_view text) : t_(text) {
    for (char c : std::string_view("`*_])>")) {
      auto& next = next_[slot(c)];
      auto& pair = pair_[slot(c)];
      const auto n = static_cast<uint32_t>(t_.size());
      next.assign(n + 1, n);
      pair.assign(n + 1, n);
      for (uint32_t i = n; i-- > 0;) {
        next[i] = t_[i] == c ? i : next[i + 1];
        pair[i] = (t_[i] == c && i + 1 < n && t_[i + 1] == c) ? i : pair[i + 1];
      }
    }
  }

  std::string render() {
    std::string out;
    render(out, 0, t_.size(), 0, true);
    return out;
  }

 private:
  static size_t slot(char c) { return std::string_view("`*_])>").find(c); }
  size_t next(char c, size_t from) const { return from >= t_.size() ? t_.size() : next_[slot(c)][from]; }
  size_t pair(char c, size_t from) const { return from >= t_.size() ? t_.size() : pair_[slot(c)][from]; }

  void render(std::string& out, size_t p, size_t end, int depth, bool links) {
    while (p < end) {
      const char c = t_[p];
      size_t after = p;
      if (c == '\\' && p + 1 < end && std::ispunct(static_cast<unsigned char>(t_[p + 1]))) {
        append_escaped(out, t_[p + 1]);
        after = p + 2;
      } else if (c == '`') {
        after = code_span(out, p, end);
      } else if ((c == '*' || c == '_') && depth < kMaxNesting) {
        after = emphasis(out, p, end, depth, links);
      } else if (c == '[' && links && depth < kMaxNesting) {
        after = link(out, p, end, depth);
      } else if (c == '<' && links) {
        after = autolink(out, p, end);
      }
      if (after == p) {  // no construct here: the character as text
        append_escaped(out, c);
        after = p + 1;
      }
      p = after;
    }
  }

  size_t code_span(std::string& out, size_t p, size_t end) {
    size_t run = 0;
    while (p + run < end && t_[p + run] == '`') ++run;
    for (size_t j = next('`', p + run); j < end;) {
      size_t close = 0;
      while (j + close < end && t_[j + close] == '`') ++close;
      if (close == run) {
        std::string_view code = t_.substr(p + run, j - p - run);
        if (code.size() >= 2 && code.front() == ' ' && code.back() == ' ') code = code.substr(1, code.size() - 2);
        out += "<code>";
        for (char ch : code) append_escaped(out, ch == '\n' ? ' ' : ch);
        out += "</code>";
        return j + close;
      }
      j = next('`', j + close);
    }
    out.append(run, '`');  // no closer: the run is text
    return p + run;
  }

  size_t emphasis(std::string& out, size_t p, size_t end, int depth, bool links) {
    const char c = t_[p];
    if (c == '_' && p > 0 && is_alnum(t_[p - 1])) return p;  // snake_case_names stay as they are
    const bool strong = p + 1 < end && t_[p + 1] == c;
    const size_t open = strong ? 2 : 1;
    if (p + open >= end || std::isspace(static_cast<unsigned char>(t_[p + open]))) return p;
    size_t close = strong ? pair(c, p + open) : next(c, p + open);
    if (strong && close < end && close + open < end && t_[close + open] == c) ++close;  // "***x***": the last two close
    if (close >= end || close == p + open || std::isspace(static_cast<unsigned char>(t_[close - 1]))) return p;
    if (c == '_' && close + open < end && is_alnum(t_[close + open])) return p;
    const char* tag = strong ? "strong" : "em";
    out += std::string("<") + tag + ">";
    render(out, p + open, close, depth + 1, links);
    out += std::string("</") + tag + ">";
    return close + open;
  }

  size_t link(std::string& out, size_t p, size_t end, int depth) {
    const size_t close = next(']', p + 1);
    if (close + 1 >= end || t_[close + 1] != '(') return p;
    const size_t paren = next(')', close + 2);
    if (paren >= end) return p;
    std::string_view target = trim(t_.substr(close + 2, paren - close - 2));
    target = target.substr(0, std::min(target.find(' '), target.size()));  // drop a "title"
    if (safe_url(target)) {
      out += "<a href=\"";
      for (char ch : target) append_escaped(out, ch);
      out += "\" rel=\"noopener noreferrer\" target=\"_blank\">";
      render(out, p + 1, close, depth + 1, false);
      out += "</a>";
    } else {
      render(out, p + 1, close, depth + 1, false);  // an unsafe link shows its text alone
    }
    return paren + 1;
  }

  size_t autolink(std::string& out, size_t p, size_t end) {  // <https://example.com>
    const size_t close = next('>', p + 1);
    if (close >= end) return p;
    std::string_view target = t_.substr(p + 1, close - p - 1);
    if (!safe_url(target) || target.rfind("mailto:", 0) == 0) return p;
    out += "<a href=\"";
    for (char ch : target) append_escaped(out, ch);
    out += "\" rel=\"noopener noreferrer\" target=\"_blank\">";
    for (char ch : target) append_escaped(out, ch);
    out += "</a>";
    return close + 1;
  }

  std::string_view t_;
  std::array<std::vector<uint32_t>, 6> next_;  // next_[delimiter][i]: the first position >= i holding it
  std::array<std::vector<uint32_t>, 6> pair_;  // the same for the doubled delimiter ("**")
};

struct ListItem {
  bool ordered = false;
  std::string_view text;
  std::string start;  // an ordered list's first number
};

// "- item", "* item", "+ item", "12. item", "3) item"; nullopt otherwise.
std::optional<ListItem> list_item(std::string_view line) {
  size_t indent = 0;
  while (indent < line.size() && indent < 4 && line[indent] == ' ') ++indent;
  if (indent > 3) return std::nullopt;
  std::string_view rest = line.substr(indent);
  if (rest.size() >= 2 && (rest[0] == '-' || rest[0] == '*' || rest[0] == '+') && is_space(rest[1]))
    return ListItem{false, trim(rest.substr(2)), ""};
  size_t digits = 0;
  while (digits < rest.size() && digits < 9 && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits > 0 && digits + 1 < rest.size() && (rest[digits] == '.' || rest[digits] == ')') &&
      is_space(rest[digits + 1]))
    return ListItem{true, trim(rest.substr(digits + 2)), std::string(rest.substr(0, digits))};
  return std::nullopt;
}

// "# Title" .. "###### Title": the level and the text; 0 when not a heading.
int heading(std::string_view line, std::string_view& text) {
  std::string_view s = line.substr(std::min(line.find_first_not_of(' '), line.size()));
  if (line.size() - s.size() > 3) return 0;
  size_t level = 0;
  while (level < s.size() && s[level] == '#') ++level;
  if (level == 0 || level > 6 || (level < s.size() && !is_space(s[level]))) return 0;
  text = trim(s.substr(level));
  while (!text.empty() && text.back() == '#') text.remove_suffix(1);
  text = trim(text);
  return static_cast<int>(level);
}

bool thematic_break(std::string_view line) {
  std::string_view s = trim(line);
  if (s.size() < 3 || (s[0] != '-' && s[0] != '*' && s[0] != '_')) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return c == s[0] || is_space(c); });
}

std::string_view fence_of(std::string_view line) {
  std::string_view s = trim(line);
  if (s.rfind("```", 0) == 0) return "```";
  if (s.rfind("~~~", 0) == 0) return "~~~";
  return {};
}

// The block structure: lines into headings, paragraphs, lists, quotes and code.
class Blocks {
 public:
  std::string render(std::string_view text) {
    std::vector<std::string_view> lines;
    for (size_t start = 0; start <= text.size();) {
      size_t nl = std::min(text.find('\n', start), text.size());
      std::string_view line = text.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines.push_back(line);
      start = nl + 1;
    }
    for (size_t i = 0; i < lines.size(); ++i) i = block(lines, i);
    close_all();
    return out_;
  }

 private:
  // Renders the block starting at lines[i]; returns the index of its last line.
  size_t block(const std::vector<std::string_view>& lines, size_t i) {
    std::string_view line = lines[i], text;
    if (std::string_view fence = fence_of(line); !fence.empty()) return code_block(lines, i, fence);
    if (trim(line).empty()) {
      flush_text();  // a list goes on after a blank line when an item follows
    } else if (int level = heading(line, text)) {
      close_all();
      const std::string tag = "h" + std::to_string(std::min(level + 2, 6));
      out_ += "<" + tag + ">" + Inline(text).render() + "</" + tag + ">\n";
    } else if (thematic_break(line)) {
      close_all();
      out_ += "<hr>\n";
    } else if (auto item = list_item(line)) {
      start_item(*item);
    } else if (trim(line).front() == '>') {
      if (kind_ != Kind::kQuote) close_all();
      kind_ = Kind::kQuote;
      std::string_view q = trim(line).substr(1);
      append_text(trim(q));
    } else if (kind_ == Kind::kParagraph || kind_ == Kind::kItem || kind_ == Kind::kQuote) {
      append_text(trim(line));  // a continuation line
    } else {
      close_all();
      kind_ = Kind::kParagraph;
      append_text(trim(line));
    }
    return i;
  }

  size_t code_block(const std::vector<std::string_view>& lines, size_t i, std::string_view fence) {
    close_all();
    out_ += "<pre><code>";
    size_t j = i + 1;
    for (; j < lines.size() && fence_of(lines[j]) != fence; ++j) {
      if (j > i + 1) out_ += '\n';
      for (char c : lines[j]) append_escaped(out_, c);
    }
    out_ += "</code></pre>\n";
    return std::min(j, lines.size() - 1);
  }

  void start_item(const ListItem& item) {
    flush_text();
    if (list_open_ && list_ordered_ != item.ordered) close_all();
    if (!list_open_) {
      list_open_ = true;
      list_ordered_ = item.ordered;
      out_ += item.ordered
                  ? (item.start == "1" ? "<ol>\n" : "<ol start=\"" + std::to_string(std::stoul(item.start)) + "\">\n")
                  : "<ul>\n";
    }
    kind_ = Kind::kItem;
    append_text(item.text);
  }

  void append_text(std::string_view s) {
    if (!text_.empty()) text_ += '\n';
    text_ += s;
  }

  // Ends the open paragraph, list item or quote (the list stays open).
  void flush_text() {
    if (kind_ == Kind::kNone) return;
    static const std::pair<const char*, const char*> kTags[] = {
        {"", ""}, {"<p>", "</p>\n"}, {"<li>", "</li>\n"}, {"<blockquote><p>", "</p></blockquote>\n"}};
    const auto& [open, close] = kTags[static_cast<int>(kind_)];
    out_ += open + Inline(text_).render() + close;
    text_.clear();
    kind_ = Kind::kNone;
  }

  void close_all() {
    flush_text();
    if (list_open_) out_ += list_ordered_ ? "</ol>\n" : "</ul>\n";
    list_open_ = false;
  }

  enum class Kind { kNone = 0, kParagraph = 1, kItem = 2, kQuote = 3 };
  Kind kind_ = Kind::kNone;
  std::string text_;  // the open block's lines
  bool list_open_ = false;
  bool list_ordered_ = false;
  std::string out_;
};

}  // namespace

std::string MarkdownHtml::escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) append_escaped(out, c);
  return out;
}

std::string MarkdownHtml::render(std::string_view markdown) {
  const bool cut = markdown.size() > kMaxInput;
  if (cut) {
    size_t n = kMaxInput;
    while (n > 0 && (static_cast<unsigned char>(markdown[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 character
    markdown = markdown.substr(0, n);
  }
  std::string html = Blocks().render(markdown);
  if (cut) html += "<p class=\"notes-cut\">(The release notes are cut here: they are longer than 64 KiB.)</p>\n";
  return html;
}

}  // namespace upkeep::webui
