#include "upkeep/net/credential_store.h"

#include <Poco/Base64Encoder.h>
#include <Poco/String.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "upkeep/base/json.h"
#include "upkeep/platform/secret_file.h"

namespace upkeep::net {
namespace {

int default_port(const std::string& scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  if (scheme == "sftp") return 22;
  return 0;
}

std::string base64(const std::string& s) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);  // one line: a header value
  enc << s;
  enc.close();
  return out.str();
}

// True when `path` lies under `prefix` at a '/' boundary ("/a" covers "/a" and "/a/b", not "/ab").
bool path_under(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || prefix.back() == '/' || path[prefix.size()] == '/';
}

// One string member of an entry; its value never goes into a message.
std::string text_of(const Json& obj, const std::string& key, const std::string& where, bool required) {
  const Json* v = obj.find(key);
  if (!v) {
    if (required) fail(ErrorCode::kBadInput, where + ": '" + key + "' is missing, expected a string");
    return "";
  }
  if (!v->is_string() || (required && v->as_string().empty()))
    fail(ErrorCode::kBadInput, where + ": '" + key + "' must be a non-empty string");
  return v->as_string();
}

void only_keys(const Json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  for (const auto& [k, _] : obj.as_object())
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(ErrorCode::kBadInput, where + ": unknown key '" + k + "' (expected " + list + ")");
    }
}

void read_ssh(const Json& ssh, Credential& c, const std::string& where) {
  if (!ssh.is_object())
    fail(ErrorCode::kBadInput, where + ": 'ssh' must be an object {\"user\", and \"password\" or \"key_file\"}");
  only_keys(ssh, {"user", "password", "key_file", "passphrase"}, where + ": ssh");
  c.user = text_of(ssh, "user", where + ": ssh", true);
  const bool password = ssh.contains("password"), key = ssh.contains("key_file");
  if (password == key) fail(ErrorCode::kBadInput, where + ": ssh needs exactly one of 'password' and 'key_file'");
  if (password) {
    c.kind = Credential::Kind::kSshPassword;
    c.password = text_of(ssh, "password", where + ": ssh", true);
    if (ssh.contains("passphrase")) fail(ErrorCode::kBadInput, where + ": ssh 'passphrase' belongs to a 'key_file'");
  } else {
    c.kind = Credential::Kind::kSshKey;
    c.key_file = text_of(ssh, "key_file", where + ": ssh", true);
    c.passphrase = text_of(ssh, "passphrase", where + ": ssh", false);
    if (!c.key_file.is_absolute()) fail(ErrorCode::kBadInput, where + ": ssh 'key_file' must be an absolute path");
  }
}

// One entry: exactly one of basic, bearer (http, https) or ssh (+ known_hosts; sftp).
Credential read_entry(const std::string& prefix, const Json& e, const std::string& what) {
  const std::string where = what + ": '" + prefix + "'";
  Credential c;
  c.prefix = prefix;
  try {
    c.where = UrlOrigin::parse(prefix);
  } catch (const Error& err) {
    fail(ErrorCode::kBadInput, what + ": " + err.what());
  }
  if (!e.is_object()) fail(ErrorCode::kBadInput, where + ": expected an object with \"basic\", \"bearer\" or \"ssh\"");
  const bool sftp = c.where.scheme == "sftp";
  only_keys(e, sftp ? std::vector<std::string>{"ssh", "known_hosts"} : std::vector<std::string>{"basic", "bearer"},
            where + (sftp ? " (an sftp:// URL)" : " (an http(s):// URL)"));
  if (sftp) {
    if (!e.contains("ssh")) fail(ErrorCode::kBadInput, where + ": an sftp:// entry needs \"ssh\"");
    read_ssh(e.at("ssh"), c, where);
    c.known_hosts = text_of(e, "known_hosts", where, false);
    if (!c.known_hosts.empty() && !c.known_hosts.is_absolute())
      fail(ErrorCode::kBadInput, where + ": 'known_hosts' must be an absolute path");
    return c;
  }
  if (e.contains("basic") == e.contains("bearer"))
    fail(ErrorCode::kBadInput, where + ": expected exactly one of \"basic\" and \"bearer\"");
  if (e.contains("bearer")) {
    c.kind = Credential::Kind::kBearer;
    c.token = text_of(e, "bearer", where, true);
    return c;
  }
  const Json& basic = e.at("basic");
  if (!basic.is_object()) fail(ErrorCode::kBadInput, where + ": 'basic' must be an object {\"user\", \"password\"}");
  only_keys(basic, {"user", "password"}, where + ": basic");
  c.kind = Credential::Kind::kBasic;
  c.user = text_of(basic, "user", where + ": basic", true);
  c.password = text_of(basic, "password", where + ": basic", false);
  if (c.user.find(':') != std::string::npos) fail(ErrorCode::kBadInput, where + ": basic 'user' may not hold ':'");
  return c;
}

}  // namespace

UrlOrigin UrlOrigin::parse(const std::string& url) {
  auto bad = [&](const std::string& why) -> UrlOrigin {
    fail(ErrorCode::kUsage, "'" + url + "': " + why + " (expected scheme://host[:port]/path)");
  };
  const auto sep = url.find("://");
  if (sep == std::string::npos || sep == 0) return bad("no scheme");
  UrlOrigin o;
  o.scheme = Poco::toLower(url.substr(0, sep));
  const auto path_at = url.find('/', sep + 3);
  std::string authority = url.substr(sep + 3, path_at == std::string::npos ? std::string::npos : path_at - sep - 3);
  o.path = path_at == std::string::npos ? "/" : url.substr(path_at);
  if (auto q = o.path.find_first_of("?#"); q != std::string::npos) o.path.resize(q);
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    o.user = authority.substr(0, at);
    authority.erase(0, at + 1);
  }
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) return bad("an unclosed '[' in the host");
    o.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("text after the host");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    o.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (o.host.empty()) return bad("no host");
  o.host = Poco::toLower(o.host);
  o.port = default_port(o.scheme);
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return bad("a bad port");
    o.port = std::stoi(port);
    if (o.port < 1 || o.port > 65535) return bad("a port out of 1..65535");
  }
  return o;
}

std::string UrlOrigin::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Credential::authorization() const {
  if (kind == Kind::kBearer) return "Bearer " + token;
  return "Basic " + base64(user + ":" + password);
}

CredentialStore CredentialStore::parse(const std::string& text, const std::string& what) {
  Json j;
  try {
    j = Json::parse(text, what);
  } catch (const Error&) {  // the parser quotes the text where it stopped: it could be a secret's
    fail(ErrorCode::kBadInput, what + ": not valid JSON; expected an object mapping repository URLs to credentials");
  }
  if (!j.is_object()) fail(ErrorCode::kBadInput, what + ": expected an object mapping repository URLs to credentials");
  CredentialStore store;
  for (const auto& [prefix, entry] : j.as_object()) store.entries_.push_back(read_entry(prefix, entry, what));
  return store;
}

CredentialStore CredentialStore::load(const std::filesystem::path& file) {
  CredentialStore store = parse(fs::read_secret_file(file, kMaxFileBytes), file.string());
  store.file_ = file;
  return store;
}

struct CredentialStore::Deferred {
  bool required = false;
  std::once_flag once;
  std::optional<CredentialStore> loaded;
  std::optional<Error> error;

  void load(const std::filesystem::path& file) {
    try {
      loaded = CredentialStore::load(file);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kNotFound && !required) {
        loaded = CredentialStore();
        return;
      }
      spdlog::error("credentials: {}", e.what());
      error = Error(e.code() == ErrorCode::kNotFound ? ErrorCode::kCredentials : e.code(),
                    std::string("credentials: ") + e.what(), e.fault());
    }
  }
};

std::shared_ptr<const CredentialStore> CredentialStore::open(const std::filesystem::path& file, bool required) {
  auto store = std::make_shared<CredentialStore>();
  store->file_ = file;
  store->deferred_ = std::make_shared<Deferred>();
  store->deferred_->required = required;
  return store;
}

const Credential* CredentialStore::find(const std::string& url) const {
  if (!deferred_) return find_loaded(url);
  std::call_once(deferred_->once, [this] { deferred_->load(file_); });
  if (deferred_->error) throw *deferred_->error;
  return deferred_->loaded->find_loaded(url);
}

const Credential* CredentialStore::find_loaded(const std::string& url) const {
  if (entries_.empty()) return nullptr;
  const UrlOrigin want = UrlOrigin::parse(url);
  const Credential* best = nullptr;
  for (const Credential& c : entries_) {
    if (!c.where.same_origin(want) || !path_under(want.path, c.where.path)) continue;
    if (!best || c.where.path.size() > best->where.path.size()) best = &c;
  }
  return best;
}

}  // namespace upkeep::net
