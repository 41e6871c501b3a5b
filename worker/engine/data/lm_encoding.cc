#include "worker/engine/data/lm_encoding.h"

#include <algorithm>

namespace ptune::engine {
namespace {

// One row before padding: tokens and their labels (kIgnoreLabel = no loss).
struct Row {
  std::vector<int64_t> ids, labels;
  void Add(int64_t id, bool target) {
    ids.push_back(id);
    labels.push_back(target ? id : kIgnoreLabel);
  }
  void Add(const std::vector<int64_t>& tokens, bool target) {
    for (int64_t id : tokens) Add(id, target);
  }
};

void Append(std::vector<int64_t>* ids, int64_t id) {
  if (id >= 0) ids->push_back(id);
}

// Writes `rows` into N x max_len ids/mask (and labels when `labels` is non-null).
void Pad(const std::vector<Row>& rows, int64_t pad_id, int64_t max_len, torch::Tensor* ids,
         torch::Tensor* mask, torch::Tensor* labels) {
  const int64_t n = static_cast<int64_t>(rows.size());
  *ids = torch::full({n, max_len}, pad_id, torch::kLong);
  *mask = torch::zeros({n, max_len}, torch::kFloat32);
  if (labels != nullptr) *labels = torch::full({n, max_len}, kIgnoreLabel, torch::kLong);
  torch::Tensor scratch = torch::empty({n, max_len}, torch::kLong);
  auto id = ids->accessor<int64_t, 2>();
  auto m = mask->accessor<float, 2>();
  auto label = (labels != nullptr ? *labels : scratch).accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t len = std::min<int64_t>(max_len, rows[i].ids.size());
    for (int64_t t = 0; t < len; ++t) {
      id[i][t] = rows[i].ids[t];
      m[i][t] = 1.0f;
      label[i][t] = rows[i].labels[t];
    }
  }
}

// Decoder-only causal LM row: [bos] prompt completion [eos], cut to max_len.
Row DecoderOnlyRow(const Example& e, const Tokenizer& tokenizer, int64_t max_len) {
  std::vector<int64_t> prompt = tokenizer.Encode(e.text);
  std::vector<int64_t> completion;
  const bool whole_text = e.completion.empty();
  if (!whole_text) completion = tokenizer.Encode(e.completion);
  Append(&completion, tokenizer.eos_id());
  const int64_t bos = tokenizer.bos_id() >= 0 ? 1 : 0;
  if (whole_text) {
    prompt.insert(prompt.end(), completion.begin(), completion.end());
    completion.clear();
  } else {
    const int64_t room = std::max<int64_t>(0, max_len - bos - int64_t(completion.size()));
    if (int64_t(prompt.size()) > room) prompt.erase(prompt.begin(), prompt.end() - room);
  }
  Row row;
  if (bos) row.Add(tokenizer.bos_id(), false);
  row.Add(prompt, whole_text);
  row.Add(completion, true);
  row.ids.resize(std::min<size_t>(row.ids.size(), max_len));
  row.labels.resize(row.ids.size());
  if (row.ids.empty()) row.Add(tokenizer.unk_id(), false);
  return row;
}

}  // namespace

EncodedSplit EncodeCausalLm(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                            const LmEncoding& options) {
  const int64_t n = static_cast<int64_t>(examples.size());
  EncodedSplit out;
  out.labels = torch::full({n}, -1, torch::kLong);
  out.targets = torch::zeros({n}, torch::kFloat32);
  if (!options.encoder_decoder) {
    std::vector<Row> rows;
    for (const Example& e : examples) rows.push_back(DecoderOnlyRow(e, tokenizer, options.max_len));
    Pad(rows, tokenizer.pad_id(), options.max_len, &out.ids, &out.mask, &out.token_labels);
    return out;
  }
  std::vector<Row> encoder, target, decoder;
  for (const Example& e : examples) {
    const bool whole_text = e.completion.empty();
    std::vector<int64_t> source = whole_text ? std::vector<int64_t>{} : tokenizer.Encode(e.text);
    source.resize(std::min<size_t>(source.size(), options.max_len - 1));
    Append(&source, tokenizer.eos_id());
    std::vector<int64_t> goal = tokenizer.Encode(whole_text ? e.text : e.completion);
    goal.resize(std::min<size_t>(goal.size(), options.max_len - 1));
    Append(&goal, tokenizer.eos_id());
    Row enc, tgt, dec;
    enc.Add(source.empty() ? std::vector<int64_t>{tokenizer.unk_id()} : source, false);
    tgt.Add(goal, true);
    dec.Add(options.decoder_start_token, false);
    dec.Add(std::vector<int64_t>(goal.begin(), goal.end() - 1), false);
    encoder.push_back(std::move(enc));
    target.push_back(std::move(tgt));
    decoder.push_back(std::move(dec));
  }
  Pad(encoder, tokenizer.pad_id(), options.max_len, &out.ids, &out.mask, nullptr);
  torch::Tensor unused_ids, unused_mask;
  Pad(target, tokenizer.pad_id(), options.max_len, &unused_ids, &unused_mask, &out.token_labels);
  Pad(decoder, tokenizer.pad_id(), options.max_len, &out.decoder_ids, &out.decoder_mask, nullptr);
  return out;
}

EncodedSplit EncodeLabelWordInputs(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                                   const LmEncoding& options) {
  const int64_t n = static_cast<int64_t>(examples.size());
  const std::vector<int64_t> suffix = tokenizer.Encode(options.template_text);
  const int64_t bos = !options.encoder_decoder && tokenizer.bos_id() >= 0 ? 1 : 0;
  const int64_t eos = options.encoder_decoder && tokenizer.eos_id() >= 0 ? 1 : 0;
  const int64_t room =
      std::max<int64_t>(1, options.max_len - bos - eos - static_cast<int64_t>(suffix.size()));
  std::vector<Row> rows;
  for (const Example& e : examples) {
    std::vector<int64_t> text = tokenizer.Encode(e.text);
    if (!e.text_pair.empty()) {
      std::vector<int64_t> pair = tokenizer.Encode(e.text_pair);
      while (int64_t(text.size() + pair.size()) > room) {
        (text.size() >= pair.size() ? text : pair).pop_back();
      }
      text.insert(text.end(), pair.begin(), pair.end());
    }
    text.resize(std::min<size_t>(text.size(), room));
    if (text.empty()) text.push_back(tokenizer.unk_id());
    Row row;
    if (bos) row.Add(tokenizer.bos_id(), false);
    row.Add(text, false);
    row.Add(suffix, false);
    if (eos) row.Add(tokenizer.eos_id(), false);
    rows.push_back(std::move(row));
  }
  EncodedSplit out;
  Pad(rows, tokenizer.pad_id(), options.max_len, &out.ids, &out.mask, nullptr);
  std::vector<int64_t> labels;
  for (const Example& e : examples) labels.push_back(e.label);
  out.labels = torch::tensor(labels, torch::kLong).reshape({n});
  out.targets = torch::zeros({n}, torch::kFloat32);
  return out;
}

}  // namespace ptune::engine
