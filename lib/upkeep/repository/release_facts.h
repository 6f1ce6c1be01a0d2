// ReleaseFacts: what a release says about itself, signed as the "custom"
// object of its package target (app/version/platform/package.zip). The
// publisher writes it (to_json); the client's release selector, the
// publisher's history and rollout change, the mirror and the installer read
// it. The one place that spells its keys.
//
// Two readers, as before this type existed: from_json() for the client,
// which must not offer a release with missing facts (app_id, platform,
// version and manifest required); read() for the vendor side, where every
// field is optional (absent: its default, "" for strings). Both throw
// Error(kBadInput) "field 'K' must be ..." for a field of the wrong type,
// and from_json() the Json error naming a missing required field.
// A plain value: any thread; copies are independent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "upkeep/base/json.h"

namespace upkeep {

struct ReleaseFacts {
  std::string app_id;
  std::string version;
  std::string channel = "stable";
  std::string platform;
  std::string notes;
  bool critical = false;  // offered whatever the rollout
  int64_t rollout = 100;  // percent of installations offered it (update/rollout.h)
  Json desktop;           // the shortcut's metadata (DesktopEntry::to_metadata()); null: none
  std::string manifest;   // the release's files.json target path
  std::string released;   // tuf::format_time of the publish; "" when not recorded
  std::string delta;      // the release's delta.zst target path; "" when it has none
  // The version of each program file (exe, dll, apk, ELF) the publisher
  // could read (fileinfo/program_version.h), by path in the release; what
  // `upkeep info` shows per module. Written only when not empty.
  std::map<std::string, std::string> modules;

  // The custom object (desktop, released, delta and modules only when set).
  Json to_json() const;
  // Writes the facts over `custom`, keeping keys this type does not know.
  void write_into(Json& custom) const;

  // Strict (client): see the header comment.
  static ReleaseFacts from_json(const Json& custom);
  // Lenient (vendor side): a non-object reads as all defaults.
  static ReleaseFacts read(const Json& custom);
  // Whether `custom` claims to be a release (names a version and a
  // manifest); other targets (files.json, delta.zst) carry no facts.
  static bool names_release(const Json& custom);
  // The app id when `custom` names one as a string, else nullopt; never throws.
  static std::optional<std::string> app_id_in(const Json& custom);
};

}  // namespace upkeep
