// SqliteJobStore on a real file: durability across reopen, event order and paging,
// blobs, schema versioning, and group commit under concurrent writers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <thread>

#include "absl/strings/escaping.h"
#include "server/store/sqlite_job_store.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

std::unique_ptr<SqliteJobStore> Open(const std::string& path) {
  auto store = SqliteJobStore::Create({path});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

JobRecord Record(uint64_t order, const std::string& tenant = "t") {
  JobRecord record;
  record.order = order;
  record.job.set_id("job-" + std::to_string(order));
  record.job.set_tenant(tenant);
  record.job.set_request_id("r-" + std::to_string(order));
  record.job.set_state(ptune::v1::JOB_STATE_QUEUED);
  return record;
}

ptune::v1::JobEvent Event(const std::string& job_id, uint64_t seq) {
  ptune::v1::JobEvent event = StepEvent(seq);
  event.set_job_id(job_id);
  event.set_seq(seq);
  return event;
}

TEST(SqliteJobStore, WritesSurviveReopen) {
  TempDir dir;
  const std::string path = dir.path() + "/s.db";
  {
    auto store = Open(path);
    StoreBatch batch;
    JobRecord record = Record(1);
    record.acked_index = 7;
    record.last_step = 5;
    record.cancel_requested = true;
    record.cancel_reason = "stop: now";
    record.spec_fingerprint = "f00d";
    record.lost_leases = 1;
    batch.jobs.push_back(record);
    for (uint64_t seq = 1; seq <= 3; ++seq) batch.events.push_back(Event("job-1", seq));
    batch.blobs.push_back({"job-1", kCheckpointBlob, 5, "abc", "CKPT"});
    ASSERT_TRUE(store->CommitSync(std::move(batch)).ok());
  }
  auto store = Open(path);
  auto jobs = store->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].job.id(), "job-1");
  EXPECT_EQ((*jobs)[0].acked_index, 7u);
  EXPECT_EQ((*jobs)[0].last_step, 5u);
  EXPECT_TRUE((*jobs)[0].cancel_requested);
  EXPECT_EQ((*jobs)[0].cancel_reason, "stop: now");
  EXPECT_EQ((*jobs)[0].spec_fingerprint, "f00d");
  EXPECT_EQ((*jobs)[0].lost_leases, 1u);
  auto events = store->ReadEvents("job-1", 1, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].seq(), 2u);
  EXPECT_EQ((*events)[1].seq(), 3u);
  auto limited = store->ReadEvents("job-1", 0, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 1u);
  auto blob = store->ReadBlob("job-1", kCheckpointBlob);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->data, "CKPT");
  EXPECT_EQ(blob->step, 5u);
  EXPECT_TRUE(absl::IsNotFound(store->ReadBlob("job-1", "other").status()));
}

TEST(SqliteJobStore, RequestIdIsUniquePerTenantAndAFailedBatchWritesNothing) {
  TempDir dir;
  auto store = Open(dir.path() + "/s.db");
  StoreBatch first;
  first.jobs.push_back(Record(1));
  ASSERT_TRUE(store->CommitSync(std::move(first)).ok());
  StoreBatch clash;
  JobRecord dup = Record(2);
  dup.job.set_request_id("r-1");
  clash.jobs.push_back(dup);
  clash.events.push_back(Event("job-2", 1));
  EXPECT_FALSE(store->CommitSync(std::move(clash)).ok());
  EXPECT_EQ(store->LoadJobs()->size(), 1u);
  EXPECT_TRUE(store->ReadEvents("job-2", 0, 10)->empty());
  StoreBatch other_tenant;
  JobRecord same_id = Record(3, "other");
  same_id.job.set_request_id("r-1");
  other_tenant.jobs.push_back(same_id);
  EXPECT_TRUE(store->CommitSync(std::move(other_tenant)).ok());
}

// A store written by the first schema (before cancel_reason, spec_fingerprint and
// lost_leases) is migrated in place and its jobs load with those fields empty.
TEST(SqliteJobStore, MigratesASchemaOneStore) {
  TempDir dir;
  const std::string path = dir.path() + "/v1.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ptune::v1::Job job = Record(1).job;
  const std::string sql =
      "CREATE TABLE jobs (id TEXT PRIMARY KEY, ord INTEGER NOT NULL UNIQUE, tenant TEXT NOT "
      "NULL, request_id TEXT NOT NULL, state INTEGER NOT NULL, acked_index INTEGER NOT NULL, "
      "last_step INTEGER NOT NULL, cancel_requested INTEGER NOT NULL, job BLOB NOT NULL);"
      "CREATE UNIQUE INDEX jobs_request ON jobs (tenant, request_id);"
      "CREATE TABLE events (job_id TEXT NOT NULL, seq INTEGER NOT NULL, event BLOB NOT NULL, "
      "PRIMARY KEY (job_id, seq)) WITHOUT ROWID;"
      "CREATE TABLE blobs (job_id TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL, "
      "sha256 TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (job_id, name));"
      "CREATE TABLE workers (id TEXT PRIMARY KEY, info BLOB NOT NULL);"
      "INSERT INTO jobs VALUES ('job-1', 1, 't', 'r-1', 1, 0, 3, 1, x'" +
      absl::BytesToHexString(job.SerializeAsString()) + "');PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  auto jobs = store->LoadJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].job.id(), "job-1");
  EXPECT_EQ((*jobs)[0].last_step, 3u);
  EXPECT_TRUE((*jobs)[0].cancel_requested);
  EXPECT_EQ((*jobs)[0].cancel_reason, "");
  EXPECT_EQ((*jobs)[0].spec_fingerprint, "");
  EXPECT_EQ((*jobs)[0].lost_leases, 0u);
}

TEST(SqliteJobStore, RefusesANewerSchema) {
  TempDir dir;
  const std::string path = dir.path() + "/s.db";
  Open(path).reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string sql =
      "PRAGMA user_version = " + std::to_string(SqliteJobStore::SchemaVersion() + 1);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteJobStore::Create({path});
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SqliteJobStore, ConcurrentCommitsAreAllDurableAndOrdered) {
  TempDir dir;
  const std::string path = dir.path() + "/s.db";
  auto store = Open(path);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        StoreBatch batch;
        batch.jobs.push_back(Record(1 + t * kPerThread + i));
        if (!store->CommitSync(std::move(batch)).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  // Callbacks run in commit order.
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 20; ++i) {
    StoreBatch batch;
    batch.events.push_back(Event("job-1", i + 1));
    store->Commit(std::move(batch), [&, i](const absl::Status& status) {
      EXPECT_TRUE(status.ok());
      std::lock_guard<std::mutex> lock(mu);
      order.push_back(i);
    });
  }
  store->Flush();
  ASSERT_EQ(order.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
  store.reset();
  EXPECT_EQ(Open(path)->LoadJobs()->size(), static_cast<size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace ptune::server::testing
