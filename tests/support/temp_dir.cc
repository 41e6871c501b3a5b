#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <filesystem>

namespace ptune::support {

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = base != nullptr && *base != '\0'
                                  ? std::filesystem::path(base)
                                  : std::filesystem::temp_directory_path();
  std::string pattern = (dir / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror(("ptune test support: mkdtemp " + pattern).c_str());
    std::abort();
  }
  path_ = std::filesystem::absolute(pattern).string();
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::File(std::string_view name) const { return path_ + "/" + std::string(name); }

}  // namespace ptune::support
