#ifndef PTUNE_TESTS_SUPPORT_FREE_PORT_H_
#define PTUNE_TESTS_SUPPORT_FREE_PORT_H_

namespace ptune::support {

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it for a bound,
// then closed, socket). Another process may take it before the caller binds it; for a
// server the test starts in-process, prefer binding port 0 and reading the port back.
// Aborts the test binary when no socket can be bound at all.
int FreePort();

}  // namespace ptune::support

#endif  // PTUNE_TESTS_SUPPORT_FREE_PORT_H_
