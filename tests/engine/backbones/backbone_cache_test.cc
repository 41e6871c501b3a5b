// Resolving ModelSpec.source and sharing loaded backbones across jobs.

#include "worker/engine/backbones/backbone_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "worker/engine/backbones/backbone.h"
#include "worker/engine/backbones/backbone_registry.h"

namespace ptune::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ptune_backbone_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(BackboneResolve, UnknownSourcesSayWhatWasTried) {
  const absl::Status name = ResolveBackbone("no-such-model", DefaultModelCache()).status();
  EXPECT_TRUE(absl::IsNotFound(name)) << name;
  EXPECT_THAT(name.message(), HasSubstr("neither a built-in backbone (use-lite)"));
  const absl::Status builtin = LoadBuiltinBackbone("t5-small", DefaultModelCache()).status();
  EXPECT_THAT(builtin.message(), HasSubstr("no built-in backbone \"t5-small\""));
  const fs::path empty = FreshDir("empty");
  EXPECT_TRUE(absl::IsNotFound(ResolveBackbone(empty.string(), DefaultModelCache()).status()));
  std::ofstream(empty / "config.json") << "{}";
  const absl::Status hf = ResolveBackbone(empty.string(), DefaultModelCache()).status();
  // An HF directory is read through its config.json, whose errors name the file.
  EXPECT_TRUE(absl::IsInvalidArgument(hf)) << hf;
  EXPECT_THAT(hf.message(), HasSubstr("config.json"));
  fs::remove_all(empty);
}

TEST(BackboneResolve, MissingBuiltinNamesThePathAndTheFix) {
  const absl::Status status = ResolveBackbone("use-lite", "/nonexistent-cache").status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent-cache/models/use-lite/dist/model.json"));
  EXPECT_THAT(status.message(), HasSubstr("scripts/setup.sh"));
}

TEST(BackboneCacheTest, LoadsOncePerSourceAndDevice) {
  BackboneCache cache;
  std::vector<LoadedBackbone> got(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&cache, &got, i] {
      absl::StatusOr<LoadedBackbone> b = cache.Get("use-lite");
      ASSERT_TRUE(b.ok()) << b.status();
      got[i] = *b;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const LoadedBackbone& b : got) {
    EXPECT_EQ(b.backbone.get(), got[0].backbone.get());
    EXPECT_EQ(b.tokenizer.get(), got[0].tokenizer.get());
  }
  EXPECT_EQ(got[0].source, "use-lite");
  // The empty source is the default backbone, not a second copy.
  absl::StatusOr<LoadedBackbone> by_default = cache.Get("");
  ASSERT_TRUE(by_default.ok()) << by_default.status();
  EXPECT_EQ(by_default->backbone.get(), got[0].backbone.get());
  EXPECT_EQ(cache.size(), 1u);
  // A model directory is a source too.
  absl::StatusOr<LoadedBackbone> by_dir = cache.Get(UseLiteDir(DefaultModelCache()));
  ASSERT_TRUE(by_dir.ok()) << by_dir.status();
  EXPECT_EQ(by_dir->backbone->output_size(), 512);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(absl::IsInvalidArgument(cache.Get("use-lite", "no-such-device").status()));
}

TEST(BackboneCacheTest, FailuresAreNotCached) {
  const fs::path cache_dir = FreshDir("cache");
  BackboneCache cache(BackboneCache::Options{cache_dir.string()});
  EXPECT_TRUE(absl::IsNotFound(cache.Get("use-lite").status()));
  // "Run scripts/setup.sh": the files appear, and the next job finds them.
  fs::create_directories(cache_dir / "models" / "use-lite");
  fs::create_directory_symlink(UseLiteDir(DefaultModelCache()),
                               cache_dir / "models" / "use-lite" / "dist");
  EXPECT_TRUE(cache.Get("use-lite").ok());
  fs::remove_all(cache_dir);
}

}  // namespace
}  // namespace ptune::engine
