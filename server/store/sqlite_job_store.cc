#include "server/store/sqlite_job_store.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace ptune::server {
namespace {

// Forward migrations; migration i brings the schema from version i to i + 1. Never edit
// a released entry: append a new one.
const char* const kMigrations[] = {
    // 0 → 1: the initial schema.
    R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  ord INTEGER NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  request_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  acked_index INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  cancel_requested INTEGER NOT NULL,
  job BLOB NOT NULL);
-- The idempotency keys of SubmitJob.
CREATE UNIQUE INDEX jobs_request ON jobs (tenant, request_id);
CREATE TABLE events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event BLOB NOT NULL,
  PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
CREATE TABLE blobs (
  job_id TEXT NOT NULL,
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (job_id, name));
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  info BLOB NOT NULL);
)sql",
    // 1 → 2: the cancel reason as a field (not parsed back from the state reason), the
    // submitted spec's fingerprint (request_id reuse), lost leases (attempt limit).
    R"sql(
ALTER TABLE jobs ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN spec_fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lost_leases INTEGER NOT NULL DEFAULT 0;
)sql",
};
constexpr int kSchemaVersion = sizeof(kMigrations) / sizeof(kMigrations[0]);

absl::StatusOr<sqlite3*> Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot open store ", path, ": ", message,
        "; check that its directory exists and that the file and the directory are writable "
        "by the scheduler (SQLite creates -wal and -shm files next to it)"));
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

absl::StatusOr<int> UserVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) != SQLITE_OK) {
    return sqlite::Error(db, "PRAGMA user_version");
  }
  sqlite::Statement statement(db, stmt);
  absl::StatusOr<bool> row = statement.Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(statement.Int(0));
}

absl::Status Migrate(sqlite3* db, const std::string& path) {
  absl::StatusOr<int> version = UserVersion(db);
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "schema version ", *version, " but this scheduler knows only up to ", kSchemaVersion));
  }
  for (int v = *version; v < kSchemaVersion; ++v) {
    absl::Status status =
        sqlite::Exec(db, absl::StrCat("BEGIN IMMEDIATE;", kMigrations[v],
                                      "PRAGMA user_version = ", v + 1, ";COMMIT;"));
    if (!status.ok()) {
      sqlite::Exec(db, "ROLLBACK").IgnoreError();
      return status;
    }
  }
  return absl::OkStatus();
}

template <typename Proto>
absl::StatusOr<Proto> Parse(const std::string& bytes, absl::string_view what) {
  Proto proto;
  if (!proto.ParseFromString(bytes)) {
    return absl::DataLossError(absl::StrCat("cannot parse ", what));
  }
  return proto;
}

// `status` of the store at `path`, saying which file and, for what an operator must fix,
// what to do.
absl::Status InStore(const std::string& path, const absl::Status& status) {
  if (status.ok()) return status;
  std::string message = absl::StrCat("store ", path, ": ", status.message());
  if (absl::IsDataLoss(status)) {
    absl::StrAppend(&message,
                    "; the file is damaged or not a ptune store: restore it from a backup, "
                    "or move it away to start with an empty store");
  }
  return absl::Status(status.code(), message);
}

// Whether a failed write of the store at `path` ran out of space. SQLite reports ENOSPC
// on a short write as SQLITE_FULL, but a write refused outright (ENOSPC, EFBIG under a
// file size limit, EDQUOT) as a plain SQLITE_IOERR_WRITE whose errno it does not keep;
// so look: the disk nearly full, or a file of the store near the process's limit.
bool OutOfSpace(const std::string& path) {
  constexpr uintmax_t kSlack = 1 << 20;
  std::error_code error;
  const std::filesystem::path file(path);
  struct statvfs disk;
  const std::string dir = file.has_parent_path() ? file.parent_path().string() : ".";
  if (statvfs(dir.c_str(), &disk) == 0 &&
      static_cast<uintmax_t>(disk.f_bavail) * disk.f_frsize < kSlack) {
    return true;
  }
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return false;
  for (const std::string& name : {path, path + "-wal"}) {
    const uintmax_t size = std::filesystem::file_size(name, error);
    if (!error && size + kSlack >= limit.rlim_cur) return true;
  }
  return false;
}

}  // namespace

int SqliteJobStore::SchemaVersion() { return kSchemaVersion; }

absl::StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Create(
    const SqliteStoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("store path: must not be empty");
  absl::StatusOr<sqlite3*> writer = Open(options.path);
  if (!writer.ok()) return writer.status();
  // SQLite silently opens a write-protected file read-only; the scheduler would then
  // fail its first write instead of refusing to start.
  absl::Status status;
  if (sqlite3_db_readonly(*writer, "main") == 1) {
    status = absl::FailedPreconditionError(
        absl::StrCat("store ", options.path,
                     " is read-only: make it (and its directory, which holds the -wal and "
                     "-shm files) writable by the scheduler, or pass --store a writable path"));
  }
  if (status.ok()) {
    status =
        InStore(options.path,
                sqlite::Exec(*writer, absl::StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=",
                                                   options.durable ? "FULL" : "OFF",
                                                   "; PRAGMA foreign_keys=ON;")));
  }
  if (status.ok()) status = InStore(options.path, Migrate(*writer, options.path));
  if (!status.ok()) {
    sqlite3_close(*writer);
    return status;
  }
  absl::StatusOr<sqlite3*> reader = Open(options.path);
  if (!reader.ok()) {
    sqlite3_close(*writer);
    return reader.status();
  }
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(options, *writer, *reader));
}

SqliteJobStore::SqliteJobStore(const SqliteStoreOptions& options, sqlite3* writer, sqlite3* reader)
    : options_(options),
      writer_db_(writer),
      writer_statements_(writer),
      reader_db_(reader),
      reader_statements_(reader) {
  writer_ = std::thread([this] { WriterLoop(); });
  completer_ = std::thread([this] { CompletionLoop(); });
}

SqliteJobStore::~SqliteJobStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
  completer_.join();
  // Statements must be finalized before their connection closes.
  writer_statements_ = sqlite::StatementCache(nullptr);
  reader_statements_ = sqlite::StatementCache(nullptr);
  sqlite3_close(writer_db_);
  sqlite3_close(reader_db_);
}

void SqliteJobStore::Commit(StoreBatch batch, DoneCallback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Pending{std::move(batch), std::move(done)});
    ++enqueued_;
  }
  cv_.notify_all();
}

void SqliteJobStore::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  // Until quiescent: callbacks of flushed batches may commit follow-up batches.
  cv_.wait(lock, [&] { return committed_ == enqueued_; });
}

void SqliteJobStore::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    // On stop, wait for quiescence: a running callback may still commit more.
    cv_.wait(lock, [&] { return !queue_.empty() || (stop_ && committed_ == enqueued_); });
    if (queue_.empty()) return;
    std::vector<Pending> pendings;
    if (queue_.size() <= options_.max_batches_per_transaction) {
      pendings.swap(queue_);
    } else {
      auto end = queue_.begin() + options_.max_batches_per_transaction;
      pendings.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
      queue_.erase(queue_.begin(), end);
    }
    lock.unlock();
    absl::Status status = WriteTransaction(pendings);
    lock.lock();
    completions_.emplace_back(std::move(pendings), std::move(status));
    cv_.notify_all();
  }
}

void SqliteJobStore::CompletionLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return !completions_.empty() || (stop_ && committed_ == enqueued_); });
    if (completions_.empty()) return;  // stopped and everything completed
    auto [pendings, status] = std::move(completions_.front());
    completions_.pop_front();
    lock.unlock();
    for (Pending& pending : pendings) {
      if (pending.done) pending.done(status);
    }
    lock.lock();
    committed_ += pendings.size();
    cv_.notify_all();
  }
}

absl::Status SqliteJobStore::WriteTransaction(const std::vector<Pending>& pendings) {
  absl::Status status = sqlite::Exec(writer_db_, "BEGIN IMMEDIATE");
  if (!status.ok()) return InStore(options_.path, status);
  for (const Pending& pending : pendings) {
    status = WriteBatch(pending.batch);
    if (!status.ok()) break;
  }
  if (status.ok()) status = sqlite::Exec(writer_db_, "COMMIT");
  if (!status.ok() && sqlite3_extended_errcode(writer_db_) == SQLITE_IOERR_WRITE &&
      OutOfSpace(options_.path)) {
    status = absl::ResourceExhaustedError(absl::StrCat(
        status.message(), ": the store is full; free space on its disk (reads keep working)"));
  }
  if (!status.ok()) sqlite::Exec(writer_db_, "ROLLBACK").IgnoreError();
  return InStore(options_.path, status);
}

absl::Status SqliteJobStore::WriteBatch(const StoreBatch& batch) {
  for (const JobRecord& record : batch.jobs) {
    absl::StatusOr<sqlite::Statement*> s = writer_statements_.Get(
        "INSERT INTO jobs (id, ord, tenant, request_id, state, acked_index, last_step, "
        "cancel_requested, job, cancel_reason, spec_fingerprint, lost_leases) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
        "ON CONFLICT (id) DO UPDATE SET state = ?5, acked_index = ?6, last_step = ?7, "
        "cancel_requested = ?8, job = ?9, cancel_reason = ?10, spec_fingerprint = ?11, "
        "lost_leases = ?12");
    if (!s.ok()) return s.status();
    (*s)->BindText(1, record.job.id());
    (*s)->Bind(2, static_cast<int64_t>(record.order));
    (*s)->BindText(3, record.job.tenant());
    (*s)->BindText(4, record.job.request_id());
    (*s)->Bind(5, static_cast<int64_t>(record.job.state()));
    (*s)->Bind(6, static_cast<int64_t>(record.acked_index));
    (*s)->Bind(7, static_cast<int64_t>(record.last_step));
    (*s)->Bind(8, static_cast<int64_t>(record.cancel_requested));
    (*s)->Bind(9, record.job.SerializeAsString());
    (*s)->BindText(10, record.cancel_reason);
    (*s)->BindText(11, record.spec_fingerprint);
    (*s)->Bind(12, static_cast<int64_t>(record.lost_leases));
    if (absl::Status st = (*s)->Run(); !st.ok()) return st;
  }
  for (const ptune::v1::JobEvent& event : batch.events) {
    absl::StatusOr<sqlite::Statement*> s =
        writer_statements_.Get("INSERT INTO events (job_id, seq, event) VALUES (?1, ?2, ?3)");
    if (!s.ok()) return s.status();
    (*s)->BindText(1, event.job_id());
    (*s)->Bind(2, static_cast<int64_t>(event.seq()));
    (*s)->Bind(3, event.SerializeAsString());
    if (absl::Status st = (*s)->Run(); !st.ok()) return st;
  }
  for (const JobBlob& blob : batch.blobs) {
    absl::StatusOr<sqlite::Statement*> s = writer_statements_.Get(
        "INSERT OR REPLACE INTO blobs (job_id, name, step, sha256, data) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s.ok()) return s.status();
    (*s)->BindText(1, blob.job_id);
    (*s)->BindText(2, blob.name);
    (*s)->Bind(3, static_cast<int64_t>(blob.step));
    (*s)->BindText(4, blob.sha256);
    (*s)->Bind(5, blob.data);
    if (absl::Status st = (*s)->Run(); !st.ok()) return st;
  }
  for (const ptune::v1::WorkerInfo& worker : batch.workers) {
    absl::StatusOr<sqlite::Statement*> s =
        writer_statements_.Get("INSERT OR REPLACE INTO workers (id, info) VALUES (?1, ?2)");
    if (!s.ok()) return s.status();
    (*s)->BindText(1, worker.worker_id());
    (*s)->Bind(2, worker.SerializeAsString());
    if (absl::Status st = (*s)->Run(); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<JobRecord>> SqliteJobStore::LoadJobs() {
  std::lock_guard<std::mutex> lock(reader_mu_);
  absl::StatusOr<sqlite::Statement*> s = reader_statements_.Get(
      "SELECT ord, acked_index, last_step, cancel_requested, job, cancel_reason, "
      "spec_fingerprint, lost_leases FROM jobs ORDER BY ord");
  if (!s.ok()) return InStore(options_.path, s.status());
  std::vector<JobRecord> records;
  for (;;) {
    absl::StatusOr<bool> row = (*s)->Step();
    if (!row.ok()) return InStore(options_.path, row.status());
    if (!*row) break;
    JobRecord record;
    record.order = (*s)->Int(0);
    record.acked_index = (*s)->Int(1);
    record.last_step = (*s)->Int(2);
    record.cancel_requested = (*s)->Int(3) != 0;
    absl::StatusOr<ptune::v1::Job> job = Parse<ptune::v1::Job>((*s)->Blob(4), "job");
    if (!job.ok()) return InStore(options_.path, job.status());
    record.job = *std::move(job);
    record.cancel_reason = (*s)->Blob(5);
    record.spec_fingerprint = (*s)->Blob(6);
    record.lost_leases = static_cast<uint32_t>((*s)->Int(7));
    records.push_back(std::move(record));
  }
  (*s)->Reset();
  return records;
}

absl::StatusOr<std::vector<ptune::v1::JobEvent>> SqliteJobStore::ReadEvents(
    const std::string& job_id, uint64_t after_seq, size_t limit) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  absl::StatusOr<sqlite::Statement*> s = reader_statements_.Get(
      "SELECT event FROM events WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
  if (!s.ok()) return InStore(options_.path, s.status());
  (*s)->BindText(1, job_id);
  (*s)->Bind(2, static_cast<int64_t>(after_seq));
  (*s)->Bind(3, static_cast<int64_t>(limit));
  std::vector<ptune::v1::JobEvent> events;
  for (;;) {
    absl::StatusOr<bool> row = (*s)->Step();
    if (!row.ok()) return InStore(options_.path, row.status());
    if (!*row) break;
    absl::StatusOr<ptune::v1::JobEvent> event = Parse<ptune::v1::JobEvent>((*s)->Blob(0), "event");
    if (!event.ok()) return InStore(options_.path, event.status());
    events.push_back(*std::move(event));
  }
  (*s)->Reset();
  return events;
}

absl::StatusOr<JobBlob> SqliteJobStore::ReadBlob(const std::string& job_id,
                                                 const std::string& name) {
  std::lock_guard<std::mutex> lock(reader_mu_);
  absl::StatusOr<sqlite::Statement*> s = reader_statements_.Get(
      "SELECT step, sha256, data FROM blobs WHERE job_id = ?1 AND name = ?2");
  if (!s.ok()) return InStore(options_.path, s.status());
  (*s)->BindText(1, job_id);
  (*s)->BindText(2, name);
  absl::StatusOr<bool> row = (*s)->Step();
  if (!row.ok()) return InStore(options_.path, row.status());
  if (!*row) {
    (*s)->Reset();
    return absl::NotFoundError(absl::StrCat("job ", job_id, " has no artifact \"", name, "\""));
  }
  JobBlob blob{job_id, name, static_cast<uint64_t>((*s)->Int(0)), (*s)->Blob(1), (*s)->Blob(2)};
  (*s)->Reset();
  return blob;
}

absl::StatusOr<std::vector<ptune::v1::WorkerInfo>> SqliteJobStore::LoadWorkers() {
  std::lock_guard<std::mutex> lock(reader_mu_);
  absl::StatusOr<sqlite::Statement*> s =
      reader_statements_.Get("SELECT info FROM workers ORDER BY id");
  if (!s.ok()) return InStore(options_.path, s.status());
  std::vector<ptune::v1::WorkerInfo> workers;
  for (;;) {
    absl::StatusOr<bool> row = (*s)->Step();
    if (!row.ok()) return InStore(options_.path, row.status());
    if (!*row) break;
    absl::StatusOr<ptune::v1::WorkerInfo> info =
        Parse<ptune::v1::WorkerInfo>((*s)->Blob(0), "worker");
    if (!info.ok()) return InStore(options_.path, info.status());
    workers.push_back(*std::move(info));
  }
  (*s)->Reset();
  return workers;
}

absl::Status JobStore::CommitSync(StoreBatch batch) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  absl::Status result;
  Commit(std::move(batch), [&](const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu);
    result = status;
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return result;
}

}  // namespace ptune::server
