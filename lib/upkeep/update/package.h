// Package: the zip archive of one release, and its safe extraction.
//
// create_package() zips a build folder (every regular file, with its POSIX
// mode in the entry's external attributes). extract_package() never trusts a
// name from the archive: absolute paths, drive letters, '..', backslashes,
// empty components, duplicate names (also after case folding is NOT applied:
// names are compared byte-wise), symlinks and special files, entries missing
// from or not listed in the manifest, and sizes that differ from it are all
// refused with Error(kVerification) naming the entry. Extraction writes only
// below a fresh destination folder; on any failure that folder is removed.
// Free functions; thread-safe for distinct paths.
#pragma once

#include <cstdint>
#include <filesystem>

#include "upkeep/install/manifest.h"

namespace upkeep {

// Throws Error(kBadInput) for a symlink or special file in `source_dir`.
void create_package(const std::filesystem::path& source_dir, const std::filesystem::path& zip_path);

// `dest_dir` must not exist yet. After success it holds exactly the files
// of `manifest`, each checked against its size and SHA-256 and given the
// manifest's mode, all fsynced. Disk full gives Error(kNoSpace).
void extract_package(const std::filesystem::path& zip_path, const std::filesystem::path& dest_dir,
                     const FileManifest& manifest);

// Extracts the one file `f` of `manifest` from the archive into `dest`
// (which must not exist), checked against f's size and SHA-256 and given its
// mode, fsynced. The archive is checked against `manifest` as
// extract_package() checks it. On failure `dest` is removed. Used by the
// vendor side to read an old release's file (delta sources).
void extract_package_file(const std::filesystem::path& zip_path, const FileManifest& manifest, const FileEntry& f,
                          const std::filesystem::path& dest);

}  // namespace upkeep
