// make_fetcher: the one Fetcher every program uses, speaking every scheme a
// repository or mirror may have: http://, https:// and file:// (HttpFetcher)
// and sftp:// (SftpFetcher), chosen per URL, so one update check may move
// from an sftp:// repository to an https:// mirror (MirrorList). The
// credentials in FetchOptions go to both.
//
// Thread: as Fetcher (one at a time). After success or failure: as the
// fetcher that served the URL.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "upkeep/net/fetcher.h"

namespace upkeep::net {

std::unique_ptr<Fetcher> make_fetcher(FetchOptions opts = {});

// `opts` with the credentials of `file` (a command's --credentials FILE):
// CredentialStore::load, so a loose or bad file is refused here, before any
// request. Unset: `opts` as they are.
FetchOptions with_credentials_file(const std::optional<std::filesystem::path>& file, FetchOptions opts = {});

// True for an sftp:// URL (any case).
bool is_sftp_url(const std::string& url);

}  // namespace upkeep::net
