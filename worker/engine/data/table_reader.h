#ifndef PTUNE_WORKER_ENGINE_DATA_TABLE_READER_H_
#define PTUNE_WORKER_ENGINE_DATA_TABLE_READER_H_

// Reads a JSONL, CSV or TSV file into rows of named string fields, keeping the line each
// row came from so later checks (missing field, unknown label) can name it. Torch-free.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ptune::engine {

enum class TableFormat { kJsonl, kCsv, kTsv };

// One record. JSON values that are not strings (numbers, booleans) are kept in their
// JSON text ("1", "0.5", "true"); JSON null becomes a missing field.
struct TableRow {
  int line = 0;  // 1-based line where the record starts
  std::map<std::string, std::string> fields;
};

// `format_name` is "jsonl", "csv", "tsv" or "" (inferred from the extension: .jsonl/.json
// lines, .csv, .tsv/.tab). INVALID_ARGUMENT for an unknown format or extension.
absl::StatusOr<TableFormat> ResolveTableFormat(absl::string_view format_name,
                                               const std::string& path);

// Reads every record. Empty lines are skipped in JSONL. CSV follows RFC 4180 (quoted
// fields with "" escapes, quoted newlines); TSV splits on tabs with no quoting; the first
// CSV/TSV line is the header. Errors (INVALID_ARGUMENT, message "<path>:<line>: ...") for
// invalid UTF-8, malformed JSON, a JSON line that is not an object, and rows whose column
// count differs from the header's; NOT_FOUND when the file cannot be opened.
absl::StatusOr<std::vector<TableRow>> ReadTable(const std::string& path, TableFormat format);

// Parses already-loaded text (what ReadTable does after reading the file); `path` only
// names the source in errors.
absl::StatusOr<std::vector<TableRow>> ParseTable(absl::string_view text, TableFormat format,
                                                 const std::string& path);

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_DATA_TABLE_READER_H_
