#include "common/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace ptune {
namespace {

TEST(FileIo, WritesAndReadsBackBinaryContents) {
  support::TempDir dir;
  const std::string path = dir.File("blob");
  const std::string bytes("a\0b\nc\xff", 6);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, bytes);
}

TEST(FileIo, ReadsAFileLargerThanOneBuffer) {
  support::TempDir dir;
  const std::string big(300000, 'x');
  ASSERT_TRUE(WriteFileAtomically(dir.File("big"), big).ok());
  EXPECT_EQ(ReadFile(dir.File("big")).value(), big);
  ASSERT_TRUE(WriteFileAtomically(dir.File("empty"), "").ok());
  EXPECT_EQ(ReadFile(dir.File("empty")).value(), "");
}

TEST(FileIo, MissingFileIsNotFoundNamingThePath) {
  support::TempDir dir;
  const std::string path = dir.File("absent.yaml");
  absl::StatusOr<std::string> read = ReadFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(path), std::string::npos) << read.status();
}

TEST(FileIo, DirectoryAndUnreadableFileNameThePathAndReason) {
  support::TempDir dir;
  absl::StatusOr<std::string> read = ReadFile(dir.path());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(read.status().message().find(dir.path()), std::string::npos) << read.status();

  const std::string path = dir.File("secret");
  ASSERT_TRUE(WriteFileAtomically(path, "x").ok());
  chmod(path.c_str(), 0);
  if (geteuid() != 0) {  // root reads mode-0 files
    read = ReadFile(path);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(read.status().message().find("Permission denied"), std::string::npos)
        << read.status();
  }
}

TEST(FileIo, ReplacesTheWholeFileAndLeavesNoTemporaryBehind) {
  support::TempDir dir;
  const std::string path = dir.File("state.json");
  ASSERT_TRUE(WriteFileAtomically(path, std::string(1000, 'a')).ok());
  chmod(path.c_str(), 0600);
  ASSERT_TRUE(WriteFileAtomically(path, "short").ok());
  EXPECT_EQ(ReadFile(path).value(), "short");
  struct stat info;
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u) << "the replaced file's mode is kept";
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename(), "state.json");
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(FileIo, WriteIntoAMissingDirectoryFailsNamingThePath) {
  support::TempDir dir;
  const std::string path = dir.File("no/such/dir/file");
  absl::Status status = WriteFileAtomically(path, "x");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(path), std::string::npos) << status;
}

}  // namespace
}  // namespace ptune
