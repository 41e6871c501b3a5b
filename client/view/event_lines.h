#ifndef PTUNE_CLIENT_VIEW_EVENT_LINES_H_
#define PTUNE_CLIENT_VIEW_EVENT_LINES_H_

#include <string>

#include "ptune/v1/events.pb.h"

namespace ptune::client {

// One human-readable line per event, for logs, pipes and CI, e.g.
//   "#12 step 10/300 loss=0.6931 task_loss=0.6931 tsloss=0 acc=0.5 tok/s=1234"
//   "#40 eval step=50 validation accuracy=0.81 loss=0.45"
//   "#3 state QUEUED -> RUNNING on w1 (assigned)"
// No trailing newline; stable key=value tokens so scripts can grep them.
std::string FormatEventLine(const ptune::v1::JobEvent& event);

// The event in the protobuf JSON mapping on one line (for `-o jsonl`).
std::string FormatEventJson(const ptune::v1::JobEvent& event);

}  // namespace ptune::client

#endif  // PTUNE_CLIENT_VIEW_EVENT_LINES_H_
