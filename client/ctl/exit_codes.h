#ifndef PTUNE_CLIENT_CTL_EXIT_CODES_H_
#define PTUNE_CLIENT_CTL_EXIT_CODES_H_

#include "absl/status/status.h"
#include "ptune/v1/events.pb.h"

namespace ptune::ctl {

// ptunectl's exit codes (documented in docs/ptunectl.md; scripts rely on them).
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,         // any other error (I/O, server-side failure, ...)
  kExitUsage = 2,         // bad command line or invalid input (spec, label, path)
  kExitJobFailed = 3,     // the watched job ended FAILED
  kExitJobCancelled = 4,  // the watched job ended CANCELLED
  kExitUnreachable = 5,   // the scheduler could not be reached
  kExitAuth = 6,          // missing/invalid token or not allowed
  kExitNotFound = 7,      // no such job or artifact
};

// The exit code for a failed call.
int ExitCodeFor(const absl::Status& status);

// The exit code that reports a job's final state (0 for SUCCEEDED).
int ExitCodeForState(ptune::v1::JobState state);

}  // namespace ptune::ctl

#endif  // PTUNE_CLIENT_CTL_EXIT_CODES_H_
