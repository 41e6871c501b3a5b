#ifndef PTUNE_SERVER_STORE_SQLITE_UTIL_H_
#define PTUNE_SERVER_STORE_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ptune::server::sqlite {

// The connection's last error as a Status naming `what`: RESOURCE_EXHAUSTED when the
// disk is full (SQLITE_FULL), DATA_LOSS for a damaged or foreign file,
// FAILED_PRECONDITION for a read-only one, UNAVAILABLE for transient I/O and locking
// errors, INTERNAL otherwise.
absl::Status Error(sqlite3* db, absl::string_view what);

// Runs statements that return no rows (schema, pragmas, BEGIN/COMMIT).
absl::Status Exec(sqlite3* db, const std::string& sql);

// A prepared statement, reset after each use. Not thread-safe (one per connection user).
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based. Text and blobs are copied by SQLite when bound transiently;
  // we bind them static-less (SQLITE_TRANSIENT) for safety.
  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, absl::string_view value) {
    sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  void BindText(int index, absl::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW → true, SQLITE_DONE → false, else an error.
  absl::StatusOr<bool> Step();
  // Runs to completion (for writes).
  absl::Status Run();
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string Blob(int column);
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Prepared statements of one connection, keyed by their SQL text.
class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  // The reset statement, or the prepare error.
  absl::StatusOr<Statement*> Get(const std::string& sql);

 private:
  sqlite3* db_;
  std::map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace ptune::server::sqlite

#endif  // PTUNE_SERVER_STORE_SQLITE_UTIL_H_
