// Bearer tokens, tenant isolation, fair share between tenants, TLS and worker mTLS.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "common/file_io.h"
#include "tests/server/test_harness.h"

namespace ptune::server::testing {
namespace {

using ptune::v1::Job;
using ptune::v1::SchedulerMessage;

class TenantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SchedulerOptions options = TestOptions(dir_.path());
    options.tokens_file = dir_.path() + "/tokens";
    std::ofstream(options.tokens_file) << "# test tokens\n"
                                          "tok-a alpha\n"
                                          "tok-b beta\n"
                                          "tok-ops ops admin\n"
                                          "tok-w pool worker\n";
    auto server = SchedulerServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  TempDir dir_;
  std::unique_ptr<SchedulerServer> server_;
};

TEST_F(TenantTest, MissingOrUnknownTokenIsUnauthenticated) {
  Job job;
  EXPECT_EQ(Client(server_->port()).Get("x", &job).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Client(server_->port(), "wrong").Get("x", &job).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  std::vector<ptune::v1::JobEvent> events;
  EXPECT_EQ(Client(server_->port()).WatchBatched("x", 0, &events).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Client(server_->port()).Watch("x", 0, &events).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TenantTest, TenantsCannotSeeEachOthersJobs) {
  Client alpha(server_->port(), "tok-a");
  Client beta(server_->port(), "tok-b");
  Client admin(server_->port(), "tok-ops");
  Job job = alpha.MustSubmit("shared-id");
  EXPECT_EQ(job.tenant(), "alpha");
  Job seen;
  EXPECT_EQ(beta.Get(job.id(), &seen).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(beta.Cancel(job.id(), &seen).error_code(), grpc::StatusCode::NOT_FOUND);
  std::vector<ptune::v1::JobEvent> events;
  EXPECT_EQ(beta.Watch(job.id(), 0, &events).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(beta.WatchBatched(job.id(), 0, &events).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(events.empty());
  std::string data;
  EXPECT_EQ(beta.Download(job.id(), "checkpoint", &data).error_code(), grpc::StatusCode::NOT_FOUND);
  ptune::v1::ListJobsResponse list;
  ASSERT_TRUE(beta.List({}, &list).ok());
  EXPECT_EQ(list.jobs_size(), 0);
  // The same request_id in another tenant is another job.
  Job other = beta.MustSubmit("shared-id");
  EXPECT_NE(other.id(), job.id());
  EXPECT_TRUE(admin.Get(job.id(), &seen).ok());
  ASSERT_TRUE(admin.List({}, &list).ok());
  EXPECT_EQ(list.jobs_size(), 2);
}

TEST_F(TenantTest, OnlyWorkerTokensConnectWorkers) {
  FakeWorker anonymous(server_->port(), "w0");
  EXPECT_FALSE(anonymous.Connect());
  EXPECT_EQ(anonymous.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  FakeWorker tenant(server_->port(), "w1", "tok-a");
  EXPECT_FALSE(tenant.Connect());
  EXPECT_EQ(tenant.status().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  FakeWorker worker(server_->port(), "w2", "tok-w");
  EXPECT_TRUE(worker.Connect());
}

TEST_F(TenantTest, FairShareServesTheSmallTenant) {
  Client alpha(server_->port(), "tok-a");
  Client beta(server_->port(), "tok-b");
  for (int i = 0; i < 30; ++i) alpha.MustSubmit("bulk-" + std::to_string(i));
  Job small = beta.MustSubmit("one");
  FakeWorker worker(server_->port(), "w", "tok-w");
  ptune::v1::Register base;
  base.set_max_jobs(2);
  ASSERT_TRUE(worker.Connect({}, base));
  std::set<std::string> assigned;
  for (int i = 0; i < 2; ++i) {
    auto assignment = worker.Expect(SchedulerMessage::kAssignment);
    ASSERT_TRUE(assignment);
    assigned.insert(assignment->assignment().job_id());
  }
  EXPECT_EQ(assigned.count(small.id()), 1u);
}

// Runs a shell command; fails the test when it fails.
void Shell(const std::string& command) {
  ASSERT_EQ(std::system((command + " >/dev/null 2>&1").c_str()), 0) << command;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string d = dir_.path();
    Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ptune-test-ca -keyout " + d +
          "/ca.key -out " + d + "/ca.pem");
    Shell("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d +
          "/server.key -out " + d + "/server.csr");
    Shell("printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > " + d + "/san.ext");
    Shell("openssl x509 -req -days 1 -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
          "/ca.key -CAcreateserial -extfile " + d + "/san.ext -out " + d + "/server.pem");
    Shell("openssl req -newkey rsa:2048 -nodes -subj /CN=worker -keyout " + d +
          "/worker.key -out " + d + "/worker.csr");
    Shell("openssl x509 -req -days 1 -in " + d + "/worker.csr -CA " + d + "/ca.pem -CAkey " + d +
          "/ca.key -CAcreateserial -out " + d + "/worker.pem");
    SchedulerOptions options = TestOptions(d);
    options.tls.cert_file = d + "/server.pem";
    options.tls.key_file = d + "/server.key";
    options.tls.client_ca_file = d + "/ca.pem";
    auto server = SchedulerServer::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::shared_ptr<grpc::Channel> Channel(bool client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(dir_.path() + "/ca.pem").value();
    if (client_cert) {
      ssl.pem_private_key = ReadFile(dir_.path() + "/worker.key").value();
      ssl.pem_cert_chain = ReadFile(dir_.path() + "/worker.pem").value();
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");  // the certificate's name
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(server_->port()),
                                     grpc::SslCredentials(ssl), args);
  }
  TempDir dir_;
  std::unique_ptr<SchedulerServer> server_;
};

TEST_F(TlsTest, ClientsUseTlsAndWorkersNeedACertificate) {
  Client tls_client(Channel(false));
  Job job = tls_client.MustSubmit("over-tls");
  EXPECT_FALSE(job.id().empty());
  Job ignored;
  grpc::Status plaintext = Client(server_->port()).Get(job.id(), &ignored);
  EXPECT_EQ(plaintext.error_code(), grpc::StatusCode::UNAVAILABLE);
  FakeWorker without_cert(Channel(false), "w-nocert");
  EXPECT_FALSE(without_cert.Connect());
  EXPECT_EQ(without_cert.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  FakeWorker with_cert(Channel(true), "w-cert");
  ASSERT_TRUE(with_cert.Connect());
  EXPECT_TRUE(with_cert.Expect(SchedulerMessage::kAssignment).has_value());
}

TEST(TlsOptionsTest, BadFilesAreNamed) {
  TempDir dir;
  SchedulerOptions options = TestOptions(dir.path());
  options.tls.cert_file = dir.path() + "/missing.pem";
  options.tls.key_file = dir.path() + "/missing.key";
  auto server = SchedulerServer::Create(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("tls-cert"), std::string::npos);
  options.tls = {};
  options.tokens_file = dir.path() + "/tokens";
  std::ofstream(options.tokens_file) << "tok tenant superuser\n";
  server = SchedulerServer::Create(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("tokens:1"), std::string::npos)
      << server.status().message();
  // The token itself never appears in the error.
  EXPECT_EQ(server.status().message().find("tok "), std::string::npos);
}

}  // namespace
}  // namespace ptune::server::testing
