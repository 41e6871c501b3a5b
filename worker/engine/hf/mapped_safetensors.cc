#include "worker/engine/hf/mapped_safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "worker/engine/formats/bounded_json.h"

namespace ptune::engine::hf {
namespace {

using nlohmann::json;

absl::Status Malformed(const std::string& source, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": invalid safetensors file: ", what));
}

absl::StatusOr<TensorSlot> ParseSlot(const std::string& name, const json& info, uint64_t data_begin,
                                     uint64_t data_bytes, const std::string& source) {
  const std::string where = absl::StrCat("tensor \"", name, "\" ");
  if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
      !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets") ||
      !info["data_offsets"].is_array() || info["data_offsets"].size() != 2 ||
      !info["data_offsets"][0].is_number_unsigned() ||
      !info["data_offsets"][1].is_number_unsigned()) {
    return Malformed(source, where + "lacks a string dtype, a shape list or two data_offsets");
  }
  TensorSlot slot;
  slot.dtype = info["dtype"].get<std::string>();
  const int element = SafetensorsDtypeBytes(slot.dtype);
  if (element == 0) return Malformed(source, where + "has unknown dtype \"" + slot.dtype + "\"");
  uint64_t numel = 1;
  for (const json& dim : info["shape"]) {
    if (!dim.is_number_unsigned() || dim.get<uint64_t>() > (uint64_t{1} << 40)) {
      return Malformed(source, where + "has a bad shape " + info["shape"].dump());
    }
    slot.shape.push_back(dim.get<int64_t>());
    // Checked before multiplying: [2^32, 2^32] wrapped to 0 elements and passed as an
    // empty tensor of 2^64 elements (found by fuzz/fuzz_safetensors_header).
    const uint64_t size = dim.get<uint64_t>();
    if (size != 0 && numel > (uint64_t{1} << 48) / size) {
      return Malformed(source, where + "is implausibly large");
    }
    numel *= size;
  }
  const uint64_t begin = info["data_offsets"][0].get<uint64_t>();
  const uint64_t end = info["data_offsets"][1].get<uint64_t>();
  if (begin > end || end > data_bytes) {
    return Malformed(source, absl::StrCat(where, "has data_offsets [", begin, ", ", end,
                                          "] outside the ", data_bytes, " data bytes"));
  }
  if (end - begin != numel * element) {
    return Malformed(
        source, absl::StrCat(where, "holds ", end - begin, " bytes but shape ",
                             info["shape"].dump(), " of ", slot.dtype, " needs ", numel * element));
  }
  slot.offset = data_begin + begin;
  slot.bytes = end - begin;
  return slot;
}

// The tensors must tile [data_begin, data_end) exactly: no overlap, no gap, no tail.
absl::Status CheckTiling(const SafetensorsLayout& layout, uint64_t data_begin, uint64_t data_end,
                         const std::string& source) {
  std::map<uint64_t, const std::string*> by_offset;  // non-empty tensors by first byte
  for (const auto& [name, slot] : layout.tensors) {
    if (slot.bytes == 0) continue;
    auto [it, fresh] = by_offset.emplace(slot.offset, &name);
    if (!fresh) {
      return Malformed(source, "tensors \"" + *it->second + "\" and \"" + name + "\" overlap");
    }
  }
  uint64_t cursor = data_begin;
  const std::string* previous = nullptr;
  for (const auto& [offset, name] : by_offset) {
    if (offset < cursor) {
      return Malformed(source, "tensors \"" + *previous + "\" and \"" + *name + "\" overlap");
    }
    if (offset > cursor) {
      return Malformed(source, absl::StrCat("data bytes [", cursor - data_begin, ", ",
                                            offset - data_begin, ") belong to no tensor"));
    }
    cursor = offset + layout.tensors.at(*name).bytes;
    previous = name;
  }
  if (cursor != data_end) {
    return Malformed(source, absl::StrCat("data bytes [", cursor - data_begin, ", ",
                                          data_end - data_begin, ") belong to no tensor"));
  }
  return absl::OkStatus();
}

}  // namespace

int SafetensorsDtypeBytes(const std::string& dtype) {
  static const std::map<std::string, int>* const kSizes = new std::map<std::string, int>{
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"U64", 8}, {"I32", 4},
      {"U32", 4}, {"I16", 2}, {"U16", 2}, {"I8", 1},   {"U8", 1},  {"BOOL", 1}};
  auto it = kSizes->find(dtype);
  return it == kSizes->end() ? 0 : it->second;
}

absl::StatusOr<SafetensorsLayout> ParseSafetensorsLayout(const char* prefix, uint64_t file_size,
                                                         const std::string& source) {
  if (file_size < 8) return Malformed(source, absl::StrCat("only ", file_size, " bytes"));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(static_cast<unsigned char>(prefix[i])) << (8 * i);
  if (n > kMaxHeaderBytes) {
    return Malformed(source, absl::StrCat("header length ", n, " exceeds the cap of ",
                                          kMaxHeaderBytes, " bytes"));
  }
  if (n > file_size - 8) {
    return Malformed(source, absl::StrCat("header length ", n, " runs past the end of the ",
                                          file_size, "-byte file (truncated?)"));
  }
  json header = ParseBoundedJson(std::string_view(prefix + 8, n));
  if (header.is_discarded() || !header.is_object()) {
    return Malformed(source, "the header is not a JSON object (nested at most 64 deep)");
  }
  SafetensorsLayout layout;
  const uint64_t data_begin = 8 + n;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return Malformed(source, "__metadata__ is not an object");
      for (const auto& [k, v] : info.items()) {
        layout.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
      continue;
    }
    absl::StatusOr<TensorSlot> slot =
        ParseSlot(name, info, data_begin, file_size - data_begin, source);
    if (!slot.ok()) return slot.status();
    layout.tensors.emplace(name, *std::move(slot));
  }
  if (absl::Status s = CheckTiling(layout, data_begin, file_size, source); !s.ok()) return s;
  return layout;
}

absl::StatusOr<std::shared_ptr<MappedSafetensors>> MappedSafetensors::Open(
    const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::string why = std::strerror(errno);
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::FailedPreconditionError(absl::StrCat(path, ": cannot open (", why, ")"));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    return Malformed(path, absl::StrCat("only ", size, " bytes"));
  }
  // Private and writable: copy-on-write pages, so an accidental in-place op on a
  // zero-copy weight cannot fault or reach the file.
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (base == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": mmap failed (", std::strerror(errno), ")"));
  }
  std::shared_ptr<MappedSafetensors> file(
      new MappedSafetensors(path, static_cast<char*>(base), size));
  absl::StatusOr<SafetensorsLayout> layout = ParseSafetensorsLayout(file->base_, size, path);
  if (!layout.ok()) return layout.status();
  file->layout_ = *std::move(layout);
  return file;
}

MappedSafetensors::~MappedSafetensors() { ::munmap(base_, size_); }

const TensorSlot* MappedSafetensors::Find(const std::string& name) const {
  auto it = layout_.tensors.find(name);
  return it == layout_.tensors.end() ? nullptr : &it->second;
}

}  // namespace ptune::engine::hf
