/* test_config.c - srv_config_*: defaults, every option from each source, precedence
 * (defaults < file < env < argv), error messages naming the option, and the --help text. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/core/config.h"
#include "tests/support/leakcheck.h"

static srv_config_t conf;
static char *err;

static void setup(void)
{
    srv_config_init(&conf);
    err = NULL;
}

static void teardown(void)
{
    srv_config_dispose(&conf);
    free(err);
    sioc_check_leaks();
}

TestSuite(config, .init = setup, .fini = teardown);

/* Parses the NULL-terminated list of arguments after "sioc" (at most 63). */
static int parse_args(const char *first, ...)
{
    char *argv[64] = {"sioc"};
    int argc = 1;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    return srv_config_parse_argv(&conf, argc, argv, &err);
}
#define ARGV(...) parse_args(__VA_ARGS__, NULL)

static int parse_text(const char *text)
{
    return srv_config_parse_file_text(&conf, text, strlen(text), "test.conf", &err);
}

/* Asserts that the last call failed with a message containing every given fragment. */
static void expect_error(int rc, const char *frag1, const char *frag2)
{
    cr_assert_eq(rc, -EINVAL);
    cr_assert_not_null(err);
    cr_expect(strstr(err, frag1) != NULL, "\"%s\" not in \"%s\"", frag1, err);
    if (frag2 != NULL)
        cr_expect(strstr(err, frag2) != NULL, "\"%s\" not in \"%s\"", frag2, err);
}

Test(config, defaults)
{
    cr_expect_str_eq(conf.host, "0.0.0.0");
    cr_expect_eq(conf.port, 3000);
    cr_expect_str_eq(conf.path, "/socket.io/");
    cr_expect_eq(conf.ping_interval_ms, 25000);
    cr_expect_eq(conf.ping_timeout_ms, 20000);
    cr_expect_eq(conf.upgrade_timeout_ms, 10000);
    cr_expect_eq(conf.max_http_buffer_size, 1000000);
    cr_expect_eq(conf.connect_timeout_ms, 45000);
    cr_expect_eq(conf.transports, SRV_TRANSPORT_POLLING | SRV_TRANSPORT_WEBSOCKET);
    cr_expect(conf.allow_upgrades);
    cr_expect_null(conf.cors_origin);
    cr_expect(!conf.cors_credentials);
    cr_expect_null(conf.cookie);
    cr_expect(conf.http_compression);
    cr_expect(!conf.allow_eio3);
    cr_expect(!conf.echo);
    cr_expect(!conf.echo_extras);
    cr_expect(!conf.recovery);
    cr_expect_eq(conf.max_disconnection_duration_ms, 120000);
    cr_expect_str_eq(conf.database, "sqlite:data/sioc.db");
    cr_expect_null(conf.redis);
    cr_expect_null(conf.jwt_secret);
    cr_expect(!conf.production);
    cr_expect(!conf.bench_app);
    cr_expect_eq(conf.log_level, LOG_LEVEL_INFO);
    cr_expect_null(conf.config_file);
    cr_expect(!conf.help);
    cr_expect(!conf.version);
}

Test(config, every_option_from_argv)
{
    cr_assert_eq(ARGV("--host", "127.0.0.1", "--port=0", "--path", "/rt/", "--ping-interval", "300",
                      "--ping-timeout=200", "--upgrade-timeout", "150", "--max-http-buffer-size",
                      "5000", "--connect-timeout", "99", "--transports", "websocket",
                      "--no-allow-upgrades", "--cors-origin", "http://a.test,http://b.test",
                      "--cors-credentials", "--cookie", "io", "--http-compression=false",
                      "--allow-eio3", "--echo", "--echo-extras=yes", "--recovery=1",
                      "--max-disconnection-duration", "0", "--database",
                      "postgres://u@127.0.0.1:5/db", "--redis", "redis://127.0.0.1:7",
                      "--jwt-secret", "s3cret", "--production", "--bench-app=on", "--log-level",
                      "debug", "--config", "x.conf"),
                 0, "%s", err);
    cr_expect_str_eq(conf.host, "127.0.0.1");
    cr_expect_eq(conf.port, 0);
    cr_expect_str_eq(conf.path, "/rt/");
    cr_expect_eq(conf.ping_interval_ms, 300);
    cr_expect_eq(conf.ping_timeout_ms, 200);
    cr_expect_eq(conf.upgrade_timeout_ms, 150);
    cr_expect_eq(conf.max_http_buffer_size, 5000);
    cr_expect_eq(conf.connect_timeout_ms, 99);
    cr_expect_eq(conf.transports, SRV_TRANSPORT_WEBSOCKET);
    cr_expect(!conf.allow_upgrades);
    cr_expect_str_eq(conf.cors_origin, "http://a.test,http://b.test");
    cr_expect(conf.cors_credentials);
    cr_expect_str_eq(conf.cookie, "io");
    cr_expect(!conf.http_compression);
    cr_expect(conf.allow_eio3);
    cr_expect(conf.echo);
    cr_expect(conf.echo_extras);
    cr_expect(conf.recovery);
    cr_expect_eq(conf.max_disconnection_duration_ms, 0);
    cr_expect_str_eq(conf.database, "postgres://u@127.0.0.1:5/db");
    cr_expect_str_eq(conf.redis, "redis://127.0.0.1:7");
    cr_expect_str_eq(conf.jwt_secret, "s3cret");
    cr_expect(conf.production);
    cr_expect(conf.bench_app);
    cr_expect_eq(conf.log_level, LOG_LEVEL_DEBUG);
    cr_expect_str_eq(conf.config_file, "x.conf");
}

Test(config, booleans_all_spellings)
{
    const char *yes[] = {"true", "TRUE", "yes", "on", "1"};
    const char *no[] = {"false", "False", "no", "off", "0"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        cr_assert_eq(srv_config_set(&conf, "echo", yes[i], SRV_CONFIG_ARGV, &err), 0);
        cr_expect(conf.echo, "%s", yes[i]);
        cr_assert_eq(srv_config_set(&conf, "echo", no[i], SRV_CONFIG_ARGV, &err), 0);
        cr_expect(!conf.echo, "%s", no[i]);
    }
    cr_assert_eq(ARGV("--echo", "--no-echo"), 0);
    cr_expect(!conf.echo);
    cr_assert_eq(ARGV("--no-http-compression", "--http-compression"), 0);
    cr_expect(conf.http_compression);
    cr_assert_eq(ARGV("--allow-upgrades=false"), 0);
    cr_expect(!conf.allow_upgrades);
}

Test(config, transports_forms)
{
    cr_assert_eq(ARGV("--transports=polling"), 0);
    cr_expect_eq(conf.transports, SRV_TRANSPORT_POLLING);
    cr_assert_eq(ARGV("--transports", "websocket, polling"), 0);
    cr_expect_eq(conf.transports, SRV_TRANSPORT_POLLING | SRV_TRANSPORT_WEBSOCKET);
    expect_error(ARGV("--transports", "polling,flash"), "--transports", "\"flash\"");
    free(err);
    err = NULL;
    expect_error(ARGV("--transports="), "--transports", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--transports", "polling,"), "--transports", NULL);
    cr_expect_eq(conf.transports, SRV_TRANSPORT_POLLING | SRV_TRANSPORT_WEBSOCKET);
}

Test(config, integer_ranges)
{
    cr_assert_eq(ARGV("--port", "65535"), 0);
    cr_expect_eq(conf.port, 65535);
    expect_error(ARGV("--port", "65536"), "--port", "0 to 65535");
    free(err);
    err = NULL;
    expect_error(ARGV("--port", "-1"), "--port", "\"-1\"");
    free(err);
    err = NULL;
    expect_error(ARGV("--port", "80x"), "--port", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--port", " 80"), "--port", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--ping-interval", "0"), "--ping-interval", "1 to");
    free(err);
    err = NULL;
    expect_error(ARGV("--ping-timeout", "99999999999999999999999"), "--ping-timeout", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--max-http-buffer-size", "1e6"), "--max-http-buffer-size", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--upgrade-timeout", ""), "--upgrade-timeout", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--connect-timeout", "2147483648"), "--connect-timeout", NULL);
    cr_expect_eq(conf.port, 65535);
    cr_expect_eq(conf.ping_interval_ms, 25000);
    cr_assert_eq(ARGV("--connect-timeout", "2147483647"), 0);
    cr_expect_eq(conf.connect_timeout_ms, 2147483647u);
}

Test(config, string_checks)
{
    cr_assert_eq(ARGV("--host", "::1"), 0);
    cr_expect_str_eq(conf.host, "::1");
    expect_error(ARGV("--host", "example.com"), "--host", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--path", "socket.io"), "--path", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--path", "/a b"), "--path", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--cookie", "a;b"), "--cookie", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--database", "mysql://x"), "--database", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--redis", "127.0.0.1:6379"), "--redis", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--cors-origin", "http://a,,http://b"), "--cors-origin", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--log-level", "verbose"), "--log-level", "\"verbose\"");
    free(err);
    err = NULL;
    expect_error(ARGV("--config="), "--config", NULL);
    cr_expect_str_eq(conf.host, "::1");
    cr_expect_str_eq(conf.path, "/socket.io/");
    cr_assert_eq(ARGV("--database", "sqlite::memory:"), 0);
    cr_expect_str_eq(conf.database, "sqlite::memory:");
}

Test(config, optional_strings_unset_with_empty_value)
{
    cr_assert_eq(
        ARGV("--cors-origin", "*", "--cookie", "io", "--redis", "redis://h", "--jwt-secret", "k"),
        0);
    cr_expect_str_eq(conf.cors_origin, "*");
    cr_assert_eq(ARGV("--cors-origin=", "--cookie=", "--redis=", "--jwt-secret="), 0);
    cr_expect_null(conf.cors_origin);
    cr_expect_null(conf.cookie);
    cr_expect_null(conf.redis);
    cr_expect_null(conf.jwt_secret);
}

Test(config, argv_errors_name_the_option)
{
    expect_error(ARGV("--bogus"), "unknown option --bogus", "command line");
    free(err);
    err = NULL;
    expect_error(ARGV("--port"), "--port needs a value", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--echo=maybe"), "--echo", "true or false");
    free(err);
    err = NULL;
    expect_error(ARGV("--no-port"), "--port", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--no-echo=1"), "--no-echo", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--help=1"), "--help", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("3000"), "unexpected argument \"3000\"", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("-p"), "\"-p\"", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--"), "\"--\"", NULL);
    free(err);
    err = NULL;
    expect_error(ARGV("--no-bogus"), "unknown option --no-bogus", NULL);
}

Test(config, help_and_version_flags)
{
    cr_assert_eq(ARGV("--help"), 0);
    cr_expect(conf.help);
    cr_assert_eq(ARGV("--version"), 0);
    cr_expect(conf.version);
    srv_config_dispose(&conf);
    srv_config_init(&conf);
    cr_assert_eq(ARGV("-h"), 0);
    cr_expect(conf.help);
}

Test(config, error_values_are_escaped_and_truncated)
{
    char longv[200];
    memset(longv, 'x', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    longv[0] = '\x01';
    expect_error(srv_config_set(&conf, "port", longv, SRV_CONFIG_ARGV, &err), "\\x01xx", "...");
    cr_expect_lt(strlen(err), 200);
}

Test(config, file_text_every_form)
{
    const char *text = "# a comment\n"
                       "\n"
                       "   # indented comment\n"
                       "port = 4001\n"
                       "ping-interval=1000\r\n"
                       "  echo  \n"
                       "cors-origin = \"http://x.test\"\n"
                       "jwt-secret = 'a # b'\n"
                       "transports = polling\n"
                       "http-compression = off\n"
                       "log-level = warn"; /* no final newline */
    cr_assert_eq(parse_text(text), 0, "%s", err);
    cr_expect_eq(conf.port, 4001);
    cr_expect_eq(conf.ping_interval_ms, 1000);
    cr_expect(conf.echo);
    cr_expect_str_eq(conf.cors_origin, "http://x.test");
    cr_expect_str_eq(conf.jwt_secret, "a # b");
    cr_expect_eq(conf.transports, SRV_TRANSPORT_POLLING);
    cr_expect(!conf.http_compression);
    cr_expect_eq(conf.log_level, LOG_LEVEL_WARN);
}

Test(config, file_text_errors_name_line_and_option)
{
    expect_error(parse_text("port = 1\nport = x\n"), "--port", "test.conf, line 2");
    free(err);
    err = NULL;
    expect_error(parse_text("\n\nnope = 1\n"), "unknown option \"nope\"", "line 3");
    free(err);
    err = NULL;
    expect_error(parse_text("port\n"), "--port: missing", "line 1");
    free(err);
    err = NULL;
    expect_error(parse_text("config = other.conf\n"), "--config is not allowed", NULL);
    free(err);
    err = NULL;
    expect_error(parse_text("help\n"), "--help is not allowed", NULL);
    free(err);
    err = NULL;
    expect_error(parse_text("= 3\n"), "unknown option \"\"", NULL);
    free(err);
    err = NULL;
    expect_error(srv_config_parse_file_text(&conf, "echo\0 = 1", 9, "f", &err), "NUL", NULL);
    cr_expect_eq(conf.port, 1); /* lines before the error were applied */
}

Test(config, env_names_and_values)
{
    char *envp[] = {"PATH=/bin",
                    "SIOC_PORT=4100",
                    "SIOC_PING_INTERVAL=111",
                    "SIOC_MAX_HTTP_BUFFER_SIZE=2048",
                    "SIOC_ALLOW_EIO3=true",
                    "SIOC_CORS_ORIGIN=*",
                    "SIOC_SOURCE_DIR=/unrelated", /* other SIOC_ variables are ignored */
                    "SIOC_TEST_PG=postgres://x",
                    "SIOC_HELP=1",
                    "sioc_port=1", /* names are case-sensitive */
                    NULL};
    cr_assert_eq(srv_config_parse_env(&conf, envp, &err), 0, "%s", err);
    cr_expect_eq(conf.port, 4100);
    cr_expect_eq(conf.ping_interval_ms, 111);
    cr_expect_eq(conf.max_http_buffer_size, 2048);
    cr_expect(conf.allow_eio3);
    cr_expect_str_eq(conf.cors_origin, "*");
    cr_expect(!conf.help);
}

Test(config, env_errors_name_option_and_variable)
{
    char *envp[] = {"SIOC_PING_TIMEOUT=soon", NULL};
    expect_error(srv_config_parse_env(&conf, envp, &err), "--ping-timeout", "SIOC_PING_TIMEOUT");
    free(err);
    err = NULL;
    char *envp2[] = {"SIOC_RECOVERY=", NULL};
    expect_error(srv_config_parse_env(&conf, envp2, &err), "--recovery", "SIOC_RECOVERY");
}

Test(config, precedence_file_env_argv)
{
    char path[] = "/tmp/sioc-test-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "port = 1111\nping-interval = 1\nping-timeout = 2\ncookie = fromfile\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char envfile[64 + sizeof(path)];
    snprintf(envfile, sizeof(envfile), "SIOC_CONFIG=%s", path);
    char *envp[] = {envfile, "SIOC_PORT=2222", "SIOC_PING_INTERVAL=3", NULL};
    char *argv[] = {"sioc", "--port", "3333", NULL};
    srv_config_dispose(&conf);
    int rc = srv_config_load(&conf, 3, argv, envp, &err);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(conf.port, 3333);          /* argv > env > file */
    cr_expect_eq(conf.ping_interval_ms, 3); /* env > file */
    cr_expect_eq(conf.ping_timeout_ms, 2);  /* file > default */
    cr_expect_str_eq(conf.cookie, "fromfile");
    cr_expect_eq(conf.upgrade_timeout_ms, 10000); /* default */
    cr_expect_str_eq(conf.config_file, path);
}

Test(config, argv_config_wins_over_env_config)
{
    char *envp[] = {"SIOC_CONFIG=/nonexistent/env.conf", NULL};
    char *argv[] = {"sioc", "--echo", "--config=/nonexistent/argv.conf", NULL};
    cr_expect_str_eq(srv_config_find_file(3, argv, envp), "/nonexistent/argv.conf");
    char *argv2[] = {"sioc", "--path", "--config", NULL}; /* a value, not the option */
    cr_expect_str_eq(srv_config_find_file(3, argv2, envp), "/nonexistent/env.conf");
    cr_expect_null(srv_config_find_file(1, argv, NULL));
    srv_config_dispose(&conf);
    expect_error(srv_config_load(&conf, 3, argv, envp, &err), "--config", "argv.conf");
}

Test(config, load_errors_in_file)
{
    char path[] = "/tmp/sioc-test-config-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "echo\nallow-upgrades = perhaps\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *argv[] = {"sioc", "--config", path, NULL};
    srv_config_dispose(&conf);
    int rc = srv_config_load(&conf, 3, argv, NULL, &err);
    unlink(path);
    expect_error(rc, "--allow-upgrades", "line 2");
}

Test(config, load_help_wins_over_bad_arguments)
{
    char *argv[] = {"sioc", "--port", "x", "--help", NULL};
    srv_config_dispose(&conf);
    cr_assert_eq(srv_config_load(&conf, 4, argv, NULL, &err), 0);
    cr_expect(conf.help);
    srv_config_dispose(&conf);
    char *argv2[] = {"sioc", "--port", "x", NULL};
    expect_error(srv_config_load(&conf, 3, argv2, NULL, &err), "--port", "command line");
}

Test(config, help_lists_every_option_default_and_env)
{
    static const char *names[][3] = {
        {"\n  --host ", "0.0.0.0", "SIOC_HOST"},
        {"\n  --port ", "3000", "SIOC_PORT"},
        {"\n  --path ", "/socket.io/", "SIOC_PATH"},
        {"\n  --ping-interval ", "25000", "SIOC_PING_INTERVAL"},
        {"\n  --ping-timeout ", "20000", "SIOC_PING_TIMEOUT"},
        {"\n  --upgrade-timeout ", "10000", "SIOC_UPGRADE_TIMEOUT"},
        {"\n  --max-http-buffer-size ", "1000000", "SIOC_MAX_HTTP_BUFFER_SIZE"},
        {"\n  --connect-timeout ", "45000", "SIOC_CONNECT_TIMEOUT"},
        {"\n  --transports ", "polling,websocket", "SIOC_TRANSPORTS"},
        {"\n  --[no-]allow-upgrades ", "true", "SIOC_ALLOW_UPGRADES"},
        {"\n  --cors-origin ", "(unset)", "SIOC_CORS_ORIGIN"},
        {"\n  --[no-]cors-credentials ", "false", "SIOC_CORS_CREDENTIALS"},
        {"\n  --cookie ", "(unset)", "SIOC_COOKIE"},
        {"\n  --[no-]http-compression ", "true", "SIOC_HTTP_COMPRESSION"},
        {"\n  --[no-]allow-eio3 ", "false", "SIOC_ALLOW_EIO3"},
        {"\n  --[no-]echo ", "false", "SIOC_ECHO"},
        {"\n  --[no-]echo-extras ", "false", "SIOC_ECHO_EXTRAS"},
        {"\n  --[no-]recovery ", "false", "SIOC_RECOVERY"},
        {"\n  --max-disconnection-duration ", "120000", "SIOC_MAX_DISCONNECTION_DURATION"},
        {"\n  --database ", "sqlite:data/sioc.db", "SIOC_DATABASE"},
        {"\n  --redis ", "(unset)", "SIOC_REDIS"},
        {"\n  --jwt-secret ", "(unset)", "SIOC_JWT_SECRET"},
        {"\n  --[no-]production ", "false", "SIOC_PRODUCTION"},
        {"\n  --[no-]bench-app ", "false", "SIOC_BENCH_APP"},
        {"\n  --log-level ", "info", "SIOC_LOG_LEVEL"},
        {"\n  --config ", "(unset)", "SIOC_CONFIG"},
        {"\n  --help ", NULL, NULL},
        {"\n  --version ", NULL, NULL},
    };
    char *help = srv_config_help("sioc");
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        const char *at = strstr(help, names[i][0]);
        cr_expect_not_null(at, "%s missing", names[i][0] + 3);
        if (at == NULL || names[i][1] == NULL)
            continue;
        /* the default and the env name are on the line after the option */
        const char *next = strchr(at + 1, '\n');
        cr_assert_not_null(next);
        const char *line_end = strchr(next + 1, '\n');
        char line[256];
        snprintf(line, sizeof(line), "%.*s", (int)(line_end - next - 1), next + 1);
        char want[128];
        snprintf(want, sizeof(want), "default: %s; env: %s", names[i][1], names[i][2]);
        cr_expect(strstr(line, want) != NULL, "%s: \"%s\" not in \"%s\"", names[i][0], want, line);
    }
    free(help);
}

Test(config, dispose_twice_is_safe)
{
    cr_assert_eq(ARGV("--cookie", "io"), 0);
    srv_config_dispose(&conf);
    srv_config_dispose(&conf);
    cr_expect_null(conf.host);
}
