// MarkdownHtml: release notes, written in Markdown by the vendor, as HTML
// that is safe to insert into the web UI's page (docs/web-ui.md).
//
// The subset: ATX headings (# .. ######, shown two levels down: h3 .. h6,
// below the page's own), paragraphs, "- " / "* " / "+ " and "1. " lists
// (one level), fenced code blocks (```), `inline code`, **strong**,
// *emphasis* / _emphasis_, [text](url) links and hard line breaks inside a
// paragraph are kept as spaces. Everything else is text: every character
// that means something in HTML (& < > " ') is escaped, so raw HTML in the
// notes shows as written. A link is kept only when its URL is http:, https:
// or mailto: (then with rel="noopener noreferrer" target="_blank"); any
// other link shows its text alone. Input beyond kMaxInput bytes is cut (the
// output says so); the work is linear in the input.
//
// Stateless: any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace upkeep::webui {

class MarkdownHtml {
 public:
  static constexpr size_t kMaxInput = 64 * 1024;

  static std::string render(std::string_view markdown);
  // Text as HTML text or attribute value: & < > " ' escaped.
  static std::string escape(std::string_view text);
};

}  // namespace upkeep::webui
