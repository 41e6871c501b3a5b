// JSONL/CSV/TSV parsing with line-accurate errors.
#include "worker/engine/data/table_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ptune::engine {
namespace {

using ::testing::HasSubstr;

TEST(TableReaderTest, ParsesJsonlKeepingNonStringValuesAsText) {
  auto rows =
      ParseTable("{\"text\": \"hi\", \"label\": 1}\n\n{\"text\": \"yo\", \"label\": null}\n",
                 TableFormat::kJsonl, "a.jsonl");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fields.at("label"), "1");
  EXPECT_EQ((*rows)[1].line, 3);
  EXPECT_FALSE((*rows)[1].fields.count("label"));  // null = missing
}

TEST(TableReaderTest, JsonlErrorsNameFileAndLine) {
  auto bad = ParseTable("{\"text\": \"a\"}\n{oops\n", TableFormat::kJsonl, "d.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("d.jsonl:2: malformed JSON"));
  auto array = ParseTable("[1, 2]\n", TableFormat::kJsonl, "d.jsonl");
  EXPECT_THAT(std::string(array.status().message()),
              HasSubstr("d.jsonl:1: expected a JSON object"));
}

TEST(TableReaderTest, CsvHandlesQuotesEscapesAndQuotedNewlines) {
  auto rows = ParseTable("text,label\r\n\"a, \"\"quoted\"\"\nline\",pos\nplain,neg\n",
                         TableFormat::kCsv, "c.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].fields.at("text"), "a, \"quoted\"\nline");
  EXPECT_EQ((*rows)[0].line, 2);
  EXPECT_EQ((*rows)[1].line, 4);
  EXPECT_EQ((*rows)[1].fields.at("label"), "neg");
}

TEST(TableReaderTest, RaggedCsvAndTsvRowsAreErrorsWithTheirLine) {
  auto csv = ParseTable("text,label\na,b\nc\n", TableFormat::kCsv, "r.csv");
  ASSERT_FALSE(csv.ok());
  EXPECT_THAT(std::string(csv.status().message()), HasSubstr("r.csv:3: expected 2 columns"));
  auto tsv = ParseTable("text\tlabel\na\tb\tc\n", TableFormat::kTsv, "r.tsv");
  EXPECT_THAT(std::string(tsv.status().message()), HasSubstr("r.tsv:2: expected 2 columns"));
  auto open = ParseTable("text,label\n\"never closed,x\n", TableFormat::kCsv, "u.csv");
  EXPECT_THAT(std::string(open.status().message()), HasSubstr("u.csv:2: unterminated"));
}

TEST(TableReaderTest, InvalidUtf8IsRejectedWithItsLine) {
  auto rows = ParseTable("text\tlabel\nok\t1\ncaf\xe9\t0\n", TableFormat::kTsv, "latin1.tsv");
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(std::string(rows.status().message()), HasSubstr("latin1.tsv:3: invalid UTF-8"));
  EXPECT_TRUE(ParseTable("text\n\xc3\xa9t\xc3\xa9\n", TableFormat::kTsv, "u.tsv").ok());
}

TEST(TableReaderTest, FormatComesFromTheNameOrTheExtension) {
  EXPECT_EQ(*ResolveTableFormat("", "x/train.tsv"), TableFormat::kTsv);
  EXPECT_EQ(*ResolveTableFormat("", "train.JSONL"), TableFormat::kJsonl);
  EXPECT_EQ(*ResolveTableFormat("csv", "train.txt"), TableFormat::kCsv);
  EXPECT_FALSE(ResolveTableFormat("", "train.txt").ok());
  EXPECT_EQ(ReadTable("/nonexistent/file.csv", TableFormat::kCsv).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace ptune::engine
