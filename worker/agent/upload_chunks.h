#ifndef PTUNE_WORKER_AGENT_UPLOAD_CHUNKS_H_
#define PTUNE_WORKER_AGENT_UPLOAD_CHUNKS_H_

// Splitting checkpoints and artifacts into the chunked upload messages of the worker
// protocol: consecutive offsets from 0, `last` on the final chunk, at least one chunk
// (an empty file is one empty chunk with `last`).

#include <cstdint>
#include <string>
#include <vector>

#include "ptune/v1/worker_service.pb.h"

namespace ptune::agent {

std::vector<v1::WorkerMessage> CheckpointChunks(const std::string& job_id, uint32_t attempt,
                                                uint64_t step, const std::string& bytes,
                                                size_t chunk_bytes);

std::vector<v1::WorkerMessage> ArtifactChunks(const std::string& job_id, uint32_t attempt,
                                              const std::string& name, const std::string& bytes,
                                              size_t chunk_bytes);

}  // namespace ptune::agent

#endif  // PTUNE_WORKER_AGENT_UPLOAD_CHUNKS_H_
