#include "worker/engine/tokenizers/byte_level.h"

#include <array>

#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine::tokenizers {
namespace {

bool MapsToItself(int byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

const std::array<char32_t, 256>& ByteChars() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> chars{};
    char32_t next = 256;
    for (int byte = 0; byte < 256; ++byte) {
      chars[byte] = MapsToItself(byte) ? static_cast<char32_t>(byte) : next++;
    }
    return chars;
  }();
  return table;
}

}  // namespace

std::string BytesToUnicode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (const char b : text) AppendUtf8(ByteChars()[static_cast<unsigned char>(b)], &out);
  return out;
}

std::optional<unsigned char> UnicodeToByte(char32_t c) {
  if (c < 256 && MapsToItself(static_cast<int>(c))) return static_cast<unsigned char>(c);
  // The remapped bytes are U+0100.. in increasing byte order.
  if (c < 256 || c >= 256 + 68) return std::nullopt;
  int index = static_cast<int>(c - 256);
  for (int byte = 0; byte < 256; ++byte) {
    if (MapsToItself(byte)) continue;
    if (index-- == 0) return static_cast<unsigned char>(byte);
  }
  return std::nullopt;
}

}  // namespace ptune::engine::tokenizers
