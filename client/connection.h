#ifndef PTUNE_CLIENT_CONNECTION_H_
#define PTUNE_CLIENT_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"

namespace ptune::client {

// How to reach the scheduler.
struct ConnectOptions {
  // host:port of the scheduler.
  std::string address = "localhost:50051";
  // Use TLS. With an empty ca_file the system roots verify the server.
  bool tls = false;
  // PEM file of the CA that signed the scheduler's certificate (implies tls).
  std::string ca_file;
  // Bearer token sent as "authorization: Bearer <token>" on every call; empty: the
  // PTUNE_TOKEN environment variable, if set (see ResolveToken).
  std::string token;
  // Deadline of each unary call (submit, get, list, cancel, workers).
  std::chrono::milliseconds call_timeout{30000};
  // Attempts of a unary call that fails with UNAVAILABLE (every ptune unary call is
  // safe to repeat: submit is idempotent on its request id), with backoff in between.
  int max_attempts = 4;
  std::chrono::milliseconds initial_backoff{200};
  // HTTP/2 keepalive on open streams, so a watch notices a dead connection. The
  // scheduler permits pings every 10 s or more; 20 s keeps well clear of its strikes.
  std::chrono::milliseconds keepalive_time{20000};
  std::chrono::milliseconds keepalive_timeout{10000};
  // Upper bound of gRPC's own reconnect backoff, so a restarted scheduler is found
  // within seconds rather than gRPC's default two minutes.
  std::chrono::milliseconds max_reconnect_backoff{2000};
};

// The bearer token to use: `flag` when set, else $PTUNE_TOKEN, else empty.
std::string ResolveToken(const std::string& flag);

// A channel plus what every call needs (token, deadlines). Thread-safe.
class Connection {
 public:
  // Builds the channel; fails only on local problems (INVALID_ARGUMENT for an empty
  // address, NOT_FOUND for an unreadable ca_file). Does not contact the server: an
  // unreachable scheduler shows up as UNAVAILABLE on the first call.
  static absl::StatusOr<std::unique_ptr<Connection>> Create(const ConnectOptions& options);

  const ConnectOptions& options() const { return options_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Adds the token and, when `timeout` is positive, a deadline to `context`.
  void Prepare(grpc::ClientContext* context, std::chrono::milliseconds timeout) const;

  // Waits up to `timeout` for the channel to (re)connect. False on timeout.
  bool WaitForConnected(std::chrono::milliseconds timeout) const;

 private:
  Connection(ConnectOptions options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)), channel_(std::move(channel)) {}

  const ConnectOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
};

// The one mapping from a gRPC status to an absl::Status (codes are the same numbers).
// UNAVAILABLE messages get a hint naming the address, so the user knows what to check.
absl::Status FromGrpc(const grpc::Status& status, const std::string& address);

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_CONNECTION_H_
