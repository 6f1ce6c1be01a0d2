// SqliteStatement: one prepared SQLite statement, bound and stepped in one place and
// finalized on scope exit; errors are Error naming the state database
// (SQLITE_FULL: kNoSpace). Internal to StateStore's implementation files
// (state_store.cpp, state_store_hook_runs.cpp); not a public header.
// One thread, like the connection it belongs to.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "upkeep/base/error.h"

namespace upkeep::state_store_detail {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK)
      fail(ErrorCode::kFailure, std::string("state database: ") + sqlite3_errmsg(db));
  }
  ~SqliteStatement() { sqlite3_finalize(st_); }
  SqliteStatement& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStatement& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  // True while a row is available.
  bool step() {
    int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    ErrorCode code = (rc == SQLITE_FULL) ? ErrorCode::kNoSpace : ErrorCode::kFailure;
    fail(code, std::string("state database: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    auto* p = sqlite3_column_text(st_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t integer(int col) const { return sqlite3_column_int64(st_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

}  // namespace upkeep::state_store_detail
