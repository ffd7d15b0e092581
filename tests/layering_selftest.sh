#!/bin/sh
# layering_selftest.sh - proves that tests/layering.sh can fail: in a scratch tree, a clean set of
# includes (each allowed edge once) must pass, and each planted bad include (one per rule) must
# make it exit non-zero and name the offending file. Run by ctest as `layering_selftest`.
# Usage: tests/layering_selftest.sh (from the repository root)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# plant FILE INCLUDE...: writes FILE (relative to the scratch tree) with one #include per argument.
plant() {
    f=$tmp/tree/$1
    shift
    mkdir -p "$(dirname "$f")"
    for inc in "$@"; do
        echo "#include \"$inc\"" >>"$f"
    done
}

clean_tree() {
    rm -rf "$tmp/tree"
    plant base/a.c base/base.h
    plant engineio/a.c base/base.h
    plant socketio/a.c engineio/engineio.h base/base.h
    plant storage/a.c base/base.h
    plant redis/a.c socketio/socketio.h
    plant src/core/a.c src/core/config.h socketio/socketio.h storage/storage.h
    plant src/auth/a.c src/auth/jwt.h src/core/core.h
    plant src/chat/a.c src/chat/internal.h src/auth/auth.h src/core/core.h storage/storage.h
    plant src/apps/a.c src/apps/echo.h socketio/socketio.h
    plant src/server/main.c src/chat/chat.h src/apps/apps.h src/core/core.h redis/redis_adapter.h
}

# expect_fail FILE INCLUDE: the clean tree plus one bad include in FILE must fail, naming FILE.
expect_fail() {
    clean_tree
    plant "$1" "$2"
    if out=$(sh "$here/layering.sh" "$tmp/tree"); then
        echo "FAIL: $1 including $2 passed the layering check"
        fails=1
    elif ! echo "$out" | grep -q "$1"; then
        echo "FAIL: $1 including $2 failed without naming the file:"
        echo "$out"
        fails=1
    fi
}

clean_tree
if ! out=$(sh "$here/layering.sh" "$tmp/tree"); then
    echo "FAIL: the clean tree did not pass:"
    echo "$out"
    fails=1
fi

expect_fail base/b.c engineio/engineio.h        # base depends on nothing of ours
expect_fail base/b.c src/core/core.h
expect_fail engineio/b.c socketio/socketio.h    # back-edges between libraries
expect_fail socketio/b.c redis/redis_adapter.h
expect_fail storage/b.c socketio/socketio.h
expect_fail redis/b.c storage/storage.h
expect_fail engineio/b.c src/chat/chat.h        # a library including a service header
expect_fail storage/b.c src/auth/auth.h
expect_fail src/core/b.c src/chat/chat.h        # core below the services
expect_fail src/core/b.c src/server/redis_wiring.h
expect_fail src/chat/b.c src/server/redis_wiring.h # services below the server
expect_fail src/chat/b.c src/auth/jwt.h         # another service's internals, not its face
expect_fail src/apps/b.c src/chat/internal.h
expect_fail src/chat/b.c src/core/http.h
expect_fail src/server/b.c src/chat/internal.h

[ $fails = 0 ] && echo "layering_selftest: ok"
exit $fails
