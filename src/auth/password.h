/* password.h - argon2id password hashing and verification (libsodium crypto_pwhash_str with
 * OPSLIMIT/MEMLIMIT_INTERACTIVE) run on libuv's thread pool: one hash costs ~55 ms of CPU and
 * 64 MiB, which must never run on the loop thread.
 *
 * Each call copies the password into a job that is wiped (sodium_memzero) and freed after the
 * callback. The callback runs once, on the loop thread, from uv_queue_work's after-work hook. A
 * job cannot be cancelled once queued; the caller keeps whatever `cbdata` points to alive until
 * the callback ran (srv_chat_t counts its jobs for that reason). */
#ifndef SIOC_SRC_AUTH_PASSWORD_H
#define SIOC_SRC_AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

/** Longest password accepted (bytes); the API rejects longer ones before hashing. */
#define SRV_PASSWORD_MAX_LEN 256

/** `status` 0 and `hash` the PHC string (borrowed until return), or a negative errno and NULL. */
typedef void (*srv_password_hash_cb)(int status, const char *hash, void *cbdata);
/** `status` 0 if the password matches, -EACCES if not, another negative errno on failure. */
typedef void (*srv_password_verify_cb)(int status, void *cbdata);

/** Queues the hashing of `pw`. Returns 0 (the callback will run) or a negative errno (it will
 * not). */
int srv_password_hash(uv_loop_t *loop, const char *pw, size_t len, srv_password_hash_cb cb,
                      void *cbdata);

/** Queues the check of `pw` against `hash`. `hash` NULL checks against a fixed dummy hash (the
 * callback then gets -EACCES) so that an unknown user costs the same time as a wrong password.
 * Returns 0 or a negative errno as srv_password_hash. */
int srv_password_verify(uv_loop_t *loop, const char *hash, const char *pw, size_t len,
                        srv_password_verify_cb cb, void *cbdata);

#endif
