#ifndef PTUNE_SERVER_WIRE_EVENT_H_
#define PTUNE_SERVER_WIRE_EVENT_H_

#include <grpcpp/support/slice.h>

#include <memory>

#include "ptune/v1/events.pb.h"

namespace ptune::server {

// A stored job event as watchers receive it: the message (read for its seq, job and
// kind) and its wire encoding, serialised once. Every watcher's write refers to the
// same reference-counted bytes, so fanning one event out to N watchers costs N
// small byte-buffer headers, not N serialisations and copies. Immutable once built.
// `batch_header` is the field header (tag of JobEventBatch.events, then the length)
// that precedes `bytes` inside a JobEventBatch, so a batch's wire form is the
// concatenation of header + bytes per event, with nothing re-serialised per watcher.
struct WireEvent {
  explicit WireEvent(ptune::v1::JobEvent message);

  const ptune::v1::JobEvent event;
  const grpc::Slice bytes;
  const grpc::Slice batch_header;
};

using SharedEvent = std::shared_ptr<const WireEvent>;

inline SharedEvent MakeSharedEvent(ptune::v1::JobEvent message) {
  return std::make_shared<const WireEvent>(std::move(message));
}

}  // namespace ptune::server

#endif  // PTUNE_SERVER_WIRE_EVENT_H_
