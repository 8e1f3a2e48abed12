/* freeze_threads PID SECONDS: stop every thread of PID except its main thread
 * for at most SECONDS, as a hung acquisition loop and run worker would be,
 * while the main thread (the daemon's I/O thread: socket, signals, systemd
 * watchdog) keeps running. Used by tests/system/run-in-vm.sh to show that the
 * daemon stops feeding systemd's watchdog when its loop hangs.
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

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: freeze_threads PID SECONDS\n");
        return 2;
    }
    const pid_t pid = (pid_t)atoi(argv[1]);
    const int seconds = atoi(argv[2]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
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
    for (int i = 0; i < seconds * 10 && kill(pid, 0) == 0; ++i) {
        const struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    return frozen > 0 ? 0 : 1; /* exiting detaches every frozen thread */
}
