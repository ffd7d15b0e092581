/* password.c - argon2id on the thread pool (see password.h).
 *
 * A job holds copies of its inputs; the worker writes only into the job; the after-work hook on
 * the loop thread calls back and frees. The dummy hash for unknown users is computed lazily on the
 * first worker that needs it (guarded by a uv_once) so start-up stays fast. */
#include "src/auth/password.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/base.h"

typedef struct st_pw_job_t {
    uv_work_t work;
    bool verify;                       /* verify (else hash) */
    bool use_dummy;                    /* verify against the dummy hash and fail */
    char *pw;                          /* copy, wiped before free */
    size_t pw_len;                     /* bytes in pw */
    char hash[crypto_pwhash_STRBYTES]; /* in for verify, out for hash */
    int status;                        /* 0 or negative errno, set by the worker */
    srv_password_hash_cb on_hash;      /* when !verify */
    srv_password_verify_cb on_verify;  /* when verify */
    void *cbdata;
} pw_job_t;

static uv_once_t dummy_once = UV_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
    static const char pw[] = "sioc-dummy-password-for-unknown-users";
    if (crypto_pwhash_str(dummy_hash, pw, sizeof(pw) - 1, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy_hash[0] = '\0';
}

static void do_work(uv_work_t *w)
{
    pw_job_t *job = w->data;
    if (!job->verify) {
        job->status =
            crypto_pwhash_str(job->hash, job->pw, job->pw_len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0
                ? 0
                : -ENOMEM;
        return;
    }
    if (job->use_dummy) {
        uv_once(&dummy_once, make_dummy);
        /* same cost as a real check; the answer is "no" whatever the password */
        if (dummy_hash[0] != '\0' &&
            crypto_pwhash_str_verify(dummy_hash, job->pw, job->pw_len) == 0)
            job->status = -EACCES;
        job->status = -EACCES;
        return;
    }
    job->status = crypto_pwhash_str_verify(job->hash, job->pw, job->pw_len) == 0 ? 0 : -EACCES;
}

static void after_work(uv_work_t *w, int status)
{
    pw_job_t *job = w->data;
    if (status != 0) /* UV_ECANCELED: never happens as we never cancel, but stay correct */
        job->status = status;
    if (job->verify)
        job->on_verify(job->status, job->cbdata);
    else
        job->on_hash(job->status, job->status == 0 ? job->hash : NULL, job->cbdata);
    sodium_memzero(job->pw, job->pw_len);
    free(job->pw);
    sodium_memzero(job, sizeof(*job));
    free(job);
}

static int queue_job(uv_loop_t *loop, pw_job_t *job)
{
    int rc;
    job->work.data = job;
    rc = uv_queue_work(loop, &job->work, do_work, after_work);
    if (rc != 0) {
        sodium_memzero(job->pw, job->pw_len);
        free(job->pw);
        free(job);
    }
    return rc;
}

static pw_job_t *job_new(const char *pw, size_t len)
{
    pw_job_t *job = xcalloc(1, sizeof(*job));
    job->pw = xmalloc(len + 1);
    memcpy(job->pw, pw, len);
    job->pw[len] = '\0';
    job->pw_len = len;
    return job;
}

int srv_password_hash(uv_loop_t *loop, const char *pw, size_t len, srv_password_hash_cb cb,
                      void *cbdata)
{
    pw_job_t *job;
    if (pw == NULL || len > SRV_PASSWORD_MAX_LEN || cb == NULL)
        return -EINVAL;
    job = job_new(pw, len);
    job->on_hash = cb;
    job->cbdata = cbdata;
    return queue_job(loop, job);
}

int srv_password_verify(uv_loop_t *loop, const char *hash, const char *pw, size_t len,
                        srv_password_verify_cb cb, void *cbdata)
{
    pw_job_t *job;
    if (pw == NULL || len > SRV_PASSWORD_MAX_LEN || cb == NULL)
        return -EINVAL;
    job = job_new(pw, len);
    job->verify = true;
    job->on_verify = cb;
    job->cbdata = cbdata;
    if (hash == NULL || strlen(hash) >= sizeof(job->hash))
        job->use_dummy = true;
    else
        memcpy(job->hash, hash, strlen(hash) + 1);
    return queue_job(loop, job);
}
