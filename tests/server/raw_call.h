// One request and the first response of any gRPC method as raw bytes (a generic call),
// for services whose .proto is not at hand and for malformed-request tests.
#ifndef PTUNE_TESTS_SERVER_RAW_CALL_H_
#define PTUNE_TESTS_SERVER_RAW_CALL_H_

#include <grpcpp/grpcpp.h>

#include <string>

namespace ptune::server::testing {

// Calls `method` ("/package.Service/Method") on 127.0.0.1:port with `request` as the
// only (and last) request message; `response` gets the first response message ("" if
// none). Returns the call's final status (10 s deadline).
grpc::Status RawCall(int port, const std::string& method, const std::string& request,
                     std::string* response);

}  // namespace ptune::server::testing

#endif  // PTUNE_TESTS_SERVER_RAW_CALL_H_
