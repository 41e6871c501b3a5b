// The unigram tokenizer: the reference's segmentation rules on small hand-made
// vocabularies, and normalisation / unknown handling on the real USE-Lite vocabulary.
// Token-for-token parity with the JavaScript reference is in use_lite_parity_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "worker/engine/backbones/backbone_registry.h"
#include "worker/engine/backbones/unigram_tokenizer.h"

namespace ptune::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Ids = std::vector<int64_t>;

// Six reserved pieces like USE-Lite's, then `pieces` from id 6 on.
std::unique_ptr<UnigramTokenizer> Small(const std::string& pieces) {
  const std::string json =
      R"([["\ufffd",0],["<s>",0],["</s>",0],["x1",0],["x2",0],["x3",0],)" + pieces + "]";
  absl::StatusOr<std::unique_ptr<UnigramTokenizer>> t =
      UnigramTokenizer::FromJson(json, "small.json", UnigramTokenizer::Options());
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : nullptr;
}

const UnigramTokenizer& Real() {
  static const UnigramTokenizer* real = [] {
    absl::StatusOr<std::unique_ptr<UnigramTokenizer>> t =
        UnigramTokenizer::Load(UseLiteDir(DefaultModelCache()) + "/vocab.json");
    if (!t.ok()) {
      ADD_FAILURE() << t.status() << " (run scripts/setup.sh)";
      return static_cast<UnigramTokenizer*>(nullptr);
    }
    return t->release();
  }();
  if (real == nullptr) throw std::runtime_error("USE-Lite vocabulary not available");
  return *real;
}

TEST(UnigramSegmentation, PrefersHigherTotalScore) {
  // 6:"▁ab" 7:"▁a" 8:"b" 9:"▁"  -- one long piece beats two shorter ones.
  auto t = Small(R"(["▁ab",-1.0],["▁a",-1.0],["b",-1.0],["▁",-2.0])");
  EXPECT_THAT(t->Encode("ab"), ElementsAre(6));
  // Cheaper split wins when the long piece is rare.
  auto u = Small(R"(["▁ab",-9.0],["▁a",-1.0],["b",-1.0],["▁",-2.0])");
  EXPECT_THAT(u->Encode("ab"), ElementsAre(7, 8));
}

TEST(UnigramSegmentation, EqualScoresGoToTheLaterCandidate) {
  // "▁ab" (one piece, -2) ties with "▁a"+"b" (-1 + -1): the reference's `>=` keeps the
  // candidate examined last, the shorter piece ending at the same position.
  auto t = Small(R"(["▁ab",-2.0],["▁a",-1.0],["b",-1.0],["▁",-5.0],["a",-5.0])");
  EXPECT_THAT(t->Encode("ab"), ElementsAre(7, 8));
}

TEST(UnigramSegmentation, UnknownCharactersScoreZero) {
  // The reference scores an unknown symbol 0, better than any real piece: "a" has no
  // single-symbol piece, so "▁" + unk (-1 + 0) ties with "▁a" (-1) and, examined last,
  // wins. Real vocabularies spell every known character on its own, so this only bites
  // hand-made ones.
  auto t = Small(R"(["▁a",-1.0],["▁",-1.0])");
  EXPECT_THAT(t->Encode("a"), ElementsAre(7, 0));
}

TEST(UnigramSegmentation, WhitespaceRunsKeepOneBoundaryPerSpace) {
  auto t = Small(R"(["▁a",-1.0],["▁b",-1.0],["▁",-3.0])");
  EXPECT_THAT(t->Encode("a  b"), ElementsAre(6, 8, 7));
  EXPECT_THAT(t->Encode(" a"), ElementsAre(8, 6));
}

TEST(UnigramSegmentation, UnknownCharactersBecomeOneUnkPerRun) {
  auto t = Small(R"(["▁a",-1.0],["▁",-3.0],["a",-2.0])");
  EXPECT_THAT(t->Encode("a"), ElementsAre(6));
  // "z" and "y" are in no piece: one unk (id 0) for the run, then the known text resumes.
  EXPECT_THAT(t->Encode("zya"), ElementsAre(7, 0, 8));
  EXPECT_THAT(t->Encode("a zy a"), ElementsAre(6, 7, 0, 6));
}

TEST(UnigramSegmentation, EmptyTextHasNoTokens) {
  auto t = Small(R"(["▁a",-1.0])");
  EXPECT_THAT(t->Encode(""), ElementsAre());
  EXPECT_THAT(Real().Encode(""), ElementsAre());
}

TEST(UnigramSegmentation, NullAndIntegerScoresAreNumbers) {
  // The USE-Lite vocabulary has null scores (":") and an integer one (":30" = 30).
  auto t = Small(R"([":",null],[":3",30],["▁",-1.0],["3",-1.0])");
  EXPECT_THAT(t->Encode(":3"), ElementsAre(8, 7));
}

TEST(UnigramSegmentation, LaterDuplicatePieceWins) {
  auto t = Small(R"(["▁a",-1.0],["▁a",-2.0],["▁",-5.0],["a",-5.0])");
  EXPECT_THAT(t->Encode("a"), ElementsAre(7));
}

TEST(UnigramLoad, RejectsMalformedVocabularies) {
  const auto load = [](const std::string& json) {
    return UnigramTokenizer::FromJson(json, "v.json", UnigramTokenizer::Options()).status();
  };
  EXPECT_THAT(load("{}").message(), HasSubstr("v.json: not a JSON array"));
  EXPECT_THAT(load("[[\"a\",0],[1,2]]").message(), HasSubstr("v.json: entry 1"));
  EXPECT_THAT(load("[[\"a\",\"x\"]]").message(), HasSubstr("score is not a number"));
  EXPECT_THAT(load("[[\"a\",0]]").message(), HasSubstr("too few"));
  EXPECT_TRUE(absl::IsNotFound(UnigramTokenizer::Load("/nonexistent/vocab.json").status()));
}

TEST(UnigramRealVocab, NormalisesWithNfkc) {
  const UnigramTokenizer& t = Real();
  EXPECT_EQ(t.Encode("ﬁne"), t.Encode("fine"));
  EXPECT_EQ(t.Encode("Ｆｕｌｌ"), t.Encode("Full"));
  // NFKC turns a no-break space into U+0020, which then marks a word boundary.
  EXPECT_EQ(t.Encode("a\u00a0b"), t.Encode("a b"));
  EXPECT_EQ(t.Encode("\u2460"), t.Encode("1"));
}

TEST(UnigramRealVocab, UnknownAndInvalidUtf8) {
  const UnigramTokenizer& t = Real();
  EXPECT_EQ(t.unk_id(), 0);
  // CJK is outside the vocabulary: "▁" then a single merged unknown.
  EXPECT_THAT(t.Encode("日本語"), ElementsAre(30, 0));
  // Invalid bytes read as U+FFFD, which no matchable piece spells.
  EXPECT_EQ(t.Encode("\xff\xfe"), t.Encode("\ufffd"));
  EXPECT_THAT(t.Encode("\ufffd"), ElementsAre(30, 0));
}

TEST(UnigramRealVocab, DecodeRestoresPlainText) {
  const UnigramTokenizer& t = Real();
  EXPECT_EQ(t.vocab_size(), 8000);
  EXPECT_THAT(t.Encode("How old are you?"), ElementsAre(728, 446, 31, 19, 54));
  EXPECT_EQ(t.Decode(t.Encode("How old are you?")), "How old are you?");
  EXPECT_EQ(t.Decode({9, 99999}), "the<id:99999>");
}

}  // namespace
}  // namespace ptune::engine
