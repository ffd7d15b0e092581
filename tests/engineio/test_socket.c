/* test_socket.c - the session accessors of engineio/socket.c that read the handshake block
 * (url\0remote\0{name\0value\0}*, as copy_request_info lays it out): the URL, its query, the peer
 * address, the headers by index and by name. The block is built here by hand, so no request or
 * loop is needed. */
#include <criterion/criterion.h>
#include <string.h>

#include "engineio/internal.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_socket, .fini = teardown);

#define URL "/socket.io/?EIO=4&transport=polling"
static char block[] = URL "\0"
                          "127.0.0.1\0"
                          "host\0"
                          "localhost:3001\0"
                          "user-agent\0"
                          "\0" /* an empty value */
                          "authorization\0"
                          "Bearer t";

static eio_socket_t make_socket(uint16_t header_count)
{
    eio_socket_t sock;
    memset(&sock, 0, sizeof(sock));
    sock.info = block;
    sock.query_off = (uint32_t)(strchr(URL, '?') - URL + 1);
    sock.header_count = header_count;
    return sock;
}

Test(eio_socket, reads_url_query_and_address)
{
    eio_socket_t sock = make_socket(3);
    cr_expect_str_eq(eio_socket_url(&sock), URL);
    cr_expect_str_eq(eio_socket_query(&sock), "EIO=4&transport=polling");
    cr_expect_str_eq(eio_socket_remote_address(&sock), "127.0.0.1");
}

Test(eio_socket, lists_headers_in_order)
{
    eio_socket_t sock = make_socket(3);
    static const char *const want[][2] = {
        {"host", "localhost:3001"}, {"user-agent", ""}, {"authorization", "Bearer t"}};
    const char *name = NULL, *value = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        cr_assert(eio_socket_header(&sock, i, &name, &value), "header %zu", i);
        cr_expect_str_eq(name, want[i][0]);
        cr_expect_str_eq(value, want[i][1]);
    }
    cr_expect_not(eio_socket_header(&sock, 3, &name, &value));
}

Test(eio_socket, finds_headers_by_name)
{
    eio_socket_t sock = make_socket(3);
    cr_expect_str_eq(eio_socket_header_find(&sock, "host"), "localhost:3001");
    cr_expect_str_eq(eio_socket_header_find(&sock, "user-agent"), "");
    cr_expect_str_eq(eio_socket_header_find(&sock, "authorization"), "Bearer t");
    cr_expect_null(eio_socket_header_find(&sock, "Authorization")); /* names are lower case */
    cr_expect_null(eio_socket_header_find(&sock, "cookie"));
    cr_expect_null(eio_socket_header_find(&sock, "localhost:3001")); /* a value is not a name */
    /* only header_count entries are headers */
    sock = make_socket(2);
    cr_expect_null(eio_socket_header_find(&sock, "authorization"));
    sock = make_socket(0);
    cr_expect_null(eio_socket_header_find(&sock, "host"));
}
