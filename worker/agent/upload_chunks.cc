#include "worker/agent/upload_chunks.h"

#include <algorithm>

namespace ptune::agent {
namespace {

// Calls fill(message, offset, piece, last) for each chunk of `bytes`.
template <typename Fill>
std::vector<v1::WorkerMessage> Chunk(const std::string& bytes, size_t chunk_bytes, Fill fill) {
  chunk_bytes = std::max<size_t>(chunk_bytes, 1);
  std::vector<v1::WorkerMessage> messages;
  size_t offset = 0;
  do {
    const size_t n = std::min(chunk_bytes, bytes.size() - offset);
    v1::WorkerMessage message;
    fill(message, offset, bytes.substr(offset, n), offset + n == bytes.size());
    messages.push_back(std::move(message));
    offset += n;
  } while (offset < bytes.size());
  return messages;
}

}  // namespace

std::vector<v1::WorkerMessage> CheckpointChunks(const std::string& job_id, uint32_t attempt,
                                                uint64_t step, const std::string& bytes,
                                                size_t chunk_bytes) {
  return Chunk(bytes, chunk_bytes,
               [&](v1::WorkerMessage& m, size_t offset, std::string piece, bool last) {
                 auto* c = m.mutable_checkpoint();
                 c->set_job_id(job_id);
                 c->set_attempt(attempt);
                 c->set_step(step);
                 c->set_offset(offset);
                 c->set_data(std::move(piece));
                 c->set_last(last);
               });
}

std::vector<v1::WorkerMessage> ArtifactChunks(const std::string& job_id, uint32_t attempt,
                                              const std::string& name, const std::string& bytes,
                                              size_t chunk_bytes) {
  return Chunk(bytes, chunk_bytes,
               [&](v1::WorkerMessage& m, size_t offset, std::string piece, bool last) {
                 auto* a = m.mutable_artifact();
                 a->set_job_id(job_id);
                 a->set_attempt(attempt);
                 a->set_name(name);
                 a->set_offset(offset);
                 a->set_data(std::move(piece));
                 a->set_last(last);
               });
}

}  // namespace ptune::agent
