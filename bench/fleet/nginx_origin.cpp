#include "fleet/nginx_origin.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fleet/proc_stats.h"
#include "upkeep/base/error.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"

namespace upkeep::bench {

namespace stdfs = std::filesystem;

Traffic& Traffic::operator+=(const Traffic& t) {
  requests += t.requests;
  sent_bytes += t.sent_bytes;
  body_bytes += t.body_bytes;
  request_bytes += t.request_bytes;
  metadata_bytes += t.metadata_bytes;
  ok += t.ok;
  partial += t.partial;
  not_modified += t.not_modified;
  not_found += t.not_found;
  other += t.other;
  return *this;
}

std::string page_snippet(const stdfs::path& page, const std::string& name) {
  const std::string doc = fs::read_file(page);
  const size_t marker = doc.find("<!-- snippet: " + name + " -->");
  const size_t open = marker == std::string::npos ? marker : doc.find("```", marker);
  const size_t body = open == std::string::npos ? open : doc.find('\n', open);
  const size_t close = body == std::string::npos ? body : doc.find("\n```", body);
  if (close == std::string::npos) fail(ErrorCode::kNotFound, page.string() + " has no snippet " + name);
  return doc.substr(body + 1, close - body);
}

namespace {

// A listening socket on an ephemeral 127.0.0.1 port, and the port.
std::pair<int, int> listen_on_loopback() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s, 512) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail(ErrorCode::kNetwork, std::string("fleet_bench: cannot listen on 127.0.0.1: ") + std::strerror(errno));
  return {s, ntohs(addr.sin_port)};
}

}  // namespace

NginxOrigin::NginxOrigin(const stdfs::path& docroot, const stdfs::path& dir, const stdfs::path& page) : dir_(dir) {
  const std::string origin_rules = page_snippet(page, "nginx-origin");
  auto [s, port] = listen_on_loopback();
  port_ = port;
  stdfs::create_directories(dir_ / "logs");
  std::ostringstream conf;
  conf << (geteuid() == 0 ? "user root;\n" : "") << "worker_processes 1;\ndaemon off;\nerror_log "
       << (dir_ / "error.log").string() << " warn;\npid " << (dir_ / "nginx.pid").string()
       << ";\nevents { worker_connections 1024; }\nhttp {\n"
       << "  types { application/json json; }\n  default_type application/octet-stream;\n  sendfile on;\n"
       << "  log_format fleet '$status $bytes_sent $body_bytes_sent $request_length $uri';\n"
       << "  access_log " << (dir_ / "access.log").string() << " fleet;\n"
       << "  server {\n    listen 127.0.0.1:" << port_ << ";\n    root " << docroot.string() << ";\n"
       << origin_rules << "  }\n}\n";
  fs::write_file_atomic(dir_ / "nginx.conf", conf.str());
  process::SpawnOptions o;
  o.argv = {"/usr/sbin/nginx", "-p", dir_.string(), "-c", (dir_ / "nginx.conf").string()};
  // Through setpriv when there is one: nginx is sent SIGTERM if the benchmark dies (interrupted) before it ends nginx.
  if (stdfs::exists("/usr/bin/setpriv")) o.argv.insert(o.argv.begin(), {"/usr/bin/setpriv", "--pdeathsig", "TERM"});
  o.env = process::current_environment();
  o.env["NGINX"] = "3;";
  o.move_fds = {{s, 3}};
  o.stdin_null = true;
  // Its start-up notices (before it reads error_log) go to a file of its folder too.
  const int out = open((dir_ / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  o.output_fd = out;
  try {
    pid_ = process::spawn(o);
  } catch (...) {
    close(s);
    if (out >= 0) close(out);
    throw;
  }
  close(s);  // nginx holds its own copies
  if (out >= 0) close(out);
}

NginxOrigin::~NginxOrigin() {
  kill(static_cast<pid_t>(pid_), SIGTERM);
  try {
    process::wait_child(pid_);
  } catch (const std::exception&) {
  }
}

std::vector<int64_t> NginxOrigin::workers() const {
  std::vector<int64_t> out;
  for (const auto& e : stdfs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    const size_t close_paren = stat.rfind(')');
    long ppid = -1;
    if (close_paren != std::string::npos && std::sscanf(stat.c_str() + close_paren + 2, "%*c %ld", &ppid) == 1 &&
        ppid == pid_)
      out.push_back(std::stoll(name));
  }
  return out;
}

double NginxOrigin::cpu_seconds() const {
  uint64_t ns = schedstat_cpu_ns("/proc/" + std::to_string(pid_) + "/schedstat");
  for (int64_t w : workers()) ns += schedstat_cpu_ns("/proc/" + std::to_string(w) + "/schedstat");
  return static_cast<double>(ns) / 1e9;
}

// Two marks are asked for in turn: nginx (one worker, one request at a time
// in its event loop) has logged every earlier request and the first mark
// once the second one's reply arrives, so the log is read up to the first
// mark, no waiting.
Traffic NginxOrigin::take_traffic() {
  const std::string mark = "fleet-mark-" + std::to_string(++marks_);
  net::HttpFetcher fetcher;
  fetcher.get_if_exists(url() + mark, 1024);
  fetcher.get_if_exists(url() + mark + "-after", 1024);
  std::ifstream in(dir_ / "access.log");
  in.seekg(static_cast<std::streamoff>(log_offset_));
  Traffic t;
  std::string line;
  while (std::getline(in, line)) {
    log_offset_ += line.size() + 1;
    unsigned status = 0;
    unsigned long long sent = 0, body = 0, request = 0;
    char uri[256] = {0};
    if (std::sscanf(line.c_str(), "%u %llu %llu %llu %255s", &status, &sent, &body, &request, uri) != 5) continue;
    if (uri == "/" + mark) return t;
    if (std::string(uri).rfind("/fleet-mark-", 0) == 0) continue;  // the previous call's second mark
    ++t.requests;
    t.sent_bytes += sent;
    t.body_bytes += body;
    t.request_bytes += request;
    if (std::string(uri).rfind("/metadata/", 0) == 0) t.metadata_bytes += sent;
    (status == 200   ? t.ok
     : status == 206 ? t.partial
     : status == 304 ? t.not_modified
     : status == 404 ? t.not_found
                     : t.other)++;
  }
  fail(ErrorCode::kFailure, "fleet_bench: nginx did not log " + mark);
}

}  // namespace upkeep::bench
