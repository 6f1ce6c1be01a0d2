// QuietHours: a daily window of local time ("22:00-06:00") in which no
// background download or restart may happen (managed policy, docs/admin-guide.md
// "Managed policy").
//
// The window is [start, end): it contains `start` and stops just before
// `end`; a window whose end is not after its start crosses midnight
// ("22:00-06:00" is 22:00..05:59). Start and end must differ. parse()
// throws Error(kBadInput) naming the text and the expected form; after
// success the value is immutable. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace upkeep {

class QuietHours {
 public:
  static QuietHours parse(std::string_view text);

  bool contains(int minute_of_day) const;
  // Minutes from `minute_of_day` until the window ends (0 when outside it).
  int minutes_until_end(int minute_of_day) const;
  std::string to_string() const;  // "HH:MM-HH:MM"

 private:
  QuietHours(int start, int end) : start_(start), end_(end) {}
  int start_;
  int end_;
};

}  // namespace upkeep
