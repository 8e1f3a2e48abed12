/* freeze_threads PID SECONDS [--on-new-thread [--wait-only]]: stop every thread of PID
 * except its main thread for at most SECONDS, as a hung acquisition loop and
 * run worker would be, while the main thread (the daemon's I/O thread: socket,
 * signals, systemd watchdog) keeps running. With --on-new-thread, only the
 * threads that appear after the start (a run's acquisition thread): exactly a
 * hung loop, the run worker and the I/O thread going on. Used by tests/system/run-in-vm.sh
 * to show that the daemon stops feeding systemd's watchdog when its loop hangs.
 *
 * --on-new-thread: first wait (polling every millisecond, at most SECONDS)
 * for a thread that was not there at start, i.e. a run's acquisition thread,
 * and freeze at once: on a slow emulated machine a freeze seconds later could
 * come after the run has already ended. --wait-only: only that wait, exit 0
 * when the new thread is there (the test then stops or kills the daemon while
 * the run has surely begun).
 *
 * PTRACE_SEIZE + PTRACE_INTERRUPT stop one thread (a SIGSTOP would stop the
 * whole process). The threads are let go when SECONDS pass, when this program
 * ends, or when the process dies (systemd's watchdog kills it). Exit 0 when at
 * least one thread was frozen. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The thread ids of one process; -1 when it is gone. */
static int list_threads(const char* path, pid_t* out, int max) {
    DIR* d = opendir(path);
    if (d == NULL) return -1;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL && n < max) {
        const pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0) out[n++] = tid;
    }
    closedir(d);
    return n;
}

/* utime + stime (clock ticks) of the threads of `path` not in `known`. */
static long new_threads_cpu_ticks(const char* path, const pid_t* known, int n_known) {
    pid_t now[256];
    const int n = list_threads(path, now, 256);
    long ticks = 0;
    for (int a = 0; a < n; ++a) {
        int old = 0;
        for (int b = 0; b < n_known; ++b) old |= now[a] == known[b];
        if (old) continue;
        char stat_path[96];
        snprintf(stat_path, sizeof stat_path, "%s/%d/stat", path, (int)now[a]);
        FILE* f = fopen(stat_path, "r");
        if (f == NULL) continue;
        char buf[1024];
        const size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char* p = strrchr(buf, ')'); /* the name may hold spaces */
        long utime = 0, stime = 0;
        /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) == 2) {
            ticks += utime + stime;
        }
    }
    return ticks;
}

int main(int argc, char** argv) {
    const int on_new = argc >= 4 && strcmp(argv[3], "--on-new-thread") == 0;
    const int wait_only = argc == 5 && on_new && strcmp(argv[4], "--wait-only") == 0;
    if (argc < 3 || argc > 5 || (argc >= 4 && !on_new) || (argc == 5 && !wait_only)) {
        fprintf(stderr, "usage: freeze_threads PID SECONDS [--on-new-thread [--wait-only]]\n");
        return 2;
    }
    const pid_t pid = (pid_t)atoi(argv[1]);
    const int seconds = atoi(argv[2]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    enum { max_known = 256 };
    pid_t known[max_known];
    int n_known = 0;
    if (on_new) {
        n_known = list_threads(path, known, max_known);
        if (n_known < 0) return 1;
        int found = 0;
        for (long i = 0; i < seconds * 1000L && !found && kill(pid, 0) == 0; ++i) {
            pid_t now[max_known];
            const int n = list_threads(path, now, max_known);
            for (int a = 0; a < n && !found; ++a) {
                int seen = 0;
                for (int b = 0; b < n_known; ++b) seen |= now[a] == known[b];
                found = !seen;
            }
            const struct timespec t = {0, 1000 * 1000};
            if (!found) nanosleep(&t, NULL);
        }
        if (!found) {
            fprintf(stderr, "no new thread in %d s\n", seconds);
            return 1;
        }
        if (wait_only) return 0;
        /* Let the loop make its first iterations: the daemon supervises a
         * heartbeat only once it has started (a loop stuck before its first
         * iteration reads 0, "not running", and is not caught). The new
         * threads have iterated once they have used 50 ms of CPU (5 ticks),
         * however slow the machine. */
        for (long i = 0; i < seconds * 100L && new_threads_cpu_ticks(path, known, n_known) < 5; ++i) {
            const struct timespec t = {0, 10 * 1000 * 1000};
            nanosleep(&t, NULL);
        }
    }
    DIR* d = opendir(path);
    if (d == NULL) {
        perror(path);
        return 1;
    }
    int frozen = 0;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        const pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == pid) continue;
        int old = 0; /* with --on-new-thread only the new thread(s): the hung loop alone */
        for (int b = 0; b < n_known; ++b) old |= tid == known[b];
        if (old) continue;
        if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0 || ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
            fprintf(stderr, "thread %d: %s\n", (int)tid, strerror(errno));
            continue;
        }
        int st = 0;
        if (waitpid(tid, &st, __WALL) == tid) {
            printf("frozen thread %d\n", (int)tid);
            ++frozen;
        }
    }
    closedir(d);
    fflush(stdout);
    /* Hold until SECONDS pass or every frozen thread has died (the daemon was
     * killed): a dead tracee stays a zombie until its tracer reaps it, and the
     * process is not gone (systemd cannot restart it) until then. */
    int alive = frozen;
    for (int i = 0; i < seconds * 100 && alive > 0; ++i) {
        int st = 0;
        const pid_t r = waitpid(-1, &st, __WALL | WNOHANG);
        if (r > 0 && (WIFEXITED(st) || WIFSIGNALED(st))) {
            --alive;
            continue;
        }
        const struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    return frozen > 0 ? 0 : 1; /* exiting detaches every frozen thread */
}
