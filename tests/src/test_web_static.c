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

/* One expected resolution: `path` gives `rc` and, when rc > 0, the file `rel` under root. */
typedef struct st_case_t {
    const char *path;
    int rc;
    const char *rel;
} case_t;

static void expect_all(const case_t *cases, size_t n)
{
    char rel[256];
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(resolve(cases[i].path, rel, sizeof(rel)), cases[i].rc, "%s", cases[i].path);
        if (cases[i].rel != NULL)
            cr_expect_str_eq(rel, cases[i].rel, "%s", cases[i].path);
    }
}

Test(web_static, pages_map_to_their_html)
{
    static const case_t cases[] = {
        {"/", 1, "/index.html"},           {"/chat", 1, "/chat.html"},
        {"/chat/", 1, "/chat.html"},       {"/desk", 1, "/desk/index.html"},
        {"/desk/", 1, "/desk/index.html"},
    };
    expect_all(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(web_static, assets_are_served_as_is)
{
    static const case_t cases[] = {
        {"/_next/static/app-1a2b.js", 1, "/_next/static/app-1a2b.js"},
        {"/chat.txt", 1, "/chat.txt"},
    };
    expect_all(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(web_static, unknown_pages_get_the_app_and_unknown_assets_do_not)
{
    static const case_t cases[] = {
        {"/settings/profile", 2, "/index.html"},
        {"/_next/static/gone-9f.js", 0, NULL},
        {"/_next/data", 0, NULL},
        {"/favicon.ico", 0, NULL},
    };
    expect_all(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(web_static, hidden_and_dot_segments_are_refused)
{
    static const case_t cases[] = {
        {"/.env", -1, NULL},
        {"/../etc/passwd", -1, NULL},
        {"/_next/./static/app-1a2b.js", -1, NULL},
        {"a", -1, NULL},
        {"", -1, NULL},
        {"/a\\b", -1, NULL},
    };
    char rel[256];
    expect_all(cases, sizeof(cases) / sizeof(cases[0]));
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

/* on_web_req's 503 "not built" rests on this: without index.html a page path finds nothing. */
Test(web_static, without_index_html_a_page_path_finds_nothing)
{
    static const case_t cases[] = {
        {"/", 0, NULL},
        {"/settings/profile", 0, NULL},
        {"/chat", 1, "/chat.html"},
    };
    char p[256];
    snprintf(p, sizeof(p), "%s/index.html", root);
    cr_assert_eq(unlink(p), 0);
    expect_all(cases, sizeof(cases) / sizeof(cases[0]));
}
