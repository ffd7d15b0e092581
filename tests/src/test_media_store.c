/* test_media_store.c - srv_media_store_file(), the C face channels (WhatsApp media) use: a file
 * on disk is checked, stored by content hash with its preview, its row written for the owner,
 * and the temp file consumed; too large (-EFBIG), a type not accepted (-ENOTSUP) or no file
 * (-ENOENT) store nothing. Real loop, real SQLite store, real libvips. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/media/media.h"
#include "storage/storage.h"

static uv_loop_t loop;
static store_t *store;
static srv_media_t *media;
static srv_config_t conf;
static char dir[64];

typedef struct st_got_t {
    int calls, status;
    store_attachment_t att;
    char sha[65], type[64], name[300];
} got_t;

static void on_stored(void *cbdata, int status, const store_attachment_t *a)
{
    got_t *g = cbdata;
    g->calls++;
    g->status = status;
    if (a != NULL) {
        g->att = *a;
        snprintf(g->sha, sizeof(g->sha), "%s", a->sha256);
        snprintf(g->type, sizeof(g->type), "%s", a->content_type);
        snprintf(g->name, sizeof(g->name), "%s", a->name);
    }
}

static void on_user(void *cbdata, int status, const store_user_t *u)
{
    *(int64_t *)cbdata = status == 0 ? u->id : -1;
}

static void on_closed(void *cbdata, int status)
{
    UNUSED(status);
    *(bool *)cbdata = true;
}

static void setup(void)
{
    char err[256], url[128];
    snprintf(dir, sizeof(dir), "/tmp/sioc-media-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(uv_loop_init(&loop), 0);
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    cr_assert_eq(store_open(&loop, url, &store), 0);
    cr_assert_eq(store_migrate_sync(store, err, sizeof(err)), 0, "%s", err);
    srv_config_init(&conf);
    free(conf.database);
    conf.database = xstrdup(url);
    conf.media_max_bytes = 4096;
    media = srv_media_new(&loop, &conf, store);
    cr_assert_not_null(media);
}

static void teardown(void)
{
    bool closed = false;
    srv_media_free(media);
    store_close(store, on_closed, &closed);
    while (!closed)
        uv_run(&loop, UV_RUN_ONCE);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&loop), 0);
    srv_config_dispose(&conf);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

TestSuite(media_store, .init = setup, .fini = teardown, .timeout = 30);

static char *write_file(const char *name, const void *bytes, size_t len)
{
    char *p = xmalloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    return p;
}

static int64_t customer(void)
{
    store_user_new_t u = {.username = "staff"};
    int64_t id = 0;
    cr_assert_eq(store_user_create(store, &u, on_user, &id), 0);
    while (id == 0)
        uv_run(&loop, UV_RUN_ONCE);
    return id;
}

static got_t run_store(const char *path, const char *name, int64_t user)
{
    got_t g = {0};
    srv_media_owner_t who = {.user_id = user};
    cr_assert_eq(srv_media_store_file(media, path, name, &who, on_stored, &g), 0);
    cr_expect_eq(g.calls, 0); /* never inside the call */
    while (g.calls == 0)
        uv_run(&loop, UV_RUN_ONCE);
    cr_expect_eq(g.calls, 1);
    return g;
}

/* A 2x2 GIF (the smallest image libvips makes a preview of). */
static const unsigned char gif[] = {'G', 'I',  'F', '8', '9', 'a', 2,    0,    2,    0, 0x80, 0,
                                    0,   0xff, 0,   0,   0,   0,   0xff, 0x2c, 0,    0, 0,    0,
                                    2,   0,    2,   0,   0,   2,   2,    0x84, 0x51, 0, 0x3b};

Test(media_store, stores_a_downloaded_file_once_with_its_preview)
{
    int64_t user = customer();
    char *path = write_file("wa-media-1", gif, sizeof(gif));
    got_t g = run_store(path, "../photo from \"WhatsApp\".gif", user);
    g.att.sha256 = g.sha; /* the copy's own */
    cr_assert_eq(g.status, 0, "%d", g.status);
    cr_expect_str_eq(g.type, "image/gif");
    cr_expect_str_eq(g.name, "photo from _WhatsApp_.gif");
    cr_expect_eq(g.att.size, (int64_t)sizeof(gif));
    cr_expect_eq(g.att.uploader_user_id, user);
    cr_expect_eq(g.att.width, 2);
    cr_expect_eq(g.att.height, 2);
    cr_expect_gt(g.att.thumb_size, 0);
    cr_expect_neq(access(path, F_OK), 0, "the temp file is consumed");
    char *stored = srv_media_path(media, &g.att, false),
         *thumb = srv_media_path(media, &g.att, true);
    struct stat st;
    cr_expect_eq(stat(stored, &st), 0);
    cr_expect_eq(st.st_size, (off_t)sizeof(gif));
    cr_expect_eq(stat(thumb, &st), 0);
    /* the same bytes again: a second row, the same file */
    char *again = write_file("wa-media-2", gif, sizeof(gif));
    got_t g2 = run_store(again, NULL, user);
    cr_expect_eq(g2.status, 0);
    cr_expect_neq(g2.att.id, g.att.id);
    cr_expect_str_eq(g2.sha, g.sha);
    cr_expect_str_eq(g2.name, "file");
    free(stored);
    free(thumb);
    free(path);
    free(again);
}

Test(media_store, refuses_what_is_too_large_unknown_or_missing)
{
    int64_t user = customer();
    char big[5000];
    memset(big, 'a', sizeof(big));
    char *p = write_file("big", big, sizeof(big));
    got_t g = run_store(p, "big.txt", user);
    cr_expect_eq(g.status, -EFBIG);
    cr_expect_neq(access(p, F_OK), 0, "consumed even when refused");
    char *exe = write_file("exe", "MZ\x90\0\x03\0\0\0", 8);
    g = run_store(exe, "a.png", user);
    cr_expect_eq(g.status, -ENOTSUP);
    g = run_store("/nonexistent/file", "x", user);
    cr_expect_eq(g.status, -ENOENT);
    srv_media_owner_t both = {.user_id = 1, .customer_id = 1}, none = {0};
    cr_expect_eq(srv_media_store_file(media, p, "x", &both, on_stored, &g), -EINVAL);
    cr_expect_eq(srv_media_store_file(media, p, "x", &none, on_stored, &g), -EINVAL);
    cr_expect_eq(srv_media_store_file(media, "", "x", &both, on_stored, &g), -EINVAL);
    /* nothing but the directories in the media tree */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "test -z \"$(find %s/media -type f)\"", dir);
    cr_expect_eq(system(cmd), 0);
    free(p);
    free(exe);
}
