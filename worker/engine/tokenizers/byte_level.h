#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_LEVEL_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_LEVEL_H_

// GPT-2's byte-to-unicode map, which byte-level BPE (GPT-2, Llama 3, Qwen2/3) uses so
// every byte is a printable character of the vocabulary: printable Latin-1 bytes map to
// themselves, the 68 others to U+0100 onwards in byte order.

#include <optional>
#include <string>
#include <string_view>

namespace ptune::engine::tokenizers {

// `text`'s bytes, each replaced by the UTF-8 of its mapped character.
std::string BytesToUnicode(std::string_view text);

// The byte a mapped character stands for, or nullopt for a character outside the map.
std::optional<unsigned char> UnicodeToByte(char32_t c);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_BYTE_LEVEL_H_
