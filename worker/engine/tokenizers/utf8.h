#ifndef PTUNE_WORKER_ENGINE_TOKENIZERS_UTF8_H_
#define PTUNE_WORKER_ENGINE_TOKENIZERS_UTF8_H_

// UTF-8 helpers for the tokenizer pipeline. Every stage works on valid UTF-8: input is
// made valid once, at the door, the way Rust's String::from_utf8_lossy (and node's
// Buffer.toString) do it, so ids match HF tokenizers fed the same lossy text.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace ptune::engine::tokenizers {

// Debian's Abseil has its own string_view class; this bridges std::string_view to it for
// heterogeneous hash-map lookups and StrCat.
inline absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

// `bytes` with every maximal invalid subsequence replaced by one U+FFFD (the WHATWG /
// Unicode "maximal subpart" rule Rust and node follow).
std::string LossyUtf8(std::string_view bytes);

// Length in bytes of the code point starting at `text[at]` (valid UTF-8 assumed; 1 for
// a stray continuation byte so loops always advance).
size_t CodePointLength(std::string_view text, size_t at);

// The code point starting at `text[at]` (valid UTF-8 assumed).
char32_t CodePointAt(std::string_view text, size_t at);

// Appends `c` encoded as UTF-8.
void AppendUtf8(char32_t c, std::string* out);

}  // namespace ptune::engine::tokenizers

#endif  // PTUNE_WORKER_ENGINE_TOKENIZERS_UTF8_H_
