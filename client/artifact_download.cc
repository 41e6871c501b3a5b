// Client::Download: one artifact to one file, verified.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/ptune_client.h"
#include "openssl/evp.h"

namespace ptune::client {
namespace {

namespace v1 = ::ptune::v1;

// Incremental SHA-256 over the chunks as they arrive.
class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const std::string& data) { EVP_DigestUpdate(context_, data.data(), data.size()); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest, &size);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
  }

 private:
  EVP_MD_CTX* context_;
};

struct Received {
  uint64_t bytes = 0;
  uint64_t total_size = 0;
  std::string sha256;
};

// Writes the stream's chunks to `out`, checking that offsets are contiguous.
absl::Status WriteChunks(grpc::ClientReader<v1::ArtifactChunk>* reader, std::ofstream* out,
                         Received* received) {
  Sha256 hash;
  v1::ArtifactChunk chunk;
  bool first = true;
  while (reader->Read(&chunk)) {
    if (first) {
      received->total_size = chunk.total_size();
      received->sha256 = chunk.sha256();
      first = false;
    }
    if (chunk.offset() != received->bytes) {
      return absl::DataLossError(
          absl::StrCat("chunk at offset ", chunk.offset(), " after ", received->bytes, " bytes"));
    }
    out->write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    hash.Update(chunk.data());
    received->bytes += chunk.data().size();
  }
  std::string digest = hash.HexDigest();
  if (!received->sha256.empty() && absl::AsciiStrToLower(received->sha256) != digest) {
    return absl::DataLossError(
        absl::StrCat("sha256 mismatch: expected ", received->sha256, ", got ", digest));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> Client::Download(const std::string& job_id, const std::string& name,
                                          const std::string& path) {
  std::filesystem::path target(path);
  std::error_code error;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), error);
  std::string partial = path + ".part";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot write ", partial));
  grpc::ClientContext context;
  connection_->Prepare(&context, std::chrono::milliseconds(0));
  v1::GetArtifactRequest request;
  request.set_job_id(job_id);
  request.set_name(name);
  std::unique_ptr<grpc::ClientReader<v1::ArtifactChunk>> reader =
      stub_->GetArtifact(&context, request);
  Received received;
  absl::Status written = WriteChunks(reader.get(), &out, &received);
  if (!written.ok()) context.TryCancel();
  absl::Status status = FromGrpc(reader->Finish(), connection_->options().address);
  out.close();
  if (status.ok()) status = written;
  if (status.ok() && !out) status = absl::DataLossError(absl::StrCat("write error on ", partial));
  if (status.ok() && received.total_size != 0 && received.total_size != received.bytes) {
    status = absl::DataLossError(
        absl::StrCat("got ", received.bytes, " of ", received.total_size, " bytes"));
  }
  if (status.ok()) std::filesystem::rename(partial, target, error);
  if (status.ok() && error) {
    status =
        absl::PermissionDeniedError(absl::StrCat("cannot rename to ", path, ": ", error.message()));
  }
  if (!status.ok()) {
    std::filesystem::remove(partial, error);
    return absl::Status(status.code(), absl::StrCat("download of ", name, " from job ", job_id,
                                                    " failed: ", status.message()));
  }
  return received.bytes;
}

}  // namespace ptune::client
