/* test_web_static.c - srv_web_resolve: which file answers a path of the web app, on a real
 * directory laid out like a Next.js static export (index.html, chat.html, _next/static/...). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/core/web_static.h"
#include "tests/support/leakcheck.h"

static char root[64];

static void put(const char *rel)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f, "%s", p);
    fputs("x", f);
    fclose(f);
}

static void setup(void)
{
    char p[256];
    snprintf(root, sizeof(root), "/tmp/sioc-web-test.XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(p, sizeof(p), "%s/_next", root);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/_next/static", root);
    mkdir(p, 0700);
    snprintf(p, sizeof(p), "%s/desk", root);
    mkdir(p, 0700);
    put("index.html");
    put("chat.html");
    put("chat.txt");
    put("desk/index.html");
    put("_next/static/app-1a2b.js");
    put(".env");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    cr_expect_eq(system(cmd), 0);
    sioc_check_leaks();
}

TestSuite(web_static, .init = setup, .fini = teardown);

/* Resolves `path` and returns the result; the file found (relative to root) goes to `rel`. */
static int resolve(const char *path, char *rel, size_t relsz)
{
    char out[512];
    int rc = srv_web_resolve(root, path, strlen(path), out, sizeof(out));
    rel[0] = '\0';
    if (rc > 0) {
        cr_assert(strncmp(out, root, strlen(root)) == 0, "%s is outside %s", out, root);
        snprintf(rel, relsz, "%s", out + strlen(root));
    }
    return rc;
}

Test(web_static, pages_map_to_their_html)
{
    char rel[256];
    cr_expect_eq(resolve("/", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/index.html");
    cr_expect_eq(resolve("/chat", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/chat.html");
    cr_expect_eq(resolve("/chat/", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/chat.html");
    cr_expect_eq(resolve("/desk", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/desk/index.html");
    cr_expect_eq(resolve("/desk/", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/desk/index.html");
}

Test(web_static, assets_are_served_as_is)
{
    char rel[256];
    cr_expect_eq(resolve("/_next/static/app-1a2b.js", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/_next/static/app-1a2b.js");
    cr_expect_eq(resolve("/chat.txt", rel, sizeof(rel)), 1);
    cr_expect_str_eq(rel, "/chat.txt");
}

Test(web_static, unknown_pages_get_the_app_and_unknown_assets_do_not)
{
    char rel[256];
    cr_expect_eq(resolve("/settings/profile", rel, sizeof(rel)), 2);
    cr_expect_str_eq(rel, "/index.html");
    cr_expect_eq(resolve("/_next/static/gone-9f.js", rel, sizeof(rel)), 0);
    cr_expect_eq(resolve("/_next/data", rel, sizeof(rel)), 0);
    cr_expect_eq(resolve("/favicon.ico", rel, sizeof(rel)), 0);
}

Test(web_static, hidden_and_dot_segments_are_refused)
{
    char rel[256];
    cr_expect_eq(resolve("/.env", rel, sizeof(rel)), -1);
    cr_expect_eq(resolve("/../etc/passwd", rel, sizeof(rel)), -1);
    cr_expect_eq(resolve("/_next/./static/app-1a2b.js", rel, sizeof(rel)), -1);
    cr_expect_eq(resolve("a", rel, sizeof(rel)), -1);
    cr_expect_eq(resolve("", rel, sizeof(rel)), -1);
    cr_expect_eq(resolve("/a\\b", rel, sizeof(rel)), -1);
    cr_expect_eq(srv_web_resolve(root, "/chat\0.html", 11, rel, sizeof(rel)), -1);
}

Test(web_static, an_output_buffer_too_small_finds_nothing)
{
    char out[8];
    cr_expect_eq(srv_web_resolve(root, "/chat", 5, out, sizeof(out)), 0);
}

Test(web_static, a_root_without_index_is_accepted)
{
    srv_web_t *web = srv_web_new("/nonexistent/sioc-web-root/");
    cr_assert_not_null(web);
    srv_web_free(web);
    srv_web_free(NULL);
}
