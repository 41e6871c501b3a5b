#ifndef PTUNE_SERVER_CALLER_H_
#define PTUNE_SERVER_CALLER_H_

#include <string>

namespace ptune::server {

// Who is calling, as established by authentication.
struct Caller {
  std::string tenant = "default";
  // Sees and manages every tenant's jobs.
  bool admin = false;
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_CALLER_H_
