/* ws_accept.c - the Sec-WebSocket-Accept value of the upgrade (RFC 6455 4.2.2): base64 of the
 * SHA-1 of the client's key followed by the protocol GUID. SHA-1 comes from OpenSSL's libcrypto
 * (already a dependency of h2o) rather than our own code; the base64 from libsodium. */
#include "engineio/internal.h"

#include <string.h>
#include <openssl/sha.h>
#include <sodium.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

void eio__ws_accept_key(const char *client_key, char out[29])
{
    char src[EIO_WS_KEY_LEN + sizeof(WS_GUID) - 1];
    unsigned char digest[SHA_DIGEST_LENGTH];
    memcpy(src, client_key, EIO_WS_KEY_LEN);
    memcpy(src + EIO_WS_KEY_LEN, WS_GUID, sizeof(WS_GUID) - 1);
    SHA1((const unsigned char *)src, sizeof(src), digest);
    sodium_bin2base64(out, 29, digest, sizeof(digest), sodium_base64_VARIANT_ORIGINAL);
}
