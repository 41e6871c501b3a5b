// JobQueue: priority order, FIFO, fair share between tenants, limits and matching.
#include "server/job_queue.h"

#include <gtest/gtest.h>

#include <map>

namespace ptune::server {
namespace {

JobQueue::Entry E(const std::string& id, const std::string& tenant, int32_t priority,
                  uint64_t order) {
  return {id, tenant, priority, order};
}

const auto kAny = [](const JobQueue::Entry&) { return true; };

TEST(JobQueue, HigherPriorityFirstThenFifo) {
  JobQueue queue({});
  queue.Push(E("a", "t", 0, 1));
  queue.Push(E("b", "t", 5, 2));
  queue.Push(E("c", "t", 0, 3));
  queue.Push(E("d", "t", 5, 4));
  std::vector<std::string> order;
  while (auto next = queue.PopNext(kAny)) order.push_back(next->job_id);
  EXPECT_EQ(order, (std::vector<std::string>{"b", "d", "a", "c"}));
}

TEST(JobQueue, BigTenantDoesNotStarveSmallOne) {
  JobQueue queue({});
  for (int i = 0; i < 1000; ++i) queue.Push(E("big-" + std::to_string(i), "big", 0, i + 1));
  queue.Push(E("small-0", "small", 0, 2000));
  // Two slots: the small tenant's only job runs in one of them.
  auto first = queue.PopNext(kAny);
  auto second = queue.PopNext(kAny);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(first->tenant == "small" || second->tenant == "small");
}

TEST(JobQueue, SharesByRunningJobs) {
  JobQueue queue({});
  for (int i = 0; i < 10; ++i) {
    queue.Push(E("a" + std::to_string(i), "a", 0, 2 * i + 1));
    queue.Push(E("b" + std::to_string(i), "b", 0, 2 * i + 2));
  }
  std::map<std::string, int> running;
  for (int i = 0; i < 10; ++i) ++running[queue.PopNext(kAny)->tenant];
  EXPECT_EQ(running["a"], 5);
  EXPECT_EQ(running["b"], 5);
  // A tenant whose jobs finish gets the next slots.
  for (int i = 0; i < 3; ++i) queue.RemoveRunning("a");
  EXPECT_EQ(queue.PopNext(kAny)->tenant, "a");
}

TEST(JobQueue, LimitsQueuedAndRunningPerTenant) {
  JobQueueOptions options;
  options.max_queued_per_tenant = 2;
  options.max_running_per_tenant = 1;
  options.max_queued = 3;
  JobQueue queue(options);
  EXPECT_TRUE(queue.CheckAdmission("a").ok());
  queue.Push(E("a1", "a", 0, 1));
  queue.Push(E("a2", "a", 0, 2));
  EXPECT_EQ(queue.CheckAdmission("a").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(queue.CheckAdmission("b").ok());
  queue.Push(E("b1", "b", 0, 3));
  EXPECT_EQ(queue.CheckAdmission("c").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(queue.PopNext(kAny)->job_id, "a1");
  EXPECT_EQ(queue.PopNext(kAny)->job_id, "b1");
  // a is at its running limit: a2 waits although a slot is free.
  EXPECT_FALSE(queue.PopNext(kAny).has_value());
  queue.RemoveRunning("a");
  EXPECT_EQ(queue.PopNext(kAny)->job_id, "a2");
}

TEST(JobQueue, SkipsJobsTheWorkerCannotRunAndRemoves) {
  JobQueue queue({});
  queue.Push(E("gpu", "t", 0, 1));
  queue.Push(E("cpu", "t", 0, 2));
  queue.Push(E("gone", "t", 0, 3));
  EXPECT_TRUE(queue.Remove("gone"));
  EXPECT_FALSE(queue.Remove("gone"));
  auto next = queue.PopNext([](const JobQueue::Entry& e) { return e.job_id != "gpu"; });
  ASSERT_TRUE(next);
  EXPECT_EQ(next->job_id, "cpu");
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.DepthByPriority().at(0), 1u);
  // A requeued job keeps its place ahead of later submissions.
  queue.Push(E("late", "t", 0, 9));
  queue.Push(E("cpu", "t", 0, 2));
  EXPECT_EQ(queue.PopNext(kAny)->job_id, "gpu");
  EXPECT_EQ(queue.PopNext(kAny)->job_id, "cpu");
}

}  // namespace
}  // namespace ptune::server
