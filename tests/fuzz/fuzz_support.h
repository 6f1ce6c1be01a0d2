// Shared by the fuzz targets of tests/fuzz/ (docs/testing.md, "Fuzzing").
//
// A target feeds outside bytes to one parser. A refusal (upkeep::Error, the
// library's way to say "malformed") is the expected outcome of most inputs;
// anything else that escapes (another exception, a crash, a sanitizer
// report, a leak, a hang) is a finding. Targets run single-threaded, in
// libFuzzer or in fuzz_replay (replay_main.cpp).
#pragma once

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "upkeep/base/error.h"

namespace upkeep::fuzz {

namespace stdfs = std::filesystem;

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs fn; a refusal (upkeep::Error) is a valid outcome. Returns whether fn
// completed. UPKEEP_FUZZ_DEBUG=1 prints each refusal (to see how deep seeds get).
template <typename Fn>
bool accepts(Fn&& fn) {
  static const bool debug = std::getenv("UPKEEP_FUZZ_DEBUG") != nullptr;
  try {
    fn();
    return true;
  } catch (const Error& e) {
    if (debug) std::fprintf(stderr, "refused: %s\n", e.what());
    return false;
  }
}

// Runs fn, which must not refuse: a refusal here is a finding (e.g. what the
// library printed itself does not parse back).
template <typename Fn>
void must_accept(Fn&& fn) {
  if (!accepts(fn)) std::abort();
}

// This process's scratch folder ($TMPDIR, else /tmp): created on first use,
// emptied by fresh(), removed at exit. Logging is switched off with it (the
// library logs refusals it recovers from; at thousands of runs a second).
class Scratch {
 public:
  static Scratch& get() {
    static Scratch s;
    return s;
  }
  const stdfs::path& path() const { return path_; }
  // An empty scratch folder: what the previous input left is removed.
  const stdfs::path& fresh() {
    for (const auto& e : stdfs::directory_iterator(path_)) stdfs::remove_all(e.path());
    return path_;
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

 private:
  Scratch() {
    spdlog::set_level(spdlog::level::off);
    const char* tmp = std::getenv("TMPDIR");
    path_ = stdfs::path(tmp && *tmp ? tmp : "/tmp") / ("upkeep-fuzz-" + std::to_string(::getpid()));
    stdfs::create_directories(path_);
  }
  ~Scratch() {
    std::error_code ignore;
    stdfs::remove_all(path_, ignore);
  }
  stdfs::path path_;
};

inline stdfs::path write_file(const stdfs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

// Splits an input into parts: little-endian length prefixes, then the rest.
// Seeds are written in the same layout (tests/fuzz/make_corpus.sh).
class Parts {
 public:
  explicit Parts(std::string_view bytes) : rest_(bytes) {}
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4 && !rest_.empty(); ++i) {
      v |= uint32_t{static_cast<unsigned char>(rest_.front())} << (8 * i);
      rest_.remove_prefix(1);
    }
    return v;
  }
  // The next part, announced by a u32 length (shorter when the input ends).
  std::string_view part() {
    const size_t n = std::min<size_t>(u32(), rest_.size());
    std::string_view p = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return p;
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

// Quiets logging in targets that use no Scratch folder.
inline void quiet() { Scratch::get(); }

}  // namespace upkeep::fuzz
