// Package: the zip archive of one release, and its safe extraction.
//
// create_package() zips the entries of a build folder's manifest: each
// regular file with its POSIX mode in the entry's external attributes, each
// symlink as an entry of type S_IFLNK whose content is its target (as
// Info-ZIP stores them). extract_package() never trusts a name from the
// archive: absolute paths, drive letters, '..', backslashes, empty
// components, duplicate names (compared byte-wise, no case folding), special
// files, entries missing from or not listed in the manifest, sizes that
// differ from it, and a symlink where the manifest lists no link with that
// exact target are all refused with Error(kVerification) naming the entry.
// A link is made only from the manifest's target, after every file is
// written, so nothing is ever written through a link. Extraction writes
// only below a fresh destination folder; on any failure that folder is
// removed. Free functions; thread-safe for distinct paths.
#pragma once

#include <cstdint>
#include <filesystem>

#include "upkeep/install/manifest.h"

namespace upkeep {

// Zips the entries `manifest` (FileManifest::from_directory(source_dir))
// lists, regular files read from `source_dir`, links from the manifest.
// Entries are deflated at `deflate_level` (1-9; zlib's default 6).
// Error(kNotFound) when `source_dir` is not a folder; no archive is left
// after a failure.
void create_package(const std::filesystem::path& source_dir, const FileManifest& manifest,
                    const std::filesystem::path& zip_path, int deflate_level = 6);

// `dest_dir` must not exist yet. After success it holds exactly the files
// and links of `manifest`, each file checked against its size and SHA-256
// and given the manifest's mode, each link against its target. Durable
// per version, not per file: the files are written into a temporary folder
// without an fsync each, made durable together (fs::sync_tree; crash point
// `stage.written` just before), then the folder is renamed into place and
// its parent fsynced. Disk full gives Error(kNoSpace).
void extract_package(const std::filesystem::path& zip_path, const std::filesystem::path& dest_dir,
                     const FileManifest& manifest);

// Extracts the one regular file `f` (not a link: Error(kFailure)) of `manifest` from the archive into `dest`
// (which must not exist), checked against f's size and SHA-256 and given its
// mode, fsynced. The archive is checked against `manifest` as
// extract_package() checks it. On failure `dest` is removed. Used by the
// vendor side to read an old release's file (delta sources).
void extract_package_file(const std::filesystem::path& zip_path, const FileManifest& manifest, const FileEntry& f,
                          const std::filesystem::path& dest);

}  // namespace upkeep
