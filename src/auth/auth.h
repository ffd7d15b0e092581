/* auth.h - the face of src/auth/: the credential primitives of sioc's services, with no REST or
 * chat knowledge (the endpoints that use them live in the service, e.g. src/chat/rest_auth.c).
 *
 *   jwt.h        HS256 access tokens issued and verified with libjwt (pure)
 *   password.h   argon2id hashing and verification on libuv's thread pool
 *   ratelimit.h  a keyed GCRA limiter for failed logins (user name, peer address)
 *
 * Depends on base/ and the libraries only: it must not include src/core, src/chat, src/apps or
 * src/server (tests/layering.sh). Other folders include this header only. */
#ifndef SIOC_SRC_AUTH_AUTH_H
#define SIOC_SRC_AUTH_AUTH_H

#include "src/auth/jwt.h"
#include "src/auth/password.h"
#include "src/auth/ratelimit.h"

#endif
