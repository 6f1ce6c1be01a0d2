// AccessToken: the secret a web UI's every request must carry, so that no
// other local user and no web page open in the browser can read or drive
// the app's UI (docs/web-ui.md "Security").
//
// A fresh token is 128 bits from OpenSSL's CSPRNG (RAND_bytes), as 32 hex
// digits. A given token (a restarted version keeping the previous one's URL
// working) must be 32 to 128 characters of [A-Za-z0-9_-], else Error(kBadInput).
// matches() compares in constant time. An immutable value: any thread.
#pragma once

#include <string>
#include <string_view>

namespace upkeep::webui {

class AccessToken {
 public:
  static AccessToken generate();
  static AccessToken from(std::string_view given);

  bool matches(std::string_view candidate) const;
  const std::string& text() const { return text_; }

 private:
  explicit AccessToken(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

}  // namespace upkeep::webui
