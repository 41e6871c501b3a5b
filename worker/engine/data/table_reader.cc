#include "worker/engine/data/table_reader.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_io.h"
#include "nlohmann/json.hpp"

namespace ptune::engine {
namespace {

absl::Status LineError(const std::string& path, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", what));
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are rejected).
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned min = 0;
  if ((c & 0xE0) == 0xC0)
    n = 2, min = 0x80;
  else if ((c & 0xF0) == 0xE0)
    n = 3, min = 0x800;
  else if ((c & 0xF8) == 0xF0)
    n = 4, min = 0x10000;
  else
    return 0;
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// OK, or an error naming the line of the first invalid byte.
absl::Status CheckUtf8(absl::string_view text, const std::string& path) {
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      return LineError(path, line,
                       absl::StrCat("invalid UTF-8 (byte 0x", absl::Hex(text[i] & 0xFF),
                                    "); files must be UTF-8 encoded"));
    }
    if (text[i] == '\n') ++line;
    i += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TableRow>> ParseJsonl(absl::string_view text, const std::string& path) {
  std::vector<TableRow> rows;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    nlohmann::json value = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                                 /*allow_exceptions=*/false);
    if (value.is_discarded()) return LineError(path, line_no, "malformed JSON");
    if (!value.is_object()) return LineError(path, line_no, "expected a JSON object");
    TableRow row{line_no, {}};
    for (const auto& [key, field] : value.items()) {
      if (field.is_null()) continue;
      row.fields[key] = field.is_string() ? field.get<std::string>() : field.dump();
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// Splits RFC 4180 CSV into records of cells, each with its starting line.
absl::StatusOr<std::vector<std::pair<int, std::vector<std::string>>>> SplitCsv(
    absl::string_view text, const std::string& path) {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  std::vector<std::string> cells;
  std::string cell;
  bool quoted = false, any = false;
  int line = 1, record_line = 1;
  const auto end_record = [&] {
    cells.push_back(std::move(cell));
    cell.clear();
    if (any || cells.size() > 1 || !cells[0].empty()) records.emplace_back(record_line, cells);
    cells.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        cell += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        cell += c;
      if (c == '\n') ++line;
    } else if (c == '"' && cell.empty()) {
      quoted = any = true;
    } else if (c == ',') {
      cells.push_back(std::move(cell));
      cell.clear();
    } else if (c == '\n') {
      end_record();
      record_line = ++line;
    } else if (c != '\r') {
      cell += c;
    }
  }
  if (quoted) return LineError(path, record_line, "unterminated quoted CSV field");
  end_record();
  return records;
}

absl::StatusOr<std::vector<std::pair<int, std::vector<std::string>>>> SplitTsv(
    absl::string_view text) {
  std::vector<std::pair<int, std::vector<std::string>>> records;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    records.emplace_back(line_no, std::vector<std::string>(absl::StrSplit(line, '\t')));
  }
  return records;
}

absl::StatusOr<std::vector<TableRow>> ParseDelimited(absl::string_view text, TableFormat format,
                                                     const std::string& path) {
  auto records = format == TableFormat::kCsv ? SplitCsv(text, path) : SplitTsv(text);
  if (!records.ok()) return records.status();
  if (records->empty()) return LineError(path, 1, "empty file: expected a header line");
  const std::vector<std::string>& header = records->front().second;
  std::vector<TableRow> rows;
  for (size_t r = 1; r < records->size(); ++r) {
    const auto& [line, cells] = (*records)[r];
    if (cells.size() != header.size()) {
      return LineError(
          path, line,
          absl::StrCat("expected ", header.size(), " columns like the header, got ", cells.size()));
    }
    TableRow row{line, {}};
    for (size_t c = 0; c < cells.size(); ++c) row.fields[header[c]] = cells[c];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

absl::StatusOr<TableFormat> ResolveTableFormat(absl::string_view format_name,
                                               const std::string& path) {
  std::string name = absl::AsciiStrToLower(format_name);
  if (name.empty()) {
    const size_t dot = path.rfind('.');
    name = dot == std::string::npos ? "" : absl::AsciiStrToLower(path.substr(dot + 1));
    if (name == "json" || name == "ndjson") name = "jsonl";
    if (name == "tab") name = "tsv";
  }
  if (name == "jsonl") return TableFormat::kJsonl;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "tsv") return TableFormat::kTsv;
  return absl::InvalidArgumentError(absl::StrCat("data.format: cannot tell the format of ", path,
                                                 " (got \"", format_name,
                                                 "\"); use jsonl, csv or tsv"));
}

absl::StatusOr<std::vector<TableRow>> ParseTable(absl::string_view text, TableFormat format,
                                                 const std::string& path) {
  if (absl::Status s = CheckUtf8(text, path); !s.ok()) return s;
  if (format == TableFormat::kJsonl) return ParseJsonl(text, path);
  return ParseDelimited(text, format, path);
}

absl::StatusOr<std::vector<TableRow>> ReadTable(const std::string& path, TableFormat format) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("data file ", text.status().message()));
  }
  return ParseTable(*text, format, path);
}

}  // namespace ptune::engine
