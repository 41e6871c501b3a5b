#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ptune {
namespace {

absl::Status SystemError(const std::string& path, absl::string_view what, int error) {
  const std::string message = absl::StrCat(path, ": ", what, " (", std::strerror(error), ")");
  if (error == ENOENT) return absl::NotFoundError(message);
  return absl::FailedPreconditionError(message);
}

// Closes the descriptor on every path out of a function.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, so the caller sees the error close() may report (NFS, quotas).
  int Close() {
    const int result = close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, std::string_view contents, const std::string& path) {
  while (!contents.empty()) {
    const ssize_t written = write(fd, contents.data(), contents.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return SystemError(path, "cannot write", errno);
    contents.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteAndSync(int fd, std::string_view contents, const std::string& temp) {
  if (absl::Status status = WriteAll(fd, contents, temp); !status.ok()) return status;
  if (fsync(fd) != 0) return SystemError(temp, "cannot fsync", errno);
  return absl::OkStatus();
}

// mkstemp creates 0600; the new file keeps the replaced file's mode, or gets 0644.
mode_t ModeFor(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) == 0) return info.st_mode & 07777;
  return 0644;
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return SystemError(path, "cannot open", errno);
  struct stat info;
  if (fstat(fd.get(), &info) == 0 && S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": is a directory, not a file"));
  }
  std::string contents;
  char buffer[1 << 16];
  while (true) {
    const ssize_t got = read(fd.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return SystemError(path, "cannot read", errno);
    if (got == 0) return contents;
    contents.append(buffer, static_cast<size_t>(got));
  }
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string temp = absl::StrCat(path, ".tmp-XXXXXX");
  FileDescriptor fd(mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) return SystemError(path, "cannot create a temporary file beside it", errno);
  absl::Status status = WriteAndSync(fd.get(), contents, temp);
  if (status.ok() && fchmod(fd.get(), ModeFor(path)) != 0) {
    status = SystemError(temp, "cannot chmod", errno);
  }
  if (fd.Close() != 0 && status.ok()) status = SystemError(temp, "cannot close", errno);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = SystemError(path, "cannot rename the temporary file over it", errno);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  const std::string directory = DirectoryOf(path);
  FileDescriptor dir(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return SystemError(directory, "cannot open the directory to fsync", errno);
  if (fsync(dir.get()) != 0) return SystemError(directory, "cannot fsync the directory", errno);
  return absl::OkStatus();
}

}  // namespace ptune
