#include "upkeep/repository/repository_layout.h"

#include <catch2/catch.hpp>

using upkeep::RepositoryLayout;

TEST_CASE("repository URLs: metadata, roots and percent-encoded targets", "[repository_layout]") {
  const std::string repo = "https://updates.example.com/app/";
  CHECK(RepositoryLayout::metadata_url(repo) == repo + "metadata/");
  CHECK(RepositoryLayout::targets_url(repo) == repo + "targets/");
  CHECK(RepositoryLayout::root_url(repo, 1) == repo + "metadata/1.root.json");
  CHECK(RepositoryLayout::target_url(repo, "a b/blobs/x+y.zst") == repo + "targets/a%20b/blobs/x%2By.zst");
}

TEST_CASE("repository folders and consistent-snapshot names", "[repository_layout]") {
  CHECK(RepositoryLayout::metadata_dir("/srv/repo") == std::filesystem::path("/srv/repo/metadata"));
  CHECK(RepositoryLayout::targets_dir("/srv/repo") == std::filesystem::path("/srv/repo/targets"));
  CHECK(RepositoryLayout::root_file_name(12) == "12.root.json");
  CHECK(RepositoryLayout::consistent_name("app/1.0.0/p/package.zip", "abc") == "app/1.0.0/p/abc.package.zip");
  CHECK(RepositoryLayout::consistent_name("files.json", "abc") == "abc.files.json");
}
