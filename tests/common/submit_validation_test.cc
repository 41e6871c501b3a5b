// The scheduler's submit check decides the effective spec once and bounds the request.
#include "server/submit_validation.h"

#include <string>

#include "common/spec_defaults.h"
#include "common/spec_limits.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ptune::server {
namespace {

using ::testing::HasSubstr;

ptune::v1::SubmitJobRequest Request() {
  ptune::v1::SubmitJobRequest request;
  request.set_request_id("r-1");
  request.mutable_spec()->mutable_data()->set_dataset("uci-sentiment");
  request.mutable_spec()->mutable_train()->set_steps(7);
  return request;
}

TEST(SubmitValidation, ReturnsTheEffectiveSpecWithTheUsersValuesKept) {
  absl::StatusOr<ptune::v1::JobSpec> effective = ValidateSubmitRequest(Request());
  ASSERT_TRUE(effective.ok()) << effective.status();
  EXPECT_EQ(effective->train().steps(), 7u);
  EXPECT_EQ(effective->train().batch_size(), 32u);
  EXPECT_EQ(effective->model().source(), "use-lite");
  EXPECT_TRUE(CheckDefaultsApplied(*effective).ok());
  // Submitting the effective spec again gives the same effective spec.
  ptune::v1::SubmitJobRequest again = Request();
  *again.mutable_spec() = *effective;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(
      ValidateSubmitRequest(again).value(), *effective));
}

TEST(SubmitValidation, SpecOverItsSerializedLimitIsRejectedNamingTheLimit) {
  ptune::v1::SubmitJobRequest request = Request();
  // Labels of 200 bytes: the whole goes over 1 MiB before the label count is looked at.
  for (int i = 0; request.spec().ByteSizeLong() <= kMaxSpecBytes; ++i) {
    request.mutable_spec()->mutable_data()->add_labels(std::to_string(i) + std::string(200, 'x'));
  }
  const absl::Status status = ValidateSubmitRequest(request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("spec: at most 1048576 bytes serialized"));
}

TEST(SubmitValidation, SpecProblemsArePrefixedAndRequestLabelsMustBeUtf8) {
  ptune::v1::SubmitJobRequest request = Request();
  request.mutable_spec()->mutable_train()->set_batch_size(kMaxBatchSize + 1);
  request.mutable_spec()->mutable_data()->add_labels("neg");
  request.mutable_spec()->mutable_data()->add_labels("p\xff");
  const std::string message(ValidateSubmitRequest(request).status().message());
  EXPECT_THAT(message, HasSubstr("spec.train.batch_size: must be in [1, 4096] (got 4097)"));
  EXPECT_THAT(message, HasSubstr("spec.data.labels[1]: must be valid UTF-8"));

  ptune::v1::SubmitJobRequest labelled = Request();
  (*labelled.mutable_labels())["team"] = "a\xc0";
  const absl::Status status = ValidateSubmitRequest(labelled).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("labels[\"team\"]: value must be valid UTF-8"));
}

}  // namespace
}  // namespace ptune::server
