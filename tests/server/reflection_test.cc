// Server reflection (grpc.reflection.v1alpha) answers over real gRPC, so grpcurl and
// grpc_cli can list and describe the scheduler's services. Debian ships the reflection
// library but not its .proto, so the few fields used here are encoded by hand with the
// protobuf wire-format primitives (a generic call carries raw bytes).
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>

#include "tests/server/raw_call.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

constexpr char kMethod[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
// ServerReflectionRequest fields.
constexpr int kFileContainingSymbol = 4;
constexpr int kListServices = 7;
// ServerReflectionResponse fields.
constexpr int kFileDescriptorResponse = 4;  // FileDescriptorResponse{bytes file = 1}
constexpr int kListServicesResponse = 6;    // {repeated ServiceResponse{name = 1} = 1}
constexpr int kErrorResponse = 7;

// A request with one string field set.
std::string Request(int field, const std::string& value) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
        field, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint32(value.size());
    out.WriteString(value);
  }
  return bytes;
}

// The length-delimited values of `field` in a serialized message.
std::vector<std::string> Strings(const std::string& message, int field) {
  UnknownFieldSet fields;
  EXPECT_TRUE(fields.ParseFromArray(message.data(), message.size()));
  std::vector<std::string> values;
  for (int i = 0; i < fields.field_count(); ++i) {
    const UnknownField& f = fields.field(i);
    if (f.number() == field && f.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      values.push_back(f.length_delimited());
    }
  }
  return values;
}

// Sends one request on a ServerReflectionInfo stream and returns the response bytes.
std::string Ask(int port, const std::string& request) {
  std::string response;
  grpc::Status status = RawCall(port, kMethod, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

TEST(SchedulerReflection, ListsServices) {
  TempDir dir;
  auto server = SchedulerServer::Create(TestOptions(dir.path()));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string response = Ask((*server)->port(), Request(kListServices, "*"));
  ASSERT_TRUE(Strings(response, kErrorResponse).empty());
  std::vector<std::string> lists = Strings(response, kListServicesResponse);
  ASSERT_EQ(lists.size(), 1u) << "no list_services_response";
  std::set<std::string> names;
  for (const std::string& service : Strings(lists[0], 1)) {
    for (const std::string& name : Strings(service, 1)) names.insert(name);
  }
  for (const char* expected :
       {"ptune.v1.JobService", "ptune.v1.WorkerService", "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection"}) {
    EXPECT_EQ(names.count(expected), 1u) << expected;
  }
}

TEST(SchedulerReflection, DescribesJobService) {
  TempDir dir;
  auto server = SchedulerServer::Create(TestOptions(dir.path()));
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string response =
      Ask((*server)->port(), Request(kFileContainingSymbol, "ptune.v1.JobService"));
  std::vector<std::string> files = Strings(response, kFileDescriptorResponse);
  ASSERT_EQ(files.size(), 1u) << "no file_descriptor_response";
  bool found = false;
  for (const std::string& bytes : Strings(files[0], 1)) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    for (const auto& service : file.service()) {
      if (service.name() != "JobService") continue;
      found = true;
      std::set<std::string> methods;
      for (const auto& method : service.method()) methods.insert(method.name());
      EXPECT_EQ(methods.count("SubmitJob"), 1u);
      EXPECT_EQ(methods.count("WatchJob"), 1u);
    }
  }
  EXPECT_TRUE(found) << "JobService not in the returned descriptors";
}

}  // namespace
}  // namespace ptune::server::testing
