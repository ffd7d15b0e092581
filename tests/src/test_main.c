/* test_main.c - the sioc executable end to end: --help / --version, exit code 2 and a message
 * naming the option for invalid options (command line, environment, config file), and a start
 * on --port 0 that prints its port, answers an Engine.IO handshake on /engine.io/ (--echo) and
 * exits 0 on SIGTERM. The binary is the `sioc` next to this test binary (same build dir); the
 * tests are skipped if it was not built. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "tests/support/leakcheck.h"

TestSuite(main, .fini = sioc_check_leaks, .timeout = 30);

extern char **environ;

static char sioc_path[PATH_MAX + 8];

/* Finds build/sioc next to build/test_src, or skips the test. */
static void find_sioc(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    cr_assert_gt(n, 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
    snprintf(sioc_path, sizeof(sioc_path), "%s/sioc", self);
    if (access(sioc_path, X_OK) != 0)
        cr_skip_test("%s not built", sioc_path);
}

typedef struct st_proc_t {
    pid_t pid;
    int out, err; /* read ends of stdout / stderr */
} proc_t;

/* Starts sioc with `args` (NULL-terminated, after argv[0]) and `extra_env` added to environ. */
static proc_t spawn_sioc(const char *const *args, const char *const *extra_env)
{
    proc_t p;
    int out[2], err[2];
    cr_assert_eq(pipe(out), 0);
    cr_assert_eq(pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    char *argv[32] = {sioc_path};
    size_t argc = 1;
    for (size_t i = 0; args[i] != NULL && argc < 31; i++)
        argv[argc++] = (char *)args[i];
    char *envp[256];
    size_t envc = 0;
    for (char **e = environ; *e != NULL && envc < 200; e++)
        if (strncmp(*e, "SIOC_", 5) != 0) /* the tests' own settings only */
            envp[envc++] = *e;
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && envc < 255; i++)
        envp[envc++] = (char *)extra_env[i];
    envp[envc] = NULL;
    cr_assert_eq(posix_spawn(&p.pid, sioc_path, &fa, NULL, argv, envp), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    p.out = out[0];
    p.err = err[0];
    return p;
}

/* Reads `fd` until EOF or until `until` appears (NULL: EOF), for at most `ms`. */
static char *read_until(int fd, const char *until, int ms)
{
    buf_t b = BUF_INIT;
    buf_append_str(&b, "");
    uint64_t end = time_now_ms() + (uint64_t)ms;
    while (until == NULL || strstr(b.base, until) == NULL) {
        uint64_t now = time_now_ms();
        if (now >= end)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(end - now)) <= 0)
            break;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        buf_append(&b, chunk, (size_t)n);
    }
    return buf_steal(&b, NULL);
}

/* Waits up to `ms` for the exit; returns the exit status, or -1 (and kills it) on timeout. */
static int wait_exit(proc_t *p, int ms)
{
    uint64_t end = time_now_ms() + (uint64_t)ms;
    int status;
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (time_now_ms() >= end) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            return -1;
        }
        usleep(10000);
    }
    close(p->out);
    close(p->err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs sioc to completion; returns its exit code and (malloc'ed) stdout and stderr. */
static int run_sioc(const char *const *args, const char *const *env, char **out, char **err)
{
    proc_t p = spawn_sioc(args, env);
    *out = read_until(p.out, NULL, 5000);
    *err = read_until(p.err, NULL, 5000);
    return wait_exit(&p, 5000);
}

Test(main, help_lists_options_and_exits_0)
{
    find_sioc();
    char *out, *err;
    const char *args[] = {"--help", NULL};
    cr_assert_eq(run_sioc(args, NULL, &out, &err), 0);
    cr_expect(strstr(out, "--ping-interval MS") != NULL, "%s", out);
    cr_expect(strstr(out, "SIOC_MAX_DISCONNECTION_DURATION") != NULL);
    cr_expect(strstr(out, "--[no-]allow-upgrades") != NULL);
    free(out);
    free(err);
}

Test(main, version)
{
    find_sioc();
    char *out, *err;
    const char *args[] = {"--version", NULL};
    cr_assert_eq(run_sioc(args, NULL, &out, &err), 0);
    cr_expect(strncmp(out, "sioc ", 5) == 0, "%s", out);
    free(out);
    free(err);
}

Test(main, invalid_options_exit_2_naming_the_option)
{
    find_sioc();
    static const struct {
        const char *arg1, *arg2, *env, *want1, *want2;
    } cases[] = {
        {"--port", "70000", NULL, "--port", "command line"},
        {"--ping-interval", "soon", NULL, "--ping-interval", NULL},
        {"--transports", "polling,flash", NULL, "--transports", "flash"},
        {"--bogus", NULL, NULL, "unknown option --bogus", NULL},
        {"--echo=perhaps", NULL, NULL, "--echo", NULL},
        {NULL, NULL, "SIOC_TRANSPORTS=flash", "--transports", "SIOC_TRANSPORTS"},
        {NULL, NULL, "SIOC_MAX_HTTP_BUFFER_SIZE=-5", "--max-http-buffer-size",
         "SIOC_MAX_HTTP_BUFFER_SIZE"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *args[] = {cases[i].arg1, cases[i].arg2, NULL};
        const char *env[] = {cases[i].env, NULL};
        char *out, *err;
        int rc = run_sioc(args, env, &out, &err);
        cr_expect_eq(rc, 2, "case %zu: exit %d", i, rc);
        cr_expect(strstr(err, cases[i].want1) != NULL, "case %zu: %s", i, err);
        if (cases[i].want2 != NULL)
            cr_expect(strstr(err, cases[i].want2) != NULL, "case %zu: %s", i, err);
        free(out);
        free(err);
    }
}

Test(main, config_file_error_names_the_line)
{
    find_sioc();
    char path[] = "/tmp/sioc-test-main-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "# test\necho\nupgrade-timeout = later\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *args[] = {"--config", path, NULL};
    char *out, *err;
    int rc = run_sioc(args, NULL, &out, &err);
    unlink(path);
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "--upgrade-timeout") != NULL, "%s", err);
    cr_expect(strstr(err, "line 3") != NULL, "%s", err);
    free(out);
    free(err);
}

/* One HTTP/1.0 GET (the server closes after it); returns the response (malloc'ed). */
static char *http_get(unsigned port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    char *res = read_until(fd, NULL, 5000);
    close(fd);
    return res;
}

Test(main, listens_on_port_0_answers_and_stops_on_sigterm)
{
    find_sioc();
    const char *args[] = {"--port", "0", "--host", "127.0.0.1", "--echo", NULL};
    proc_t p = spawn_sioc(args, NULL);
    char *line = read_until(p.out, "\n", 10000);
    unsigned port = 0;
    cr_assert_eq(sscanf(line, "sioc listening on http://127.0.0.1:%u", &port), 1, "%s", line);
    cr_assert_gt(port, 0);
    char *res = http_get(port, "/engine.io/?EIO=4&transport=polling");
    cr_expect(strstr(res, "\r\n\r\n0{\"sid\":\"") != NULL, "%s", res);
    cr_expect(strstr(res, "Server: sioc\r\n") != NULL, "%s", res);
    free(res);
    res = http_get(port, "/socket.io/?EIO=4&transport=polling");
    cr_expect(strstr(res, "\r\n\r\n0{\"sid\":\"") != NULL, "%s", res);
    free(res);
    uint64_t t0 = time_now_ms();
    kill(p.pid, SIGTERM);
    char *err = read_until(p.err, NULL, 5000);
    int rc = wait_exit(&p, 5000);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect_lt(time_now_ms() - t0, 2500);
    cr_expect(strstr(err, "Sanitizer") == NULL, "%s", err);
    free(err);
    free(line);
}
