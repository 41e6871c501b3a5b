#include "worker/engine/formats/safetensors.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "worker/engine/formats/bounded_json.h"

namespace ptune::engine {
namespace {

absl::Status Malformed(const std::string& source, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": not a safetensors file (", what, ")"));
}

absl::StatusOr<SafetensorsEntry> ParseEntry(const std::string& name, const nlohmann::json& info,
                                            const std::string& data, const std::string& source) {
  if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
      !info.contains("data_offsets") || info["data_offsets"].size() != 2) {
    return Malformed(source, absl::StrCat("entry \"", name, "\" lacks dtype/shape/data_offsets"));
  }
  SafetensorsEntry entry{name, info["dtype"].get<std::string>(),
                         info["shape"].get<std::vector<int64_t>>(), ""};
  const uint64_t begin = info["data_offsets"][0].get<uint64_t>();
  const uint64_t end = info["data_offsets"][1].get<uint64_t>();
  if (begin > end || end > data.size()) {
    return Malformed(source, absl::StrCat("entry \"", name, "\" offsets outside the data"));
  }
  entry.bytes = data.substr(begin, end - begin);
  return entry;
}

absl::StatusOr<SafetensorsFile> DecodeHeaderAndData(const std::string& bytes,
                                                    const std::string& source);

}  // namespace

int DtypeSize(const std::string& dtype) {
  static const std::map<std::string, int> kSizes = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2},
                                                    {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1},
                                                    {"U8", 1},  {"BOOL", 1}};
  auto it = kSizes.find(dtype);
  return it == kSizes.end() ? 0 : it->second;
}

std::string EncodeSafetensors(const SafetensorsFile& file) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const SafetensorsEntry& e : file.tensors) {
    header[e.name] = {{"dtype", e.dtype},
                      {"shape", e.shape},
                      {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += text;
  for (const SafetensorsEntry& e : file.tensors) out += e.bytes;
  return out;
}

absl::StatusOr<SafetensorsFile> DecodeSafetensors(const std::string& bytes,
                                                  const std::string& source) {
  try {
    return DecodeHeaderAndData(bytes, source);
  } catch (const nlohmann::json::exception& e) {
    return Malformed(source, e.what());
  }
}

namespace {

absl::StatusOr<SafetensorsFile> DecodeHeaderAndData(const std::string& bytes,
                                                    const std::string& source) {
  if (bytes.size() < 8) return Malformed(source, "shorter than 8 bytes");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (n > bytes.size() - 8) return Malformed(source, "header longer than the file");
  nlohmann::json header = ParseBoundedJson(std::string_view(bytes).substr(8, n));
  if (header.is_discarded() || !header.is_object())
    return Malformed(source, "bad JSON header (or nested deeper than 64)");
  const std::string data = bytes.substr(8 + n);
  SafetensorsFile file;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) return Malformed(source, "__metadata__ is not an object");
      for (const auto& [k, v] : info.items())
        file.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    auto entry = ParseEntry(name, info, data, source);
    if (!entry.ok()) return entry.status();
    file.tensors.push_back(*std::move(entry));
  }
  return file;
}

}  // namespace

}  // namespace ptune::engine
