// moto's S3 server (moto_server) for a test, on a free port of 127.0.0.1,
// and the environment the real AWS CLI needs to talk to it (throwaway
// credentials, AWS_ENDPOINT_URL). Both tools come from scripts/setup.sh:
// on PATH, or in the build folder's s3/ virtualenv. The destructor stops it.
#pragma once

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
    process_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{
            "/bin/sh", "-c",
            "exec moto_server -H 127.0.0.1 -p " + std::to_string(port_) + " >" + log().string() + " 2>&1"},
        env());
    wait_until_accepting(port_, [this] { return stdfs::exists(log()) ? read_text(log()) : ""; });
  }
  // "http://127.0.0.1:PORT/": a bucket B is served (path style) at url() + B + "/".
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // PATH with the setup's virtualenv first, throwaway credentials, the endpoint.
  std::map<std::string, std::string> env() const {
    const char* path = std::getenv("PATH");
    return {{"PATH", (program("upkeep").parent_path() / "s3" / "bin").string() + ":" + (path ? path : "/usr/bin:/bin")},
            {"AWS_ACCESS_KEY_ID", "test"},
            {"AWS_SECRET_ACCESS_KEY", "test"},
            {"AWS_DEFAULT_REGION", "us-east-1"},
            {"AWS_ENDPOINT_URL", url()}};
  }

 private:
  stdfs::path log() const { return dir_ / "moto.log"; }  // its banner and request log, kept off the test's output

  TempDir dir_;
  int port_;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace upkeep::test
