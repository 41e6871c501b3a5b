#ifndef PTUNE_TESTS_SUPPORT_TEMP_DIR_H_
#define PTUNE_TESTS_SUPPORT_TEMP_DIR_H_

// A fresh directory for one test, removed with everything in it when the object goes out
// of scope, so tests running in parallel never share or leak files.

#include <string>
#include <string_view>

namespace ptune::support {

class TempDir {
 public:
  // Creates "<base>/<prefix>-XXXXXX", base being $TEST_TMPDIR when set, else the system
  // temporary directory. Aborts the test binary when it cannot be created.
  explicit TempDir(std::string_view prefix = "ptune-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory's absolute path, without a trailing slash.
  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string File(std::string_view name) const;
  // Leaves the directory in place at scope exit (e.g. to read the logs of a failed test).
  void Keep() { keep_ = true; }

 private:
  std::string path_;
  bool keep_ = false;
};

}  // namespace ptune::support

#endif  // PTUNE_TESTS_SUPPORT_TEMP_DIR_H_
