#include "server/wire_event.h"

#include <grpc/slice.h>

namespace ptune::server {
namespace {

grpc::Slice Serialize(const ptune::v1::JobEvent& event) {
  const size_t size = event.ByteSizeLong();
  grpc_slice slice = grpc_slice_malloc(size);
  event.SerializeWithCachedSizesToArray(GRPC_SLICE_START_PTR(slice));
  return grpc::Slice(slice, grpc::Slice::STEAL_REF);
}

}  // namespace

WireEvent::WireEvent(ptune::v1::JobEvent message)
    : event(std::move(message)), bytes(Serialize(event)) {}

}  // namespace ptune::server
