#include "client/connection.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace ptune::client {

std::string ResolveToken(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("PTUNE_TOKEN");
  return env == nullptr ? "" : env;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Create(const ConnectOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("no scheduler address; pass --server host:port");
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options.tls || !options.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      absl::StatusOr<std::string> pem = ReadFile(options.ca_file);
      if (!pem.ok()) {
        return absl::Status(pem.status().code(), absl::StrCat("CA file ", pem.status().message()));
      }
      ssl.pem_root_certs = *std::move(pem);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(options.keepalive_time.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(options.keepalive_timeout.count()));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(options.max_reconnect_backoff.count()));
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(options.address, credentials, args);
  return std::unique_ptr<Connection>(new Connection(options, std::move(channel)));
}

void Connection::Prepare(grpc::ClientContext* context, std::chrono::milliseconds timeout) const {
  std::string token = ResolveToken(options_.token);
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  if (timeout.count() > 0) context->set_deadline(std::chrono::system_clock::now() + timeout);
}

bool Connection::WaitForConnected(std::chrono::milliseconds timeout) const {
  return channel_->WaitForConnected(std::chrono::system_clock::now() + timeout);
}

absl::Status FromGrpc(const grpc::Status& status, const std::string& address) {
  if (status.ok()) return absl::OkStatus();
  auto code = static_cast<absl::StatusCode>(status.error_code());
  std::string message = status.error_message();
  if (code == absl::StatusCode::kUnavailable) {
    message = absl::StrCat("scheduler at ", address, " is unreachable (", message,
                           "); check that ptune-scheduler runs there, or pass --server");
  } else if (code == absl::StatusCode::kUnauthenticated) {
    message = absl::StrCat(message, "; pass --token or set PTUNE_TOKEN");
  }
  return absl::Status(code, message);
}

}  // namespace ptune::client
