#include "ui_face.h"

#include <unistd.h>

#include "upkeep/base/error.h"

namespace upkeep {

UiFace choose_ui_face(const std::optional<std::string>& option) {
  if (!option) return isatty(0) || isatty(1) ? UiFace::kTerminal : UiFace::kWeb;
  if (*option == "terminal") return UiFace::kTerminal;
  if (*option == "web") return UiFace::kWeb;
  if (*option == "none") return UiFace::kNone;
  fail(ErrorCode::kUsage, "--ui expects terminal, web or none, got '" + *option + "'");
}

const char* ui_face_name(UiFace face) {
  switch (face) {
    case UiFace::kTerminal:
      return "terminal";
    case UiFace::kWeb:
      return "web";
    case UiFace::kNone:
      return "none";
  }
  return "?";
}

}  // namespace upkeep
