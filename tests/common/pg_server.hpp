#pragma once
// A real PostgreSQL server for a test: initdb + pg_ctl in a fresh folder under
// the build folder, listening only on a unix socket in that folder (no TCP),
// trust authentication for the superuser "postgres". As root, the server runs
// as `nobody` (PostgreSQL refuses to run as root). Stopped and removed on
// destruction. available() is false when the postgres binaries are absent
// (the test then reports SKIPPED; scripts/install-deps.sh --test installs them).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace rig::test {

class PgServer {
public:
    static std::filesystem::path bin_dir() {
        for (const char* v : {"17", "16", "15"}) {
            const std::filesystem::path d = std::string("/usr/lib/postgresql/") + v + "/bin";
            if (std::filesystem::exists(d / "initdb") && std::filesystem::exists(d / "pg_ctl")) return d;
        }
        return {};
    }
    static bool available() { return !bin_dir().empty(); }

    PgServer() {
        std::string tmpl = (std::filesystem::path(PENRIG_TEST_BINARY_DIR) / "pg-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::filesystem::permissions(dir_, std::filesystem::perms::all);
        if (::geteuid() == 0) as_ = "runuser -u nobody -- ";
        if (!as_.empty() && std::system(("chown nobody " + dir_.string()).c_str()) != 0) throw std::runtime_error("chown");
        const auto bin = bin_dir();
        run(bin / "initdb", "-D " + q(dir_ / "data") + " -U postgres --auth=trust -N -E UTF8 --no-locale > " +
                                q(dir_ / "initdb.log") + " 2>&1");
        start();
    }
    ~PgServer() {
        stop();
        std::error_code ec;
        if (std::getenv("PENRIG_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove_all(dir_, ec);
    }
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    void start() {
        run(bin_dir() / "pg_ctl", "-D " + q(dir_ / "data") + " -l " + q(dir_ / "server.log") +
                                      " -w -t 30 -o \"-k " + dir_.string() +
                                      " -c listen_addresses='' -c fsync=off -c max_connections=40\" start > /dev/null");
        running_ = true;
    }
    void stop() {
        if (!running_) return;
        running_ = false;
        const std::string cmd = as_ + (bin_dir() / "pg_ctl").string() + " -D " + q(dir_ / "data") + " -m fast -w stop > /dev/null 2>&1";
        [[maybe_unused]] const int rc = std::system(cmd.c_str());
    }
    /// A URL for database `db` as the superuser.
    [[nodiscard]] std::string url(const std::string& db = "postgres") const {
        return "postgresql:///" + db + "?host=" + dir_.string() + "&user=postgres";
    }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

private:
    static std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }
    void run(const std::filesystem::path& exe, const std::string& args) const {
        const std::string cmd = as_ + exe.string() + " " + args;
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    }
    std::filesystem::path dir_;
    std::string as_;
    bool running_ = false;
};

}  // namespace rig::test
