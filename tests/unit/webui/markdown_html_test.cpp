#include "upkeep/webui/markdown_html.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <string>

using upkeep::webui::MarkdownHtml;

namespace {

std::string render(const std::string& md) { return MarkdownHtml::render(md); }

// Every tag the output holds, e.g. {"<p>", "<a href=...>"}: for checking that nothing else slipped in.
std::vector<std::string> tags(const std::string& html) {
  static const std::regex tag(R"(<[^>]*>)");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

// True when each tag is one the subset makes, with no attribute but a link's.
bool only_safe_tags(const std::string& html) {
  static const std::regex allowed(
      R"(</?(p|h3|h4|h5|h6|ul|ol|li|strong|em|code|pre|blockquote|hr)>|<ol start="\d+">|<p class="notes-cut">|</a>|)"
      R"(<a href="(https?://|mailto:)[^"<>]*" rel="noopener noreferrer" target="_blank">)");
  for (const auto& t : tags(html))
    if (!std::regex_match(t, allowed)) {
      UNSCOPED_INFO("unexpected tag " << t);
      return false;
    }
  return true;
}

}  // namespace

TEST_CASE("markdown: headings, paragraphs, lists, emphasis, code and links", "[webui][markdown]") {
  CHECK(render("# Title") == "<h3>Title</h3>\n");
  CHECK(render("### Small ###") == "<h5>Small</h5>\n");
  CHECK(render("###### Tiny") == "<h6>Tiny</h6>\n");
  CHECK(render("#hashtag") == "<p>#hashtag</p>\n");
  CHECK(render("one\ntwo\n\nthree") == "<p>one\ntwo</p>\n<p>three</p>\n");
  CHECK(render("- a\n- b\n* c") == "<ul>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ul>\n");
  CHECK(render("1. a\n2. b") == "<ol>\n<li>a</li>\n<li>b</li>\n</ol>\n");
  CHECK(render("3. c\n4. d") == "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n");
  CHECK(render("- a\n\n- b\n\nafter") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<p>after</p>\n");
  CHECK(render("- a\n  continued") == "<ul>\n<li>a\ncontinued</li>\n</ul>\n");
  CHECK(render("**bold** and *em* and _em_ and `x < y`") ==
        "<p><strong>bold</strong> and <em>em</em> and <em>em</em> and <code>x &lt; y</code></p>\n");
  CHECK(render("***both***") == "<p><strong><em>both</em></strong></p>\n");
  CHECK(render("snake_case_name and 2 * 3 * 4") == "<p>snake_case_name and 2 * 3 * 4</p>\n");
  CHECK(render("``a ` b``") == "<p><code>a ` b</code></p>\n");
  CHECK(render("```\nint main() { return a<b; }\n```") == "<pre><code>int main() { return a&lt;b; }</code></pre>\n");
  CHECK(render("```cpp\nx\n\ny\n```\nafter") == "<pre><code>x\n\ny</code></pre>\n<p>after</p>\n");
  CHECK(render("> quoted\n> on") == "<blockquote><p>quoted\non</p></blockquote>\n");
  CHECK(render("---") == "<hr>\n");
  CHECK(
      render("[site](https://example.com/a?b=1&c=2)") ==
      "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" target=\"_blank\">site</a></p>\n");
  CHECK(render("[mail](mailto:support@example.com)") ==
        "<p><a href=\"mailto:support@example.com\" rel=\"noopener noreferrer\" target=\"_blank\">mail</a></p>\n");
  CHECK(
      render("<https://example.com>") ==
      "<p><a href=\"https://example.com\" rel=\"noopener noreferrer\" target=\"_blank\">https://example.com</a></p>\n");
  CHECK(render("\\*not em\\*") == "<p>*not em*</p>\n");
  CHECK(render("") == "");
  CHECK(render("\r\nwindows\r\n") == "<p>windows</p>\n");
}

TEST_CASE("markdown: raw HTML and hostile input come out as text", "[webui][markdown]") {
  CHECK(render("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n");
  CHECK(render("<img src=x onerror=alert(1)>") == "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n");
  CHECK(render("# <b>x</b>") == "<h3>&lt;b&gt;x&lt;/b&gt;</h3>\n");
  CHECK(render("`<script>`") == "<p><code>&lt;script&gt;</code></p>\n");
  CHECK(render("```\n</code></pre><script>x</script>\n```") ==
        "<pre><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;</code></pre>\n");
  CHECK(render("&lt; &amp; \"q\" 'a'") == "<p>&amp;lt; &amp;amp; &quot;q&quot; &#39;a&#39;</p>\n");

  SECTION("links to anything but http, https and mailto keep only their text") {
    for (const char* bad : {"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:x",
                            "vbscript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd",
                            "//evil.example/x", "/relative", "https:", "http:/x"}) {
      INFO(bad);
      const std::string html = render(std::string("[click](") + bad + ")");
      CHECK(html.find("<a") == std::string::npos);
      CHECK(html.find("click") != std::string::npos);
      CHECK(only_safe_tags(html));
    }
  }
  SECTION("a quote cannot end the href attribute") {
    const std::string html = render("[x](https://example.com/\"onmouseover=\"alert(1))");
    CHECK(html.find("href=\"https://example.com/&quot;onmouseover=&quot;alert(1\"") != std::string::npos);
    CHECK(only_safe_tags(html));
  }
  SECTION("a link inside a link's text is not a link") {
    const std::string html = render("[a [b](https://b.example) c](https://a.example)");
    CHECK(only_safe_tags(html));
    CHECK(tags(html).size() <= 4);  // <p>, at most one <a ...> and </a>, </p>
  }
  SECTION("mixed hostile input: only the subset's tags") {
    std::string hostile =
        "<svg/onload=alert(1)>\n**<iframe src=javascript:alert(2)>**\n- <a href=\"javascript:x\">x</a>\n"
        "[*x*](javascript:alert(3))\n<style>*{}</style>\n```\n<script>\n```\n> <object data=x>";
    hostile += std::string(1, '\0') + "end";
    const std::string html = render(hostile);
    CHECK(only_safe_tags(html));
    CHECK(html.find('\0') == std::string::npos);
  }
}

TEST_CASE("markdown: huge and pathological input is cut and rendered in linear time", "[webui][markdown]") {
  using clock = std::chrono::steady_clock;
  for (const std::string& unit :
       {std::string("*"), std::string("**a"), std::string("`"), std::string("[x]("), std::string("_a"),
        std::string("<"), std::string("a**"), std::string("x_ _"), std::string("> - # "), std::string("``` ")}) {
    std::string input = "x";  // a paragraph, not a thematic break or a list
    while (input.size() < 4 * 1024 * 1024) input += unit;
    const auto start = clock::now();
    const std::string html = render(input);
    const auto took = clock::now() - start;
    INFO("unit '" << unit << "' took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    CHECK(took < std::chrono::seconds(2));
    CHECK(html.size() < 10 * MarkdownHtml::kMaxInput);
    CHECK(html.find("cut here") != std::string::npos);
    CHECK(only_safe_tags(html));
  }
  SECTION("the cut never splits a UTF-8 character") {
    std::string input(MarkdownHtml::kMaxInput - 1, 'a');
    input += "\xC3\xA9\xC3\xA9";  // é é across the limit
    const std::string html = render(input);
    CHECK(html.find("a\xC3\xA9<") == std::string::npos);
    CHECK(html.find("aaa\n") == std::string::npos);
    CHECK(html.find(std::string(MarkdownHtml::kMaxInput - 1, 'a') + "</p>") != std::string::npos);
  }
  SECTION("deep nesting is bounded") {
    std::string input;
    for (int i = 0; i < 10000; ++i) input += "*a _b [c";
    CHECK(only_safe_tags(render(input)));
  }
}

TEST_CASE("escape covers the five HTML characters", "[webui][markdown]") {
  CHECK(MarkdownHtml::escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}
