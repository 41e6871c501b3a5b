// The PEFT adapter of a PT job on a real HF model (stories260k), checked against the
// layout PEFT itself writes (huggingface/peft 0.20.1.dev0, commit 5d602fdb, read from its
// source; see docs/models.md, "PEFT adapters"):
// * adapter_config.json is `json.dumps(asdict(PromptTuningConfig), indent=2,
//   sort_keys=True)` (config.py save_pretrained): every dataclass field of PeftConfig,
//   PromptLearningConfig and PromptTuningConfig. `peft_version` is the one field left out:
//   PEFT fills it with the installed PEFT's version when it loads a config without one.
// * adapter_model.safetensors holds one tensor, "prompt_embeddings" =
//   prompt_encoder.embedding.weight (tuners_utils.py), shape [num_virtual_tokens x
//   num_transformer_submodules, token_dim] (loaded with strict=True), the weight's dtype,
//   safetensors metadata {"format": "pt"} (peft_model.py save_pretrained).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <set>

#include "common/file_io.h"
#include "common/spec_defaults.h"
#include "nlohmann/json.hpp"
#include "worker/engine/formats/safetensors.h"
#include "worker/engine/job_runner.h"

namespace ptune::engine {
namespace {

TEST(PeftAdapter, APtJobOnStories260kWritesWhatPeftWrites) {
  ptune::v1::JobSpec spec;
  spec.mutable_model()->set_source(PTUNE_STORIES260K);
  spec.mutable_data()->set_task(ptune::v1::TASK_TYPE_CAUSAL_LM);
  spec.mutable_data()->set_train_file(PTUNE_STORIES_DATA "/train.jsonl");
  spec.mutable_data()->set_validation_file(PTUNE_STORIES_DATA "/validation.jsonl");
  spec.mutable_prompt()->set_length(6);
  spec.mutable_prompt()->set_init(ptune::v1::PROMPT_INIT_TEXT);
  spec.mutable_prompt()->set_init_text("Once upon a boat");
  spec.mutable_train()->set_steps(2);
  spec.mutable_train()->set_batch_size(4);
  spec.mutable_topology()->set_every(0);
  spec.mutable_resources()->set_device(ptune::v1::DEVICE_KIND_CPU);
  ApplySpecDefaults(&spec);
  JobRunOptions options;
  options.output_dir =
      (std::filesystem::temp_directory_path() / ("ptune_peft_" + std::to_string(::getpid())))
          .string();
  auto result = RunJob(spec, options);
  ASSERT_TRUE(result.ok()) << result.status();

  auto text = ReadFile(options.output_dir + "/adapter/adapter_config.json");
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json config = nlohmann::json::parse(*text);
  std::set<std::string> keys;
  for (const auto& [key, value] : config.items()) keys.insert(key);
  EXPECT_EQ(keys,
            (std::set<std::string>{// PeftConfigMixin, PeftConfig (peft_version left out, see above)
                                   "auto_mapping", "base_model_name_or_path", "inference_mode",
                                   "peft_type", "revision", "task_type",
                                   // PromptLearningConfig
                                   "modules_to_save", "num_attention_heads", "num_layers",
                                   "num_transformer_submodules", "num_virtual_tokens", "token_dim",
                                   // PromptTuningConfig
                                   "prompt_tuning_init", "prompt_tuning_init_text",
                                   "tokenizer_kwargs", "tokenizer_name_or_path"}));
  EXPECT_EQ(config["peft_type"], "PROMPT_TUNING");
  EXPECT_EQ(config["task_type"], "CAUSAL_LM");
  EXPECT_EQ(config["num_virtual_tokens"], 6);
  EXPECT_EQ(config["token_dim"], 64);
  EXPECT_EQ(config["num_transformer_submodules"], 1);
  EXPECT_EQ(config["num_layers"], 5);
  EXPECT_EQ(config["num_attention_heads"], 8);
  EXPECT_EQ(config["prompt_tuning_init"], "TEXT");
  EXPECT_EQ(config["prompt_tuning_init_text"], "Once upon a boat");
  // PromptTuningConfig.__post_init__ raises for TEXT without a tokenizer.
  EXPECT_EQ(config["tokenizer_name_or_path"], PTUNE_STORIES260K);
  EXPECT_EQ(config["base_model_name_or_path"], PTUNE_STORIES260K);
  EXPECT_EQ(config["inference_mode"], true);
  EXPECT_TRUE(config["modules_to_save"].is_null());
  // sort_keys=True, indent=2, as json.dumps writes it.
  EXPECT_EQ(text->substr(0, 25), "{\n  \"auto_mapping\": null,");

  auto bytes = ReadFile(options.output_dir + "/adapter/adapter_model.safetensors");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto adapter = DecodeSafetensors(*bytes, "adapter_model.safetensors");
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  ASSERT_EQ(adapter->tensors.size(), 1u);
  EXPECT_EQ(adapter->tensors[0].name, "prompt_embeddings");
  EXPECT_EQ(adapter->tensors[0].dtype, "F32");
  EXPECT_EQ(adapter->tensors[0].shape, (std::vector<int64_t>{6, 64}));
  EXPECT_EQ(adapter->metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  std::filesystem::remove_all(options.output_dir);
}

}  // namespace
}  // namespace ptune::engine
