// s3rver (an S3-compatible server on Node.js, pinned into build/s3rver by
// scripts/setup.sh) for a test, on a free port of 127.0.0.1, and the
// environment in which the real AWS CLI (Debian's awscli, /usr/bin/aws) talks
// to it: s3rver's own account (it checks the signatures) and an `aws` first on
// PATH that adds `--endpoint-url`, as docs/hosting.md tells users of
// S3-compatible stores to do (Debian 12's CLI 2.9 predates AWS_ENDPOINT_URL).
// A missing tool fails the test (REQUIRE). The destructor stops the server.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "free_port.h"
#include "test_support.h"

namespace upkeep::test {

class S3Server {
 public:
  S3Server() : port_(free_loopback_port()) {
    const stdfs::path s3rver = find_s3rver();
    INFO("the S3 test needs s3rver (npm) and Debian's awscli: run scripts/setup.sh");
    REQUIRE_FALSE(s3rver.empty());
    REQUIRE(access(kAws, X_OK) == 0);
    stdfs::create_directories(dir_ / "data");
    stdfs::create_directories(dir_ / "bin");
    write_text(dir_ / "bin" / "aws", std::string("#!/bin/sh\nexec ") + kAws + " --endpoint-url " + url() + " \"$@\"\n");
    chmod((dir_ / "bin" / "aws").c_str(), 0755);
    // Path-style requests (http://127.0.0.1:PORT/BUCKET/KEY): a local endpoint has no per-bucket host names.
    write_text(dir_ / "aws.config", "[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n");
    process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        "/bin/sh", "-c",
        "exec " + s3rver.string() + " -d " + (dir_ / "data").string() + " -a 127.0.0.1 --no-vhost-buckets -p " +
            std::to_string(port_) + " >" + log().string() + " 2>&1"});
    wait_until_accepting(port_, [this] { return stdfs::exists(log()) ? read_text(log()) : ""; });
  }
  // "http://127.0.0.1:PORT/": a bucket B is served (path style) at url() + B + "/".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // PATH with the endpoint-adding `aws` first, s3rver's account, a config file of the test's own.
  std::map<std::string, std::string> env() const {
    const char* path = std::getenv("PATH");
    return {{"PATH", (dir_ / "bin").string() + ":" + (path ? path : "/usr/bin:/bin")},
            {"AWS_ACCESS_KEY_ID", "S3RVER"},
            {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
            {"AWS_CONFIG_FILE", (dir_ / "aws.config").string()},
            {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "aws.credentials").string()},
            {"AWS_PAGER", ""}};
  }
  std::string log_text() const { return stdfs::exists(log()) ? read_text(log()) : ""; }

 private:
  static constexpr const char* kAws = "/usr/bin/aws";  // Debian's awscli (scripts/setup.sh)

  // s3rver's program: next to the programs under test first, then in ./build of the source tree (where
  // scripts/setup.sh puts it); empty when neither has it.
  static stdfs::path find_s3rver() {
    for (const stdfs::path& dir : {program("s3rver"), source_dir() / "build" / "s3rver"})
      if (access((dir / "node_modules" / ".bin" / "s3rver").c_str(), X_OK) == 0)
        return dir / "node_modules" / ".bin" / "s3rver";
    return {};
  }
  stdfs::path log() const { return dir_ / "s3rver.log"; }  // its request log, kept off the test's output

  TempDir dir_;
  int port_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
