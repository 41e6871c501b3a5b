#include "server/upload_assembler.h"

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/digest.h"

namespace ptune::server {

bool UploadAssembler::ValidArtifactName(const std::string& name) {
  if (name.empty() || name == kCheckpointBlob || name.front() == '/' || name.size() > 256) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

bool UploadAssembler::Append(Upload& upload, uint64_t offset, const std::string& data) const {
  if (offset != upload.data.size() || upload.data.size() + data.size() > max_blob_bytes_) {
    return false;
  }
  upload.data += data;
  return true;
}

std::optional<JobBlob> UploadAssembler::AddCheckpoint(const ptune::v1::CheckpointUpload& chunk) {
  if (chunk.offset() == 0) checkpoints_[chunk.job_id()] = Upload{chunk.step(), ""};
  auto it = checkpoints_.find(chunk.job_id());
  if (it == checkpoints_.end() || it->second.step != chunk.step() ||
      !Append(it->second, chunk.offset(), chunk.data())) {
    if (it != checkpoints_.end()) checkpoints_.erase(it);  // wait for the next checkpoint
    return std::nullopt;
  }
  if (!chunk.last()) return std::nullopt;
  JobBlob blob{chunk.job_id(), kCheckpointBlob, chunk.step(), "", std::move(it->second.data)};
  checkpoints_.erase(it);
  blob.sha256 = Sha256Hex(blob.data);
  return blob;
}

std::optional<JobBlob> UploadAssembler::AddArtifact(const ptune::v1::ArtifactUpload& chunk) {
  if (!ValidArtifactName(chunk.name())) return std::nullopt;
  const auto key = std::make_pair(chunk.job_id(), chunk.name());
  if (chunk.offset() == 0) artifacts_[key] = Upload{};
  auto it = artifacts_.find(key);
  if (it == artifacts_.end() || !Append(it->second, chunk.offset(), chunk.data())) {
    if (it != artifacts_.end()) artifacts_.erase(it);
    return std::nullopt;
  }
  if (!chunk.last()) return std::nullopt;
  JobBlob blob{chunk.job_id(), chunk.name(), 0, "", std::move(it->second.data)};
  artifacts_.erase(it);
  blob.sha256 = Sha256Hex(blob.data);
  return blob;
}

void UploadAssembler::Discard(const std::string& job_id) {
  checkpoints_.erase(job_id);
  artifacts_.erase(artifacts_.lower_bound({job_id, ""}),
                   artifacts_.lower_bound({job_id + '\0', ""}));
}

}  // namespace ptune::server
