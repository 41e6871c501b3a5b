// The torch-free half of the HF loader: config.json parsing and the memory-mapped
// safetensors reader, fed hostile and malformed files this test writes.

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_dir.h"
#include "worker/engine/hf/hf_config.h"
#include "worker/engine/hf/mapped_safetensors.h"

namespace ptune::engine::hf {
namespace {

using ::testing::HasSubstr;

std::string LengthPrefixed(const std::string& header, uint64_t declared) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((declared >> (8 * i)) & 0xFF);
  return out + header;
}

std::string Safetensors(const nlohmann::json& header, const std::string& data) {
  const std::string text = header.dump();
  return LengthPrefixed(text, text.size()) + data;
}

class SafetensorsFileTest : public ::testing::Test {
 protected:
  absl::Status Open(const std::string& bytes) {
    const std::string path = dir_.File("t.safetensors");
    std::ofstream(path, std::ios::binary) << bytes;
    absl::StatusOr<std::shared_ptr<MappedSafetensors>> f = MappedSafetensors::Open(path);
    if (f.ok()) file_ = *f;
    return f.status();
  }
  void ExpectInvalid(const std::string& bytes, const std::string& what) {
    absl::Status s = Open(bytes);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(s.message(), HasSubstr(dir_.File("t.safetensors")));
    EXPECT_THAT(s.message(), HasSubstr(what));
  }
  static nlohmann::json Entry(const std::string& dtype, std::vector<int64_t> shape, uint64_t begin,
                              uint64_t end) {
    return {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {begin, end}}};
  }

  support::TempDir dir_{"hf-format"};
  std::shared_ptr<MappedSafetensors> file_;
};

TEST_F(SafetensorsFileTest, MapsAValidFileWithAbsoluteOffsets) {
  const nlohmann::json header = {{"a", Entry("F32", {2}, 0, 8)},
                                 {"b", Entry("BF16", {1, 2}, 8, 12)},
                                 {"empty", Entry("F16", {0, 4}, 12, 12)},
                                 {"__metadata__", {{"format", "pt"}}}};
  const std::string text = header.dump();
  ASSERT_TRUE(Open(Safetensors(header, std::string(12, '\x01'))).ok());
  ASSERT_NE(file_->Find("b"), nullptr);
  EXPECT_EQ(file_->Find("b")->offset, 8 + text.size() + 8);
  EXPECT_EQ(file_->Find("b")->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(file_->Find("missing"), nullptr);
  EXPECT_EQ(file_->layout().metadata.at("format"), "pt");
  EXPECT_EQ(*file_->Data(*file_->Find("a")), '\x01');
}

TEST_F(SafetensorsFileTest, RejectsTruncatedAndHostileHeaders) {
  ExpectInvalid("abc", "only 3 bytes");
  ExpectInvalid(LengthPrefixed("{}", 4096), "runs past the end");
  ExpectInvalid(LengthPrefixed("{}", uint64_t{1} << 40), "exceeds the cap");
  ExpectInvalid(LengthPrefixed("{\"a\": ", 6), "not a JSON object");
  ExpectInvalid(LengthPrefixed("[1, 2]", 6), "not a JSON object");
  ExpectInvalid(Safetensors({{"a", {{"dtype", "F32"}}}}, ""), "tensor \"a\" lacks");
  ExpectInvalid(Safetensors({{"a", Entry("F32", {1}, 0, 4)}, {"__metadata__", 3}}, "abcd"),
                "__metadata__");
}

TEST_F(SafetensorsFileTest, RejectsBadEntries) {
  ExpectInvalid(Safetensors({{"w", Entry("Q4", {2}, 0, 2)}}, "ab"), "unknown dtype \"Q4\"");
  ExpectInvalid(Safetensors({{"w", Entry("F32", {3}, 0, 8)}}, std::string(8, 0)),
                "holds 8 bytes but shape [3] of F32 needs 12");
  nlohmann::json negative = Entry("F32", {2}, 0, 8);
  negative["shape"] = {-2};
  ExpectInvalid(Safetensors({{"w", negative}}, std::string(8, 0)), "bad shape");
  ExpectInvalid(Safetensors({{"w", Entry("F32", {2}, 0, 8)}}, std::string(4, 0)),
                "outside the 4 data bytes");
  ExpectInvalid(Safetensors({{"w", Entry("F32", {1}, 8, 4)}}, std::string(8, 0)), "outside");
}

TEST_F(SafetensorsFileTest, RequiresTensorsToTileTheData) {
  ExpectInvalid(Safetensors({{"a", Entry("F32", {2}, 0, 8)}, {"b", Entry("F32", {1}, 4, 8)}},
                            std::string(8, 0)),
                "overlap");
  ExpectInvalid(Safetensors({{"a", Entry("F32", {1}, 0, 4)}, {"b", Entry("F32", {1}, 0, 4)}},
                            std::string(4, 0)),
                "overlap");
  ExpectInvalid(Safetensors({{"a", Entry("F32", {1}, 4, 8)}}, std::string(8, 0)),
                "data bytes [0, 4) belong to no tensor");
  ExpectInvalid(Safetensors({{"a", Entry("F32", {1}, 0, 4)}}, std::string(12, 0)),
                "data bytes [4, 12) belong to no tensor");
}

TEST_F(SafetensorsFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(MappedSafetensors::Open(dir_.File("absent.safetensors")).status().code(),
            absl::StatusCode::kNotFound);
}

nlohmann::json LlamaJson() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", 64},
          {"hidden_size", 32},
          {"intermediate_size", 48},
          {"num_hidden_layers", 2},
          {"num_attention_heads", 4},
          {"num_key_value_heads", 2}};
}

absl::Status ParseError(const nlohmann::json& j) {
  return ParseHfConfig(j.dump(), "dir/config.json").status();
}

TEST(HfConfigTest, ReadsLlamaDefaultsAndOptions) {
  nlohmann::json j = LlamaJson();
  j["rope_scaling"] = {{"rope_type", "llama3"},
                       {"factor", 8.0},
                       {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0},
                       {"original_max_position_embeddings", 8192}};
  absl::StatusOr<HfConfig> c = ParseHfConfig(j.dump(), "dir/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->family, Family::kLlama);
  EXPECT_EQ(c->head_dim, 8);
  EXPECT_EQ(c->num_kv_heads, 2);
  EXPECT_FALSE(c->tie_word_embeddings);
  EXPECT_EQ(c->rope_scaling.type, "llama3");
  EXPECT_EQ(c->bos_token_id, 1);
  // embed + head + 2 x (q, o: 32x32; k, v: 32x16; mlp 3 x 32x48; 2 norms) + final norm
  EXPECT_EQ(ParameterCount(*c), 2 * 64 * 32 + 2 * (2 * 1024 + 2 * 512 + 3 * 1536 + 64) + 32);
  EXPECT_EQ(WeightBytes(*c, 2), 2 * ParameterCount(*c));
}

TEST(HfConfigTest, ReadsT5Variants) {
  const nlohmann::json j = {{"architectures", {"T5ForConditionalGeneration"}},
                            {"vocab_size", 100},
                            {"d_model", 16},
                            {"d_kv", 12},
                            {"d_ff", 32},
                            {"num_layers", 2},
                            {"num_decoder_layers", 3},
                            {"num_heads", 2},
                            {"feed_forward_proj", "gated-gelu"},
                            {"tie_word_embeddings", false}};
  absl::StatusOr<HfConfig> c = ParseHfConfig(j.dump(), "dir/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->is_encoder_decoder());
  EXPECT_TRUE(c->gated_ffn);
  EXPECT_EQ(c->ffn_act, "gelu_new");
  EXPECT_EQ(c->num_decoder_layers, 3);
  EXPECT_EQ(c->decoder_start_token_id, 0);
}

TEST(HfConfigTest, RejectsUnsupportedModelsAndBadKeys) {
  nlohmann::json j = LlamaJson();
  j["architectures"] = {"MistralForCausalLM"};
  j["model_type"] = "mistral";
  EXPECT_THAT(ParseError(j).message(), HasSubstr("dir/config.json: unsupported model"));
  EXPECT_THAT(ParseError(j).message(), HasSubstr("MistralForCausalLM"));
  j = LlamaJson();
  j["model_type"] = "qwen2";
  EXPECT_THAT(ParseError(j).message(), HasSubstr("does not match"));
  j = LlamaJson();
  j.erase("hidden_size");
  EXPECT_THAT(ParseError(j).message(), HasSubstr("hidden_size is required"));
  j = LlamaJson();
  j["num_key_value_heads"] = 3;
  EXPECT_THAT(ParseError(j).message(), HasSubstr("num_key_value_heads 3 does not divide"));
  j = LlamaJson();
  j["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}};
  EXPECT_THAT(ParseError(j).message(), HasSubstr("\"yarn\" is not supported"));
  j = LlamaJson();
  j["hidden_act"] = "swish2";
  EXPECT_THAT(ParseError(j).message(), HasSubstr("hidden_act"));
  j = LlamaJson();
  j["vocab_size"] = "many";
  EXPECT_THAT(ParseError(j).message(), HasSubstr("vocab_size must be an integer"));
  EXPECT_EQ(ParseHfConfig("{oops", "c.json").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadHfConfig("/nonexistent-model-dir").status().code(), absl::StatusCode::kNotFound);
}

// Inputs found by fuzz/ (scripts/fuzz.sh); each crashed or overflowed before its fix.
std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST_F(SafetensorsFileTest, FuzzRegressionDeepMetadataIsRejectedNotAStackOverflow) {
  const std::string header = "{\"__metadata__\": {\"a\": " + Nested(200000) + "}}";
  ExpectInvalid(LengthPrefixed(header, header.size()), "not a JSON object");
}

TEST_F(SafetensorsFileTest, FuzzRegressionShapeWhoseElementCountWrapsTo0) {
  nlohmann::json wrap = Entry("F32", {}, 0, 0);
  wrap["shape"] = {uint64_t{1} << 32, uint64_t{1} << 32};
  ExpectInvalid(Safetensors({{"w", wrap}}, ""), "implausibly large");
}

TEST(HfConfigTest, FuzzRegressionDeepValueIsRejectedNotAStackOverflow) {
  const std::string text =
      "{\"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": " + Nested(200000) + "}";
  EXPECT_THAT(ParseHfConfig(text, "c.json").status().message(), HasSubstr("not a JSON object"));
}

TEST(HfConfigTest, FuzzRegressionHugeSizesSaturateTheEstimateInsteadOfOverflowing) {
  nlohmann::json j = LlamaJson();
  j["vocab_size"] = INT64_MAX;
  j["hidden_size"] = INT64_MAX - 1;
  j["head_dim"] = 2;
  absl::StatusOr<HfConfig> c = ParseHfConfig(j.dump(), "c.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(ParameterCount(*c), INT64_MAX);
  EXPECT_EQ(WeightBytes(*c, 4), INT64_MAX);
  // Real sizes stay exact.
  absl::StatusOr<HfConfig> small = ParseHfConfig(LlamaJson().dump(), "c.json");
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(WeightBytes(*small, 2), 2 * ParameterCount(*small));
}

}  // namespace
}  // namespace ptune::engine::hf
