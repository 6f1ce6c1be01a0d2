// WebUiSocket: where mainapp's web UI listens, and the token that opens it.
//
// acquire() takes the listening socket named `ui` that a restart handed over
// (LISTEN_FDS, listen_fds.h) together with the token the previous version
// passed in MAINAPP_UI_TOKEN, so the URL the user has open keeps working;
// otherwise it opens a fresh socket on 127.0.0.1, on a port the kernel picks,
// and makes a new unguessable token (webui::AccessToken). Either way it
// sets MAINAPP_UI_TOKEN to the token, so the version a restart starts
// inherits it through the launcher. Other inherited sockets are closed.
// Call acquire() once, early, before starting threads (it changes the
// environment); it throws Error when no socket can be opened. The object
// owns the descriptor (closed by the destructor); main thread only.
#pragma once

#include <string>

namespace upkeep {

class WebUiSocket {
 public:
  static constexpr const char* kTokenVariable = "MAINAPP_UI_TOKEN";
  static constexpr const char* kSocketName = "ui";

  static WebUiSocket acquire();
  ~WebUiSocket();
  WebUiSocket(WebUiSocket&& other) noexcept;
  WebUiSocket& operator=(WebUiSocket&&) = delete;
  WebUiSocket(const WebUiSocket&) = delete;

  int fd() const { return fd_; }
  const std::string& token() const { return token_; }
  bool inherited() const { return inherited_; }  // handed over by the previous version

 private:
  WebUiSocket(int fd, std::string token, bool inherited);
  int fd_ = -1;
  std::string token_;
  bool inherited_ = false;
};

}  // namespace upkeep
