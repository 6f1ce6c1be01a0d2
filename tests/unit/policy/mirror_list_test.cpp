#include "upkeep/policy/mirror_list.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "upkeep/policy/config.h"

using namespace upkeep;
using upkeep::test::error_of;

namespace {

std::string parse_error(const std::string& json) {
  return error_of([&] { MirrorList::parse("mirrors", Json::parse(json)); }, ErrorCode::kBadInput);
}

}  // namespace

TEST_CASE("a mirror list is http, https, sftp or file URLs, each given its slash, duplicates dropped",
          "[policy][mirror_list]") {
  CHECK(MirrorList::parse("mirrors", Json::parse(R"(["http://a/x", "https://b/", "file:///srv/r", "http://a/x/",
                                                    "sftp://u@c:2222/srv/r"])")) ==
        std::vector<std::string>{"http://a/x/", "https://b/", "file:///srv/r/", "sftp://u@c:2222/srv/r/"});
  CHECK(MirrorList::parse("mirrors", Json::parse("[]")).empty());
  CHECK(parse_error(R"("http://a/")") ==
        "key 'mirrors': expected a list of repository URLs (http://, https://, sftp:// or file://), found a string");
  CHECK(parse_error(R"(["http://a/", 3])") ==
        "key 'mirrors': expected a list of repository URLs (http://, https://, "
        "sftp:// or file://), found an entry that is an integer");
  CHECK(parse_error(R"(["ftp://a/"])") ==
        "key 'mirrors': expected a list of repository URLs (http://, https://, sftp:// or file://), found 'ftp://a/'");
  CHECK(parse_error(R"(["http://"])") ==
        "key 'mirrors': expected a list of repository URLs (http://, https://, sftp:// or file://), found 'http://'");
}

TEST_CASE("config.json keeps its mirrors, and writes the key only when there are some", "[policy][mirror_list]") {
  Config c = Config::from_json(Json::parse(R"({"app_id":"a","repository":"http://r/","mirrors":["http://m"]})"), "c");
  CHECK(c.mirror_urls == std::vector<std::string>{"http://m/"});
  CHECK(c.unknown_keys.empty());
  CHECK(Config::from_json(c.to_json(), "again").mirror_urls == c.mirror_urls);
  c.mirror_urls.clear();
  CHECK_FALSE(c.to_json().contains("mirrors"));
  CHECK(
      error_of([] { Config::from_json(Json::parse(R"({"app_id":"a","repository":"http://r/","mirrors":"x"})"), "c"); },
               ErrorCode::kBadInput) ==
      "c: key 'mirrors': expected a list of repository URLs (http://, https://, sftp:// or file://), found a string");
}

TEST_CASE(
    "another source is tried after the network's, the delivery's and stale metadata's faults, not after the "
    "release's own or this machine's",
    "[policy][mirror_list]") {
  CHECK(MirrorList::worth_next(Error(ErrorCode::kNetwork, "x: too slow")));
  CHECK(MirrorList::worth_next(Error(ErrorCode::kVerification, "SHA-256 mismatch", Fault::kDelivery)));
  CHECK(MirrorList::worth_next(Error(ErrorCode::kVerification, "timestamp.json: version 3 is older than 4")));
  CHECK(MirrorList::worth_next(Error(ErrorCode::kBadInput, "snapshot.json: not JSON")));
  CHECK(MirrorList::worth_next(Error(ErrorCode::kNotFound, "the repository has no releases yet")));
  CHECK_FALSE(MirrorList::worth_next(Error(ErrorCode::kVerification, "EXDEV", Fault::kLocal)));
  CHECK_FALSE(MirrorList::worth_next(Error(ErrorCode::kBadInput, "does not extract", Fault::kRelease)));
  CHECK_FALSE(MirrorList::worth_next(Error(ErrorCode::kNoSpace, "disk full")));
  CHECK_FALSE(MirrorList::worth_next(Error(ErrorCode::kPermission, "read-only")));
  CHECK_FALSE(MirrorList::worth_next(Error(ErrorCode::kLockTimeout, "locked")));
}

TEST_CASE("first_success tries each source in order and names every failure when all fail", "[policy][mirror_list]") {
  MirrorList list({"http://a/", "http://b/", "http://c/"});
  std::vector<std::string> tried;
  auto answer = list.first_success<std::string>([&](const std::string& url) -> std::string {
    tried.push_back(url);
    if (url != "http://b/") fail(ErrorCode::kNetwork, "refused");
    return "from " + url;
  });
  CHECK(answer == "from http://b/");
  CHECK(tried == std::vector<std::string>{"http://a/", "http://b/"});

  tried.clear();
  Error last(ErrorCode::kOk, "");
  try {
    list.first_success<int>([&](const std::string& url) -> int {
      tried.push_back(url);
      if (url == "http://c/") fail(ErrorCode::kVerification, "bad hash", Fault::kDelivery);
      fail(ErrorCode::kNetwork, "refused");
    });
  } catch (const Error& e) {
    last = e;
  }
  CHECK(tried.size() == 3);
  CHECK(last.code() == ErrorCode::kVerification);
  CHECK(last.fault() == Fault::kDelivery);
  CHECK(std::string(last.what()) == "every source failed: http://a/: refused; http://b/: refused; http://c/: bad hash");

  // The release's own failure (a verified package that does not extract, counted) ends the round at once.
  tried.clear();
  CHECK(error_of(
            [&] {
              list.first_success<int>([&](const std::string& url) -> int {
                tried.push_back(url);
                fail(ErrorCode::kBadInput, "the verified package does not extract", Fault::kRelease);
              });
            },
            ErrorCode::kBadInput) == "the verified package does not extract");
  CHECK(tried == std::vector<std::string>{"http://a/"});
  tried.clear();
  CHECK(error_of(
            [&] {
              list.first_success<int>([&](const std::string& url) -> int {
                tried.push_back(url);
                fail(ErrorCode::kVerification, "cross-device link", Fault::kLocal);
              });
            },
            ErrorCode::kVerification) == "cross-device link");
  CHECK(tried == std::vector<std::string>{"http://a/"});
}
