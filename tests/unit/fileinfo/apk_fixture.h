// Real APKs for the fileinfo tests, built at test time by Debian's aapt
// (packages aapt and android-framework-res, scripts/setup.sh) against the
// real framework-res.apk. A missing aapt fails the test: it never skips.
// Also: small byte-editing helpers to make hostile inputs from real bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace upkeep::test {

struct ApkFixture {
  std::filesystem::path apk;
  std::string manifest;   // AndroidManifest.xml's bytes, as unzip extracts them
  std::string resources;  // resources.arsc's bytes
};

// A manifest for package com.example.upkeep whose <manifest> element gets `attributes` (android: prefix bound).
std::string manifest_xml(const std::string& attributes);

// Writes `manifest` and the files `res` (path below res/ -> content) into `dir`
// and runs `aapt package` with `options` before the usual ones; REQUIREs success.
ApkFixture build_apk(const std::filesystem::path& dir, const std::string& manifest,
                     const std::map<std::string, std::string>& res, const std::vector<std::string>& options = {});

uint32_t get_u32(const std::string& bytes, size_t at);
void put_u32(std::string& bytes, size_t at, uint32_t value);
void put_u16(std::string& bytes, size_t at, uint16_t value);
// The offset of the first child chunk of type `type` of the file's root chunk (binary XML or table); REQUIREs one.
size_t find_chunk(const std::string& bytes, uint16_t type);

}  // namespace upkeep::test
