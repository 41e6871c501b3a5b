#include "worker/engine/tokenizers/hf_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_io.h"
#include "worker/engine/formats/bounded_json.h"
#include "worker/engine/tokenizers/utf8.h"

namespace ptune::engine {
namespace {

using tokenizers::FieldError;
using tokenizers::FieldPath;
using tokenizers::Json;
using tokenizers::OptionalMember;

absl::StatusOr<Side> ParseSide(const Json& json, std::string_view path) {
  absl::StatusOr<std::string> name = tokenizers::StringMember(json, "direction", path, "Right");
  if (!name.ok()) return name.status();
  if (*name == "Right") return Side::kRight;
  if (*name == "Left") return Side::kLeft;
  return FieldError(FieldPath(path, "direction"), "not \"Right\" or \"Left\"");
}

absl::StatusOr<TruncationOptions> ParseTruncation(const Json& json) {
  constexpr std::string_view kPath = "truncation";
  TruncationOptions options;
  absl::StatusOr<int64_t> max_length = tokenizers::IntMember(json, "max_length", kPath);
  if (!max_length.ok()) return max_length.status();
  options.max_length = *max_length;
  absl::StatusOr<std::string> strategy =
      tokenizers::StringMember(json, "strategy", kPath, "LongestFirst");
  if (!strategy.ok()) return strategy.status();
  if (*strategy == "LongestFirst") {
    options.strategy = TruncationOptions::Strategy::kLongestFirst;
  } else if (*strategy == "OnlyFirst") {
    options.strategy = TruncationOptions::Strategy::kOnlyFirst;
  } else if (*strategy == "OnlySecond") {
    options.strategy = TruncationOptions::Strategy::kOnlySecond;
  } else {
    return FieldError("truncation.strategy", "not LongestFirst, OnlyFirst or OnlySecond");
  }
  absl::StatusOr<Side> side = ParseSide(json, kPath);
  if (!side.ok()) return side.status();
  options.direction = *side;
  return options;
}

absl::StatusOr<PaddingOptions> ParsePadding(const Json& json) {
  constexpr std::string_view kPath = "padding";
  PaddingOptions options;
  const Json* strategy = OptionalMember(json, "strategy");
  if (strategy != nullptr && !(strategy->is_string() && *strategy == "BatchLongest")) {
    const Json* fixed = OptionalMember(*strategy, "Fixed");
    if (fixed == nullptr || !fixed->is_number_integer() || fixed->get<int64_t>() < 0) {
      return FieldError("padding.strategy", "want \"BatchLongest\" or {\"Fixed\": length}");
    }
    options.fixed_length = fixed->get<int64_t>();
  }
  absl::StatusOr<Side> side = ParseSide(json, kPath);
  if (!side.ok()) return side.status();
  options.direction = *side;
  absl::StatusOr<int64_t> multiple = tokenizers::IntMember(json, "pad_to_multiple_of", kPath, 0);
  absl::StatusOr<int64_t> pad_id = tokenizers::IntMember(json, "pad_id", kPath, 0);
  absl::StatusOr<int64_t> pad_type_id = tokenizers::IntMember(json, "pad_type_id", kPath, 0);
  for (const auto* value : {&multiple, &pad_id, &pad_type_id}) {
    if (!value->ok()) return value->status();
    if (**value < 0 || **value > tokenizers::kMaxTokenId) {
      return FieldError(kPath, "pad_to_multiple_of, pad_id and pad_type_id must be in range");
    }
  }
  options.pad_to_multiple_of = *multiple;
  options.pad_id = *pad_id;
  options.pad_type_id = static_cast<int32_t>(*pad_type_id);
  return options;
}

Encoding PlainEncoding(std::vector<int64_t> ids, int32_t type_id) {
  const size_t n = ids.size();
  return {std::move(ids), std::vector<int32_t>(n, type_id), std::vector<uint8_t>(n, 0),
          std::vector<uint8_t>(n, 1)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::Load(const std::string& path,
                                                               const Options& options) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return FromJson(*text, path, options);
}

absl::StatusOr<std::unique_ptr<HfTokenizer>> HfTokenizer::FromJson(std::string_view json_text,
                                                                   const std::string& source_name,
                                                                   const Options& options) {
  const Json root = ParseBoundedJson(json_text);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": not a JSON object (nested at most 64 deep)"));
  }
  auto tokenizer = std::unique_ptr<HfTokenizer>(new HfTokenizer());
  if (absl::Status status = tokenizer->ParseComponents(root, options); !status.ok()) {
    return absl::Status(status.code(), absl::StrCat(source_name, ": ", status.message()));
  }
  return tokenizer;
}

absl::Status HfTokenizer::ParseComponents(const Json& root, const Options& options) {
  const Json* model = OptionalMember(root, "model");
  if (model == nullptr) return FieldError("model", "missing");
  absl::StatusOr<std::unique_ptr<tokenizers::Model>> parsed_model =
      tokenizers::ParseModel(*model, "model");
  if (!parsed_model.ok()) return parsed_model.status();
  model_ = *std::move(parsed_model);
  if (const Json* json = OptionalMember(root, "normalizer")) {
    absl::StatusOr<std::unique_ptr<tokenizers::Normalizer>> parsed =
        tokenizers::ParseNormalizer(*json, "normalizer");
    if (!parsed.ok()) return parsed.status();
    normalizer_ = *std::move(parsed);
  }
  if (const Json* json = OptionalMember(root, "pre_tokenizer")) {
    absl::StatusOr<std::unique_ptr<tokenizers::PreTokenizer>> parsed =
        tokenizers::ParsePreTokenizer(*json, "pre_tokenizer");
    if (!parsed.ok()) return parsed.status();
    pre_tokenizer_ = *std::move(parsed);
  }
  if (const Json* json = OptionalMember(root, "post_processor")) {
    absl::StatusOr<std::unique_ptr<tokenizers::PostProcessor>> parsed =
        tokenizers::ParsePostProcessor(*json, "post_processor");
    if (!parsed.ok()) return parsed.status();
    post_processor_ = *std::move(parsed);
  }
  if (const Json* json = OptionalMember(root, "decoder")) {
    absl::StatusOr<std::unique_ptr<tokenizers::Decoder>> parsed =
        tokenizers::ParseDecoder(*json, "decoder");
    if (!parsed.ok()) return parsed.status();
    decoder_ = *std::move(parsed);
  }
  absl::StatusOr<tokenizers::AddedVocabulary> added = tokenizers::AddedVocabulary::FromJson(
      OptionalMember(root, "added_tokens"), "added_tokens", normalizer_.get());
  if (!added.ok()) return added.status();
  added_ = *std::move(added);

  vocab_size_ = model_->id_limit();
  for (const tokenizers::AddedToken& token : added_.tokens()) {
    vocab_size_ = std::max(vocab_size_, token.id + 1);
  }
  if (const Json* json = OptionalMember(root, "truncation")) {
    absl::StatusOr<TruncationOptions> truncation = ParseTruncation(*json);
    if (!truncation.ok()) return truncation.status();
    if (absl::Status status = SetTruncation(*truncation); !status.ok()) return status;
  }
  if (const Json* json = OptionalMember(root, "padding")) {
    absl::StatusOr<PaddingOptions> padding = ParsePadding(*json);
    if (!padding.ok()) return padding.status();
    if (absl::Status status = SetPadding(*padding); !status.ok()) return status;
  }
  ChooseSpecialIds(options);
  return absl::OkStatus();
}

void HfTokenizer::ChooseSpecialIds(const Options& options) {
  const auto first_known = [&](std::initializer_list<std::string_view> names) {
    std::optional<int64_t> found;
    for (const std::string_view name : names) {
      if ((found = TokenToId(name))) break;
    }
    return found;
  };
  const std::vector<int64_t> leading =
      post_processor_ ? post_processor_->SingleLeadingIds() : std::vector<int64_t>();
  const std::vector<int64_t> trailing =
      post_processor_ ? post_processor_->SingleTrailingIds() : std::vector<int64_t>();
  bos_id_ = options.bos_id;
  if (!bos_id_ && !leading.empty()) bos_id_ = leading.front();
  if (!bos_id_) bos_id_ = first_known({"<s>", "<bos>", "<|begin_of_text|>"});
  eos_id_ = options.eos_id;
  if (!eos_id_ && !trailing.empty()) eos_id_ = trailing.back();
  if (!eos_id_) eos_id_ = first_known({"</s>", "<eos>", "<|end_of_text|>", "<|endoftext|>"});
  std::optional<int64_t> pad = options.pad_id;
  if (!pad && padding_) pad = padding_->pad_id;
  if (!pad) pad = first_known({"<pad>", "[PAD]", "<|pad|>", "<|endoftext|>"});
  if (!pad) pad = eos_id_;
  if (!pad) pad = model_->unk_id();
  pad_id_ = pad.value_or(0);
}

absl::Status HfTokenizer::SetTruncation(std::optional<TruncationOptions> truncation) {
  if (truncation) {
    const size_t added = post_processor_ ? post_processor_->AddedTokens(/*pair=*/true) : 0;
    if (truncation->max_length <= static_cast<int64_t>(added)) {
      return FieldError("truncation.max_length",
                        absl::StrCat(truncation->max_length, " leaves no room past the ", added,
                                     " special tokens the post-processor adds"));
    }
  }
  truncation_ = std::move(truncation);
  return absl::OkStatus();
}

absl::Status HfTokenizer::SetPadding(std::optional<PaddingOptions> padding) {
  if (padding && (padding->pad_to_multiple_of < 0 || padding->pad_id < 0 ||
                  (padding->fixed_length && *padding->fixed_length < 0))) {
    return FieldError("padding", "lengths and pad_id must be >= 0");
  }
  padding_ = std::move(padding);
  return absl::OkStatus();
}

std::vector<int64_t> HfTokenizer::EncodeSequence(std::string_view text) const {
  std::vector<tokenizers::Segment> segments;
  segments.push_back({tokenizers::LossyUtf8(text), std::nullopt, true});
  added_.Split(/*normalized=*/false, &segments);
  if (normalizer_ != nullptr) {
    for (tokenizers::Segment& segment : segments) {
      if (!segment.id) segment.text = normalizer_->Normalize(segment.text);
    }
  }
  added_.Split(/*normalized=*/true, &segments);
  std::vector<int64_t> ids;
  for (const tokenizers::Segment& segment : segments) {
    if (segment.id) {
      ids.push_back(*segment.id);
      continue;
    }
    if (segment.text.empty()) continue;
    std::vector<tokenizers::Piece> pieces = {{segment.text, segment.at_origin}};
    if (pre_tokenizer_ != nullptr) pre_tokenizer_->Split(&pieces);
    for (const tokenizers::Piece& piece : pieces) model_->Tokenize(piece.text, &ids);
  }
  return ids;
}

Encoding HfTokenizer::Process(std::vector<int64_t> first, const std::vector<int64_t>* second,
                              bool add_special_tokens, bool truncate) const {
  std::vector<Encoding> sequences;
  sequences.push_back(PlainEncoding(std::move(first), 0));
  if (second != nullptr) sequences.push_back(PlainEncoding(*second, 1));
  if (truncate && truncation_) {
    const size_t added =
        add_special_tokens && post_processor_ ? post_processor_->AddedTokens(second != nullptr) : 0;
    // SetTruncation guarantees max_length > added. A strategy that cannot reach the
    // length (only_second on a single text) leaves the sequences whole, as HF would
    // refuse them.
    TruncateSequences(&sequences[0], second ? &sequences[1] : nullptr,
                      static_cast<size_t>(truncation_->max_length) - added, *truncation_);
  }
  if (post_processor_ != nullptr) {
    sequences = post_processor_->Process(std::move(sequences), add_special_tokens);
  }
  Encoding joined;
  for (const Encoding& sequence : sequences) joined.Append(sequence);
  return joined;
}

std::vector<int64_t> HfTokenizer::EncodeIds(std::string_view text, bool add_special_tokens) const {
  return Process(EncodeSequence(text), nullptr, add_special_tokens, /*truncate=*/false).ids;
}

std::vector<int64_t> HfTokenizer::Encode(std::string_view text) const {
  return EncodeIds(text, /*add_special_tokens=*/false);
}

Encoding HfTokenizer::EncodeFull(std::string_view text, const std::string_view* second,
                                 bool add_special_tokens) const {
  std::vector<int64_t> second_ids;
  if (second != nullptr) second_ids = EncodeSequence(*second);
  Encoding encoding = Process(EncodeSequence(text), second != nullptr ? &second_ids : nullptr,
                              add_special_tokens, /*truncate=*/true);
  if (padding_) {
    Pad(&encoding, static_cast<size_t>(padding_->fixed_length.value_or(encoding.size())),
        *padding_);
  }
  return encoding;
}

std::vector<Encoding> HfTokenizer::EncodeBatch(const std::vector<std::string>& texts,
                                               bool add_special_tokens) const {
  std::vector<Encoding> batch;
  size_t longest = 0;
  for (const std::string& text : texts) {
    batch.push_back(Process(EncodeSequence(text), nullptr, add_special_tokens, /*truncate=*/true));
    longest = std::max(longest, batch.back().size());
  }
  if (padding_) {
    const size_t length =
        padding_->fixed_length ? static_cast<size_t>(*padding_->fixed_length) : longest;
    for (Encoding& encoding : batch) Pad(&encoding, length, *padding_);
  }
  return batch;
}

std::string HfTokenizer::Decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  for (const int64_t id : ids) {
    std::optional<std::string> token = IdToToken(id);
    if (!token) {
      tokens.push_back(absl::StrCat("<id:", id, ">"));
      continue;
    }
    // HF skips by content: a model token spelled like a special added token goes too.
    if (skip_special_tokens) {
      const std::optional<int64_t> added_id = added_.IdOf(*token);
      if (added_id && added_.ById(*added_id)->special) continue;
    }
    tokens.push_back(*std::move(token));
  }
  if (decoder_ == nullptr) return absl::StrJoin(tokens, " ");
  return absl::StrJoin(decoder_->DecodeChain(std::move(tokens)), "");
}

std::string HfTokenizer::Decode(const std::vector<int64_t>& ids) const {
  return Decode(ids, /*skip_special_tokens=*/false);
}

int64_t HfTokenizer::unk_id() const { return model_->unk_id().value_or(-1); }

std::optional<int64_t> HfTokenizer::TokenToId(std::string_view token) const {
  if (std::optional<int64_t> id = added_.IdOf(token)) return id;
  return model_->TokenToId(token);
}

std::optional<std::string> HfTokenizer::IdToToken(int64_t id) const {
  if (const tokenizers::AddedToken* token = added_.ById(id)) return token->content;
  if (const std::string* token = model_->IdToToken(id)) return *token;
  return std::nullopt;
}

bool HfTokenizer::IsSpecial(int64_t id) const {
  const tokenizers::AddedToken* token = added_.ById(id);
  return token != nullptr && token->special;
}

}  // namespace ptune::engine
