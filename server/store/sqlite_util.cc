#include "server/store/sqlite_util.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ptune::server::sqlite {

absl::Status Error(sqlite3* db, absl::string_view what) {
  const int code = sqlite3_extended_errcode(db) & 0xff;
  std::string message = absl::StrCat("sqlite: ", what, ": ", sqlite3_errmsg(db));
  if (code == SQLITE_FULL) {
    return absl::ResourceExhaustedError(
        absl::StrCat(message, ": the store is full; free space on its disk (reads keep working)"));
  }
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return absl::DataLossError(message);
  if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN) {
    return absl::FailedPreconditionError(
        absl::StrCat(message, "; make the store file and its directory writable by the scheduler"));
  }
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = Error(db, sql.substr(0, 60));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, sqlite3_sql(stmt_));
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  while (row.ok() && *row) row = Step();
  Reset();
  return row.status();
}

std::string Statement::Blob(int column) {
  const void* data = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

absl::StatusOr<Statement*> StatementCache::Get(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it != statements_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    return Error(db_, absl::StrCat("prepare ", sql));
  }
  auto [inserted, ok] = statements_.emplace(sql, std::make_unique<Statement>(db_, stmt));
  return inserted->second.get();
}

}  // namespace ptune::server::sqlite
