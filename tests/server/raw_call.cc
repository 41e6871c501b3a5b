#include "tests/server/raw_call.h"

#include <grpcpp/generic/generic_stub.h>

#include <vector>

namespace ptune::server::testing {
namespace {

void* Tag(intptr_t n) { return reinterpret_cast<void*>(n); }

// The next completion; false when it is not `expected` or failed.
bool Await(grpc::CompletionQueue* cq, intptr_t expected) {
  void* tag = nullptr;
  bool ok = false;
  return cq->Next(&tag, &ok) && tag == Tag(expected) && ok;
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

}  // namespace

grpc::Status RawCall(int port, const std::string& method, const std::string& request,
                     std::string* response) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, method, &cq);
  call->StartCall(Tag(1));
  Await(&cq, 1);
  grpc::Slice slice(request);
  call->WriteLast(grpc::ByteBuffer(&slice, 1), grpc::WriteOptions(), Tag(2));
  Await(&cq, 2);
  grpc::ByteBuffer in;
  call->Read(&in, Tag(3));
  response->clear();
  if (Await(&cq, 3)) *response = Bytes(in);
  grpc::Status status;
  call->Finish(&status, Tag(4));
  Await(&cq, 4);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

}  // namespace ptune::server::testing
