#ifndef PTUNE_SERVER_UPLOAD_ASSEMBLER_H_
#define PTUNE_SERVER_UPLOAD_ASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "ptune/v1/worker_service.pb.h"
#include "server/store/job_store.h"

namespace ptune::server {

// Reassembles the chunked uploads of running jobs: each job's latest checkpoint and its
// artifacts, each a run of chunks at consecutive offsets ending with `last`. A chunk
// out of order, or one that makes the blob larger than `max_blob_bytes`, discards that
// upload (the worker sends the next checkpoint, or the artifact again from offset 0).
// The caller checks that the chunk's (job, attempt) is the running one.
//
// Not thread-safe: the JobManager's mutex guards it.
class UploadAssembler {
 public:
  explicit UploadAssembler(size_t max_blob_bytes) : max_blob_bytes_(max_blob_bytes) {}

  // The complete checkpoint (name kCheckpointBlob, its step and sha256) on its last
  // chunk; nullopt otherwise.
  std::optional<JobBlob> AddCheckpoint(const ptune::v1::CheckpointUpload& chunk);
  // The complete artifact on its last chunk; nullopt otherwise, and for a name that is
  // not a relative path without "." or ".." parts (artifacts become files on download).
  std::optional<JobBlob> AddArtifact(const ptune::v1::ArtifactUpload& chunk);
  // Forgets the job's partial uploads (its attempt ended or its worker disconnected).
  void Discard(const std::string& job_id);

  static bool ValidArtifactName(const std::string& name);

 private:
  struct Upload {
    uint64_t step = 0;
    std::string data;
  };
  // Appends a chunk at `offset`; false when out of order or too big.
  bool Append(Upload& upload, uint64_t offset, const std::string& data) const;

  const size_t max_blob_bytes_;
  std::map<std::string, Upload> checkpoints_;                        // by job id
  std::map<std::pair<std::string, std::string>, Upload> artifacts_;  // by (job, name)
};

}  // namespace ptune::server

#endif  // PTUNE_SERVER_UPLOAD_ASSEMBLER_H_
