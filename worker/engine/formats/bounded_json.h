#ifndef PTUNE_WORKER_ENGINE_FORMATS_BOUNDED_JSON_H_
#define PTUNE_WORKER_ENGINE_FORMATS_BOUNDED_JSON_H_

// JSON from files a user hands in (config.json, tokenizer.json, safetensors headers) with
// its nesting bounded. nlohmann's parser is iterative but dump() and the readers that walk
// a document recurse once per level, so a 400 KB "[[[[...]]]]" in a header's metadata or
// a config value overflowed the stack (found by fuzz/). No real file of these formats
// nests deeper than about ten levels. Header-only and torch-free.

#include <string_view>

#include "nlohmann/json.hpp"

namespace ptune::engine {

inline constexpr int kMaxJsonDepth = 64;

// The parsed document, or a discarded value (is_discarded()) when `text` is not JSON or
// nests deeper than kMaxJsonDepth.
inline nlohmann::json ParseBoundedJson(std::string_view text) {
  bool too_deep = false;
  nlohmann::json::parser_callback_t check_depth =
      [&too_deep](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
        if (depth > kMaxJsonDepth) too_deep = true;
        return !too_deep;
      };
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), check_depth,
                                           /*allow_exceptions=*/false);
  return too_deep ? nlohmann::json(nlohmann::json::value_t::discarded) : j;
}

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_FORMATS_BOUNDED_JSON_H_
