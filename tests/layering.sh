#!/bin/sh
# layering.sh - fails (exit 1, naming file, line and rule) if an #include goes against the one-way
# order of the layers:
#
#   base <- engineio <- socketio <- (storage, redis) <- src/core <- services <- src/server
#
# base/ is the libc-only helper library every folder may use; the services are src/auth,
# src/apps, src/media, src/chat, src/channels and src/desk, in the order (src/auth, src/apps)
# <- src/media <- src/chat <- src/channels <- src/desk. A folder may include the headers of the folders below it only, a library
# (base, engineio, socketio, storage, redis) no src/ header at all, and a src/ folder includes
# another src/ folder's face header only (src/X/X.h), never its internals (src/chat/internal.h).
# tests/layering_selftest.sh plants bad includes in a scratch tree to prove each rule fails.
# Usage: tests/layering.sh [ROOT]   (ROOT: the repository root, default .)
root=${1:-.}
status=0
services='auth|chat|apps|channels|desk|media|outbound'

# check FOLDER FORBIDDEN-REGEX: FOLDER must not include "<match>/..." for a match of the regex.
check() {
    [ -d "$root/$1" ] || return 0
    hits=$(cd "$root" && grep -rnE "#include \"($2)/" "$1" 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "$1 must not include ($2):"
        echo "$hits"
        status=1
    fi
}

check base 'engineio|socketio|storage|redis|src'
check engineio 'socketio|storage|redis|src'
check socketio 'storage|redis|src'
check storage 'engineio|socketio|redis|src'
check redis 'storage|src'
check src/core "src/($services|server)"
# src/outbound (outbound HTTP on libcurl) stands on base alone: any service may use it
check src/outbound 'engineio|socketio|storage|redis|src/(core|auth|chat|apps|channels|desk|media|server)'
for s in auth chat apps channels desk media; do
    check "src/$s" 'src/server'
done
# services stand on the ones below them only: channels knows no desk or chat, auth and apps no
# other service, chat no desk, media (the attachment store, below chat, channels and desk) only
# auth
check src/auth 'src/(chat|apps|channels|desk|media)'
check src/apps 'src/(chat|auth|channels|desk|media)'
check src/media 'src/(chat|apps|channels|desk)'
check src/chat 'src/(apps|channels|desk)'
check src/channels 'src/(chat|apps|desk)'


# Across src/ folders only the face header: a file in src/A including src/B/C with B != A must
# have C = B.h.
if [ -d "$root/src" ]; then
    hits=$(cd "$root" && grep -rnoE '#include "src/[A-Za-z0-9_]+/[^"]+"' src 2>/dev/null |
        awk -F: '{
            split($1, from, "/"); inc = $3; sub(/^#include "/, "", inc); sub(/"$/, "", inc)
            split(inc, to, "/")
            if (from[2] != to[2] && inc != "src/" to[2] "/" to[2] ".h")
                print $1 ":" $2 ": " inc " (use src/" to[2] "/" to[2] ".h)"
        }')
    if [ -n "$hits" ]; then
        echo "src/ folders must include another folder's face header only:"
        echo "$hits"
        status=1
    fi
fi
exit $status
