# common.sh - shared by scripts/run and scripts/test: install what is missing, build.
# Sourced, not executed. Sets ROOT.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# libvips-dev: attachment previews in src/media (it brings the runtime libvips42 and its loaders)
APT_PACKAGES=(cmake pkg-config gcc make clang clang-format libclang-rt-14-dev libh2o-dev libwslay-dev
  libuv1-dev libpq-dev libjwt-dev libjansson-dev libhiredis-dev libcriterion-dev libsodium-dev
  libssl-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libmsgpuck-dev libvips-dev postgresql-15 redis-server nodejs npm ca-certificates chromium fonts-noto-color-emoji)

# Installs the Debian packages that are missing (one apt-get call; a no-op when all are there).
install_deps() {
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        case "$p" in
        nodejs | npm) command -v "${p/nodejs/node}" >/dev/null 2>&1 && continue ;;
        esac
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "==> installing: ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# npm ci in each folder that has a package-lock.json (skipped when node_modules is current).
install_node_deps() {
    local dir
    for dir in "$@"; do
        [ -f "$dir/package-lock.json" ] || continue
        if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
            echo "==> npm ci in ${dir#$ROOT/}"
            (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        fi
    done
}

# build DIR [cmake args...]: configure once, then build with every core.
build() {
    local dir=$1
    shift
    cmake -S "$ROOT" -B "$dir" "$@" >/dev/null || return 1
    cmake --build "$dir" -j"$(nproc)"
}

WEB="$ROOT/frontend-compat/web"
# build_web [force]: the web app's static export (frontend-compat/web/out), rebuilt when it is
# missing, older than any of its sources, or when forced.
build_web() {
    install_node_deps "$WEB"
    if [ "${1:-}" != force ] && [ -f "$WEB/out/chat.html" ] &&
        [ -z "$(find "$WEB/app" "$WEB/features" "$WEB/lib" "$WEB/components" "$WEB/package-lock.json" "$WEB/next.config.mjs" "$WEB/tsconfig.json" \
            -newer "$WEB/out/chat.html" -print -quit 2>/dev/null)" ]; then
        return 0
    fi
    echo "==> building the web app (frontend-compat/web)"
    (cd "$WEB" && NEXT_TELEMETRY_DISABLED=1 npx next build) || return 1
    # precompressed copies: sioc sends name.gz as is to clients that accept gzip
    find "$WEB/out" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' -o -name '*.txt' \
        -o -name '*.svg' -o -name '*.json' \) -size +1k -exec gzip -9kf {} +
}
