// libFuzzer target: a tokenizer.json (model files come from users). Loading must end in a
// Status; a tokenizer that loads must then encode and decode without crashing, give ids
// in [0, vocab_size()), and stay bounded in time and memory (the texts are short, so
// hostile patterns, merges or padding lengths show up as timeouts or the RSS limit).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "worker/engine/tokenizers/hf_tokenizer.h"

namespace {

// ASCII, accents, CJK, an emoji, a tab, special-token look-alikes, invalid UTF-8.
constexpr std::string_view kTexts[] = {
    "Hello, world! It's 2026.",
    "  caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80\t end ",
    "<s> </s> <unk> <pad> <|endoftext|> [CLS]",
    "\xff\xfe bad \xc3 bytes \xed\xa0\x80",
    "",
};

void CheckIds(const ptune::engine::HfTokenizer& tokenizer, const std::vector<int64_t>& ids) {
  for (int64_t id : ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<ptune::engine::HfTokenizer>> loaded =
      ptune::engine::HfTokenizer::FromJson(json, "tokenizer.json", {});
  if (!loaded.ok()) return 0;
  const ptune::engine::HfTokenizer& tokenizer = **loaded;
  for (std::string_view text : kTexts) {
    const std::vector<int64_t> ids = tokenizer.Encode(text);
    CheckIds(tokenizer, ids);
    (void)tokenizer.Decode(ids);
    (void)tokenizer.Decode(ids, /*skip_special_tokens=*/true);
    const std::string_view second = kTexts[0];
    (void)tokenizer.EncodeFull(text, &second, /*add_special_tokens=*/true);
  }
  (void)tokenizer.EncodeBatch({std::string(kTexts[0]), std::string(kTexts[1])}, true);
  // Ids outside the vocabulary are rendered, not looked up.
  (void)tokenizer.Decode({-1, 0, tokenizer.vocab_size(), INT64_MAX});
  for (int64_t id :
       {tokenizer.unk_id(), tokenizer.pad_id(), tokenizer.bos_id(), tokenizer.eos_id()}) {
    (void)tokenizer.IdToToken(id);
  }
  return 0;
}
