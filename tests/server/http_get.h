// A minimal HTTP/1.0 GET over loopback for tests that read /metrics or a Prometheus
// server's API (no HTTP client library is linked into the scheduler tests).
#ifndef PTUNE_TESTS_SERVER_HTTP_GET_H_
#define PTUNE_TESTS_SERVER_HTTP_GET_H_

#include <string>

namespace ptune::server::testing {

struct HttpResponse {
  int status = 0;  // 0: no connection or no parseable response
  std::string body;
};

// GET `target` (path and query, already URL-encoded) from 127.0.0.1:port; gives up
// after ~5 s without data.
HttpResponse HttpGet(int port, const std::string& target);

}  // namespace ptune::server::testing

#endif  // PTUNE_TESTS_SERVER_HTTP_GET_H_
