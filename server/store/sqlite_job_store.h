#ifndef PTUNE_SERVER_STORE_SQLITE_JOB_STORE_H_
#define PTUNE_SERVER_STORE_SQLITE_JOB_STORE_H_

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "server/store/job_store.h"
#include "server/store/sqlite_util.h"

namespace ptune::server {

struct SqliteStoreOptions {
  // Database file; created with its schema when missing.
  std::string path;
  // fsync every commit (synchronous=FULL). Off only for throwaway benchmarks.
  bool durable = true;
  // Largest number of queued batches folded into one transaction.
  size_t max_batches_per_transaction = 4096;
};

// The embedded store: one SQLite file in WAL mode, schema versioned by
// PRAGMA user_version with forward migrations. A single writer thread owns the write
// connection and folds every batch queued meanwhile into one transaction, so
// concurrent submits and telemetry share fsyncs; readers use their own connection and
// never wait for the writer (WAL). Callbacks run on a separate completion thread, in
// commit order, so they overlap the next transaction's fsync.
class SqliteJobStore : public JobStore {
 public:
  // Opens (creating and migrating) the database. INVALID_ARGUMENT for an empty path;
  // FAILED_PRECONDITION when the file or its directory cannot be opened or written
  // (read-only), or it was written by a newer schema; DATA_LOSS when it is damaged or
  // not a SQLite file. Every error of the store names its file and, where an operator
  // must act, what to do; a write that fails because the disk is full (or a file size
  // limit is hit) is RESOURCE_EXHAUSTED and leaves the store usable once space is freed.
  static absl::StatusOr<std::unique_ptr<SqliteJobStore>> Create(const SqliteStoreOptions& options);
  // Flushes pending batches, then closes.
  ~SqliteJobStore() override;

  void Commit(StoreBatch batch, DoneCallback done) override;
  void Flush() override;
  absl::StatusOr<std::vector<JobRecord>> LoadJobs() override;
  absl::StatusOr<std::vector<ptune::v1::JobEvent>> ReadEvents(const std::string& job_id,
                                                              uint64_t after_seq,
                                                              size_t limit) override;
  absl::StatusOr<JobBlob> ReadBlob(const std::string& job_id, const std::string& name) override;
  absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> LoadWorkers() override;

  // Current schema version (for tests of the migration path).
  static int SchemaVersion();

 private:
  struct Pending {
    StoreBatch batch;
    DoneCallback done;
  };
  SqliteJobStore(const SqliteStoreOptions& options, sqlite3* writer, sqlite3* reader);
  void WriterLoop();
  void CompletionLoop();
  absl::Status WriteTransaction(const std::vector<Pending>& pendings);
  absl::Status WriteBatch(const StoreBatch& batch);

  // Constant after construction.
  const SqliteStoreOptions options_;
  sqlite3* const writer_db_;  // used by the writer thread only (and the constructor)
  sqlite::StatementCache writer_statements_;

  std::mutex reader_mu_;
  sqlite3* const reader_db_ ABSL_PT_GUARDED_BY(reader_mu_);
  sqlite::StatementCache reader_statements_ ABSL_GUARDED_BY(reader_mu_);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_ ABSL_GUARDED_BY(mu_);
  // Committed transactions whose callbacks have not run yet, in commit order.
  std::deque<std::pair<std::vector<Pending>, absl::Status>> completions_ ABSL_GUARDED_BY(mu_);
  uint64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;

  std::thread writer_;
  // Runs the callbacks so the writer can begin the next transaction at once.
  std::thread completer_;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_STORE_SQLITE_JOB_STORE_H_
