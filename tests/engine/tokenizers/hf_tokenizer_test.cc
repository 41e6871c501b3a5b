// HfTokenizer beyond id parity: hostile tokenizer.json files fail with INVALID_ARGUMENT
// naming the field (and never crash, whatever field is broken), the special-token ids the
// engine needs, truncation and padding, and decoding ids outside the vocabulary.

#include "worker/engine/tokenizers/hf_tokenizer.h"

#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Fixture(const std::string& name) {
  std::ifstream in(std::string(PTUNE_TOKENIZER_TEST_DIR) + "/fixtures/" + name + ".json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return Json::parse(buffer.str());
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> FromJson(const Json& json) {
  return HfTokenizer::FromJson(json.dump(), "test.json", HfTokenizer::Options());
}

void ExpectInvalid(const Json& json, const std::string& field_and_reason) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer = FromJson(json);
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tokenizer.status().message()), HasSubstr("test.json: "));
  EXPECT_THAT(std::string(tokenizer.status().message()), HasSubstr(field_and_reason));
}

TEST(HfTokenizerErrors, NameTheField) {
  ExpectInvalid(Json::array(), "not a JSON object");
  Json json = Fixture("bpe_gpt2_like");
  json.erase("model");
  ExpectInvalid(json, "field `model`: missing");

  json = Fixture("bpe_gpt2_like");
  json["normalizer"]["normalizers"][1]["type"] = "Shout";
  ExpectInvalid(json,
                "field `normalizer.normalizers[1].type`: unsupported normalizer type \"Shout\"");

  json = Fixture("bpe_llama3_like");
  json["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed";
  ExpectInvalid(json,
                "field `pre_tokenizer.pretokenizers[0].pattern.Regex`: regex does not compile");

  json = Fixture("bpe_llama3_like");
  json["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Sideways";
  ExpectInvalid(json, "unknown split behavior \"Sideways\"");

  json = Fixture("bpe_sentencepiece");
  json["model"]["merges"][3] = "a b c";
  ExpectInvalid(json, "field `model.merges[3]`: \"a b c\" is not two tokens split by one space");

  json = Fixture("bpe_sentencepiece");
  json["model"]["merges"][0] = "\u2581 nowhere";
  ExpectInvalid(json, "field `model.merges[0]`: token \"nowhere\" is not in the vocab");

  json = Fixture("bpe_sentencepiece");
  json["model"]["unk_token"] = "<missing>";
  ExpectInvalid(json, "field `model.unk_token`: \"<missing>\" is not in the vocab");

  json = Fixture("bpe_sentencepiece");
  json["model"]["vocab"]["huge"] = int64_t{1} << 40;
  ExpectInvalid(json, "field `model.vocab.\"huge\"`: id is not an integer");

  json = Fixture("bpe_sentencepiece");
  json["model"]["dropout"] = 0.1;
  ExpectInvalid(json, "field `model.dropout`: BPE dropout is not supported");

  json = Fixture("unigram_t5_like");
  json["model"]["unk_id"] = 100000;
  ExpectInvalid(json, "field `model.unk_id`: 100000 is outside the");

  json = Fixture("unigram_t5_like");
  json["model"]["vocab"][4] = Json::array({"piece"});
  ExpectInvalid(json, "field `model.vocab[4]`: want [piece (string), score (number)]");

  json = Fixture("unigram_t5_like");
  json["model"]["type"] = "WordPiece";
  ExpectInvalid(json, "field `model.type`: unsupported model type \"WordPiece\"");

  json = Fixture("unigram_t5_like");
  json["post_processor"]["single"][1]["SpecialToken"]["id"] = "<nope>";
  ExpectInvalid(
      json,
      "field `post_processor.single[1].SpecialToken.id`: \"<nope>\" is not in special_tokens");

  json = Fixture("unigram_t5_like");
  json["decoder"] = {{"type", "CTC"}};
  ExpectInvalid(json, "field `decoder.type`: unsupported decoder type \"CTC\"");

  json = Fixture("unigram_t5_like");
  json["added_tokens"][0]["content"] = "";
  ExpectInvalid(json, "field `added_tokens[0].content`: must be non-empty UTF-8");

  json = Fixture("unigram_t5_like");
  json["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", "AAAA"}};
  ExpectInvalid(json, "field `normalizer.precompiled_charsmap`: precompiled charsmap: too short");

  json = Fixture("unigram_t5_like");
  json["truncation"] = {{"max_length", 1}, {"strategy", "LongestFirst"}};
  ExpectInvalid(json, "field `truncation.max_length`: 1 leaves no room past the 2 special tokens");
}

// Every field of every fixture replaced by values of each JSON type: loading either
// succeeds (and then encodes and decodes) or says INVALID_ARGUMENT; nothing crashes.
TEST(HfTokenizerErrors, NoFieldValueCrashes) {
  const std::vector<Json> replacements = {
      nullptr, -1, 1.5, "x", Json::array(), Json::object(), true, Json::array({1, "y"})};
  int loads = 0;
  for (const char* name : {"unigram_t5_like", "unigram_precompiled", "unigram_byte_fallback",
                           "bpe_sentencepiece", "bpe_llama3_like", "bpe_gpt2_like"}) {
    const Json original = Fixture(name);
    // Paths of every value outside the big vocab/merges tables (their entries share a
    // shape; a few of them are covered by NameTheField).
    std::vector<Json::json_pointer> paths;
    std::function<void(const Json&, const Json::json_pointer&)> walk =
        [&](const Json& node, const Json::json_pointer& at) {
          paths.push_back(at);
          if (at.to_string() == "/model/vocab" || at.to_string() == "/model/merges") return;
          if (node.is_object()) {
            for (const auto& [key, child] : node.items()) walk(child, at / key);
          } else if (node.is_array()) {
            for (size_t i = 0; i < node.size(); ++i) walk(node[i], at / i);
          }
        };
    walk(original, Json::json_pointer());
    for (const Json::json_pointer& path : paths) {
      for (const Json& replacement : replacements) {
        Json json = original;
        json[path] = replacement;
        absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer = FromJson(json);
        ++loads;
        if (!tokenizer.ok()) {
          EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument)
              << name << path.to_string() << ": " << tokenizer.status();
          continue;
        }
        const std::vector<int64_t> ids = (*tokenizer)->Encode("Hello wörld 日本 \xff <s>x</s>");
        (*tokenizer)->Decode(ids, true);
        (*tokenizer)->Decode({-5, 1 << 30}, false);
      }
    }
  }
  EXPECT_GT(loads, 1000);
}

// Found by fuzz/ (scripts/fuzz.sh): a document nested 200,000 deep is refused at parse;
// the readers and error messages recurse per level and would overflow the stack.
TEST(HfTokenizerErrors, FuzzRegressionDeepNestingIsRefused) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer =
      HfTokenizer::FromJson("{\"model\": {\"type\": \"BPE\"}, \"normalizer\": " + deep + "}",
                            "deep.json", HfTokenizer::Options());
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(tokenizer.status().message().find("nested at most 64 deep"), std::string::npos)
      << tokenizer.status();
}

TEST(HfTokenizerIds, SpecialIdsFromTemplatesAndNames) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t5 = FromJson(Fixture("unigram_t5_like"));
  ASSERT_TRUE(t5.ok()) << t5.status();
  EXPECT_EQ((*t5)->eos_id(), 1);  // the template appends </s>
  EXPECT_EQ((*t5)->bos_id(), -1);
  EXPECT_EQ((*t5)->pad_id(), 0);  // <pad>
  EXPECT_EQ((*t5)->unk_id(), 2);

  absl::StatusOr<std::unique_ptr<HfTokenizer>> llama = FromJson(Fixture("bpe_llama3_like"));
  ASSERT_TRUE(llama.ok()) << llama.status();
  const int64_t begin = *(*llama)->TokenToId("<|begin_of_text|>");
  EXPECT_EQ((*llama)->bos_id(), begin);      // the template prepends it
  EXPECT_EQ((*llama)->eos_id(), begin + 1);  // <|end_of_text|>
  EXPECT_EQ((*llama)->unk_id(), -1);         // byte-level: no unk
  EXPECT_EQ((*llama)->vocab_size(), begin + 3);
  EXPECT_TRUE((*llama)->IsSpecial(begin));

  HfTokenizer::Options options;
  options.eos_id = begin + 2;  // <|eot_id|>, as an instruct model's config.json says
  options.pad_id = begin + 1;
  absl::StatusOr<std::unique_ptr<HfTokenizer>> instruct =
      HfTokenizer::FromJson(Fixture("bpe_llama3_like").dump(), "test.json", options);
  ASSERT_TRUE(instruct.ok());
  EXPECT_EQ((*instruct)->eos_id(), begin + 2);
  EXPECT_EQ((*instruct)->pad_id(), begin + 1);
}

TEST(HfTokenizerIds, UnknownIdsDecodeVisibly) {
  absl::StatusOr<std::unique_ptr<HfTokenizer>> t5 = FromJson(Fixture("unigram_t5_like"));
  ASSERT_TRUE(t5.ok());
  const std::vector<int64_t> ids = (*t5)->Encode("the dog");
  std::vector<int64_t> with_bad = ids;
  with_bad.push_back(999999);
  EXPECT_EQ((*t5)->Decode(with_bad), "the dog<id:999999>");
  EXPECT_EQ((*t5)->Decode({-1}), "<id:-1>");
}

TEST(HfTokenizerTruncation, CutsBeforeSpecialTokensAndPads) {
  Json json = Fixture("unigram_t5_like");
  json["truncation"] = {{"max_length", 4}, {"strategy", "LongestFirst"}, {"direction", "Right"}};
  json["padding"] = {{"strategy", {{"Fixed", 6}}},
                     {"direction", "Right"},
                     {"pad_id", 0},
                     {"pad_type_id", 0},
                     {"pad_token", "<pad>"}};
  absl::StatusOr<std::unique_ptr<HfTokenizer>> tokenizer = FromJson(json);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  const std::vector<int64_t> all = (*tokenizer)->EncodeIds("the quick brown fox jumps", false);
  ASSERT_GT(all.size(), 4u);
  const Encoding single = (*tokenizer)->EncodeFull("the quick brown fox jumps", nullptr, true);
  EXPECT_THAT(single.ids, ElementsAre(all[0], all[1], all[2], 1, 0, 0));
  EXPECT_THAT(single.attention_mask, ElementsAre(1, 1, 1, 1, 0, 0));
  EXPECT_THAT(single.special_tokens_mask, ElementsAre(0, 0, 0, 1, 1, 1));

  // A pair shares max_length - 2 between its sequences, the longer one losing most.
  const std::string_view second = "dog";
  const std::vector<int64_t> dog = (*tokenizer)->EncodeIds("dog", false);
  ASSERT_EQ(dog.size(), 1u);
  const Encoding pair = (*tokenizer)->EncodeFull("the quick brown fox jumps", &second, true);
  EXPECT_THAT(pair.ids, ElementsAre(all[0], 1, dog[0], 1, 0, 0));

  // Left truncation keeps the end; a batch pads to the fixed length.
  TruncationOptions left = *(*tokenizer)->truncation();
  left.direction = Side::kLeft;
  ASSERT_TRUE((*tokenizer)->SetTruncation(left).ok());
  PaddingOptions longest = *(*tokenizer)->padding();
  longest.fixed_length.reset();
  longest.direction = Side::kLeft;
  ASSERT_TRUE((*tokenizer)->SetPadding(longest).ok());
  const std::vector<Encoding> batch =
      (*tokenizer)->EncodeBatch({"the quick brown fox jumps", "dog"}, true);
  ASSERT_EQ(batch.size(), 2u);
  const size_t n = all.size();
  EXPECT_THAT(batch[0].ids, ElementsAre(all[n - 3], all[n - 2], all[n - 1], 1));
  EXPECT_THAT(batch[1].ids, ElementsAre(0, 0, dog[0], 1));
  EXPECT_THAT(batch[1].attention_mask, ElementsAre(0, 0, 1, 1));
}

}  // namespace
}  // namespace ptune::engine
