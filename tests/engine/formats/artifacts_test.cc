// Safetensors encoding and the PT artifacts (prompt file and PEFT adapter).
#include "worker/engine/formats/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/file_io.h"
#include "common/spec_defaults.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

TEST(SafetensorsTest, EncodesTheDocumentedLayoutAndRoundTrips) {
  SafetensorsFile file;
  file.tensors.push_back(
      TensorEntry("prompt_embeddings", torch::arange(6, torch::kFloat32).reshape({2, 3})));
  file.metadata["format"] = "pt";
  const std::string bytes = EncodeSafetensors(file);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 6 * 4);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["prompt_embeddings"]["dtype"], "F32");
  EXPECT_EQ(header["prompt_embeddings"]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(header["prompt_embeddings"]["data_offsets"], nlohmann::json({0, 24}));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");

  auto decoded = DecodeSafetensors(bytes, "x");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  auto tensor = EntryTensor(decoded->tensors[0]);
  ASSERT_TRUE(tensor.ok());
  EXPECT_TRUE(torch::equal(*tensor, torch::arange(6, torch::kFloat32).reshape({2, 3})));
  EXPECT_FALSE(DecodeSafetensors(bytes.substr(0, 20), "cut").ok());
  EXPECT_FALSE(DecodeSafetensors("\xff\xff\xff\xff\xff\xff\xff\x00{}", "big").ok());
}

TEST(ArtifactsTest, PtWritesPromptFilePeftAdapterAndMetrics) {
  ptune::v1::JobSpec spec;
  spec.mutable_prompt()->set_length(4);
  ApplySpecDefaults(&spec);
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ptune_artifacts_" + std::to_string(::getpid())))
          .string();
  const torch::Tensor prompt = torch::randn({4, 8});
  ArtifactInputs in{&spec,
                    "pt",
                    {{"method.prompt", prompt}},
                    prompt,
                    {"neg", "pos"},
                    {"bad", "good"},
                    {{"test_accuracy", 0.9}}};
  auto written = WriteArtifacts(dir, in);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(*written, (std::vector<std::string>{
                          "prompt.safetensors", "method_config.json", "adapter/adapter_config.json",
                          "adapter/adapter_model.safetensors", "metrics.json"}));
  const nlohmann::json config =
      nlohmann::json::parse(*ReadFile(dir + "/adapter/adapter_config.json"));
  EXPECT_EQ(config["peft_type"], "PROMPT_TUNING");
  EXPECT_EQ(config["num_virtual_tokens"], 4);
  EXPECT_EQ(config["token_dim"], 8);
  EXPECT_EQ(config["num_transformer_submodules"], 1);
  EXPECT_EQ(config["prompt_tuning_init"], "RANDOM");
  auto adapter = DecodeSafetensors(*ReadFile(dir + "/adapter/adapter_model.safetensors"), "a");
  ASSERT_TRUE(adapter.ok());
  ASSERT_EQ(adapter->tensors.size(), 1u);
  EXPECT_EQ(adapter->tensors[0].name, "prompt_embeddings");
  EXPECT_TRUE(torch::equal(*EntryTensor(adapter->tensors[0]), prompt));
  auto prompt_file = DecodeSafetensors(*ReadFile(dir + "/prompt.safetensors"), "p");
  ASSERT_TRUE(prompt_file.ok());
  EXPECT_EQ(prompt_file->metadata.at("method"), "pt");
  EXPECT_EQ(nlohmann::json::parse(prompt_file->metadata.at("labels")),
            nlohmann::json({"neg", "pos"}));
  EXPECT_EQ(config["task_type"], "FEATURE_EXTRACTION");
  EXPECT_TRUE(config["num_layers"].is_null());
  EXPECT_EQ(adapter->metadata.at("format"), "pt");
  std::filesystem::remove_all(dir);
}

// The adapter_config.json of an HF base model has every PromptTuningConfig key PEFT
// writes, with the model's task type and shape.
TEST(ArtifactsTest, PeftConfigOfAnHfModelNamesItsTaskAndShape) {
  ptune::v1::JobSpec spec;
  spec.mutable_model()->set_source("/models/t5-small");
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_TEXT);
  spec.mutable_prompt()->set_init_text("classify");
  ApplySpecDefaults(&spec);
  const nlohmann::json config =
      nlohmann::json::parse(PeftAdapterConfig(spec, 20, 512, PeftBaseModel{"SEQ_2_SEQ_LM", 6, 8}));
  for (const char* key :
       {"peft_type", "task_type", "num_virtual_tokens", "token_dim", "num_transformer_submodules",
        "num_attention_heads", "num_layers", "prompt_tuning_init", "prompt_tuning_init_text",
        "tokenizer_name_or_path", "base_model_name_or_path", "inference_mode", "revision",
        "auto_mapping", "tokenizer_kwargs"}) {
    EXPECT_TRUE(config.contains(key)) << key;
  }
  EXPECT_EQ(config["task_type"], "SEQ_2_SEQ_LM");
  EXPECT_EQ(config["num_virtual_tokens"], 20);
  EXPECT_EQ(config["token_dim"], 512);
  EXPECT_EQ(config["num_transformer_submodules"], 1);  // ptune prompts the encoder only
  EXPECT_EQ(config["num_layers"], 6);
  EXPECT_EQ(config["num_attention_heads"], 8);
  EXPECT_EQ(config["prompt_tuning_init"], "TEXT");
  EXPECT_EQ(config["prompt_tuning_init_text"], "classify");
  EXPECT_EQ(config["base_model_name_or_path"], "/models/t5-small");
}

}  // namespace
}  // namespace ptune::engine
