/* fuzz_call_signal.c - libFuzzer target for the call events' parser (src/channels/call.c): the
 * input as the argument of every call event (typed signals from either side, accept, decline,
 * end) and as --webrtc-ice-servers. What the parser accepts is bounded and has the known fields
 * only, so a relayed signal never grows beyond the limits. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "src/channels/channels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const srv_call_msg_t *m)
{
    if (m->service_id < 1 || strlen(m->call_id) == 0 || strlen(m->call_id) > SRV_CALL_ID_MAX)
        __builtin_trap();
    if (m->kind == SRV_CALL_OFFER || m->kind == SRV_CALL_ANSWER || m->kind == SRV_CALL_ICE) {
        char *s = json_dumps(m->data, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s == NULL || strlen(s) > 2 * SRV_CALL_SIGNAL_MAX + 64)
            __builtin_trap();
        free(s);
        if (m->kind != SRV_CALL_ICE && json_object_size(m->data) != 2)
            __builtin_trap();
        if (m->kind == SRV_CALL_ICE && json_is_object(m->data) && json_object_size(m->data) > 4)
            __builtin_trap();
    } else if (m->data != NULL) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const srv_call_kind_t fixed[] = {SRV_CALL_NONE, SRV_CALL_ACCEPT, SRV_CALL_DECLINE,
                                            SRV_CALL_END};
    json_error_t jerr;
    json_t *arg = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (arg != NULL) {
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
            srv_call_msg_t m;
            srv_call_error_t err;
            if (srv_call_parse(arg, fixed[i], 0xffu, &m, &err) == 0) {
                check(&m);
                srv_call_msg_dispose(&m);
            } else if (err.code == NULL || m.data != NULL) {
                __builtin_trap();
            }
        }
        json_decref(arg);
    }
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    const char *why;
    json_decref(srv_call_ice_servers_parse(text, &why));
    free(text);
    return 0;
}
