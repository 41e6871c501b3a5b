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

// Tag of JobEventBatch.events (field 1, length-delimited) and `length` as a varint.
grpc::Slice BatchHeader(size_t length) {
  uint8_t header[1 + 10];
  size_t size = 0;
  header[size++] = 0x0A;
  do {
    uint8_t byte = length & 0x7F;
    length >>= 7;
    header[size++] = length == 0 ? byte : (byte | 0x80);
  } while (length != 0);
  return grpc::Slice(header, size);
}

}  // namespace

WireEvent::WireEvent(ptune::v1::JobEvent message)
    : event(std::move(message)), bytes(Serialize(event)), batch_header(BatchHeader(bytes.size())) {}

}  // namespace ptune::server
