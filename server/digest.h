#ifndef PTUNE_SERVER_DIGEST_H_
#define PTUNE_SERVER_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"
#include "ptune/v1/spec.pb.h"

namespace ptune::server {

// Lower-case hex SHA-256 of `data` (stored blobs and artifacts carry it).
std::string Sha256Hex(absl::string_view data);

// Identifies a spec as submitted: SHA-256 of its deterministic encoding (map entries
// sorted), so equal specs give equal fingerprints whatever order their maps were
// filled in.
std::string SpecFingerprint(const ptune::v1::JobSpec& spec);

}  // namespace ptune::server

#endif  // PTUNE_SERVER_DIGEST_H_
