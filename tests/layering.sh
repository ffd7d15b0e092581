#!/bin/sh
# layering.sh - fails if a library includes a header of a layer it must not know. base/ is the
# libc-only helper library every module may use.
# Usage: tests/layering.sh (from the repository root)
status=0
check() { # check FOLDER FORBIDDEN-REGEX
    hits=$(grep -rnE "#include \"($2)/" "$1" 2>/dev/null | grep -v '#include "base/')
    if [ -n "$hits" ]; then
        echo "$1 must not include ($2):"
        echo "$hits"
        status=1
    fi
}
check engineio 'socketio|storage|redis|src'
check socketio 'storage|redis|src'
check storage 'engineio|socketio|redis|src'
check redis 'storage|src'
exit $status
