#include "rig/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace rig {
namespace {
[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
    throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};
}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    // Created with mode 0666 so that the kernel applies the process umask (a
    // daemon under UMask=0027 writes 0640 files); mkstemp would force 0600 and
    // a fixed fchmod would ignore the umask. The name is unique per process
    // (pid) and per call (counter); O_EXCL makes a collision a retry.
    static std::atomic<unsigned> counter{0};
    std::string tmpl;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
        tmpl = (dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter.fetch_add(1, std::memory_order_relaxed))))
                   .string();
        fd = ::open(tmpl.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) throw_errno("cannot create a temporary file beside", path);
    std::size_t off = 0;
    while (off < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            ::unlink(tmpl.c_str());
            throw std::system_error(e, std::generic_category(), "cannot write " + path.string());
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int e = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        throw std::system_error(e, std::generic_category(), "cannot sync " + path.string());
    }
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmpl.c_str());
        throw std::system_error(e, std::generic_category(), "cannot close " + path.string());
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmpl.c_str());
        throw std::system_error(e, std::generic_category(), "cannot rename into " + path.string());
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        const int rc = ::fsync(dfd);
        const int e = errno;
        ::close(dfd);
        if (rc != 0) throw std::system_error(e, std::generic_category(), "cannot sync the folder of " + path.string());
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_errno("cannot open", path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw_errno("cannot read", path);
    return ss.str();
}

std::string read_input_file_bounded(const std::filesystem::path& path, std::size_t max_bytes) {
    using K = InputFileError::Kind;
    // O_NONBLOCK: opening a FIFO with no writer would otherwise block forever.
    Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0) {
        const int e = errno;
        if (e == ENOENT || e == ENOTDIR) throw InputFileError(K::missing, "no such file");
        if (e == EISDIR) throw InputFileError(K::directory, "is a directory, expected a file");
        throw InputFileError(K::unreadable, std::string("cannot open: ") + std::strerror(e));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw InputFileError(K::unreadable, std::string("cannot stat: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode)) throw InputFileError(K::directory, "is a directory, expected a file");
    if (!S_ISREG(st.st_mode)) {
        const char* what = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
                           : S_ISBLK(st.st_mode) ? "a block device" : S_ISSOCK(st.st_mode) ? "a socket" : "not a file";
        throw InputFileError(K::not_regular, std::string("is ") + what + ", not a regular file");
    }
    const auto limit_msg = [&] {
        return "is larger than the input file limit of " + std::to_string(max_bytes) + " bytes";
    };
    if (static_cast<std::size_t>(st.st_size) > max_bytes) throw InputFileError(K::too_large, limit_msg());
    // The file may grow while read: read at most one byte beyond the limit.
    // The buffer starts at the file's size (+1 to see growth) and doubles only
    // if the file grew: the text is kept (a queued scenario holds its fixture
    // and spec texts), so its capacity must be the file's size, not the limit
    // (512 KiB per file held by each of the daemon's 64 queued runs otherwise).
    std::string out;
    out.resize(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t got = 0;
    for (;;) {
        if (got == out.size()) {
            if (out.size() > max_bytes) break;
            out.resize(std::min(max_bytes + 1, 2 * out.size()));
        }
        const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw InputFileError(K::unreadable, std::string("cannot read: ") + std::strerror(errno));
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > max_bytes) throw InputFileError(K::too_large, limit_msg());
    out.resize(got);
    out.shrink_to_fit();  // only when the file grew while read
    return out;
}

}  // namespace rig
