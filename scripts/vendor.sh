#!/usr/bin/env bash
# Rebuild the vendored browser modules in static/vendor/ from the npm registry, at the exact
# versions below. The room may have no internet, so the pages load these local files, never a
# CDN. Run it after changing a version, then update the table in static/vendor/README.md and
# commit the built files (the server serves them as they are: no build step at run time).
#
# Usage: scripts/vendor.sh [yjs] [socket.io]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

YJS_VERSION=13.6.33
LIB0_VERSION=0.2.120       # yjs's one dependency, pinned too so a rebuild gives the same file
ESBUILD_VERSION=0.28.2
SOCKETIO_VERSION=4.8.4

OUT=static/vendor
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

npm_install() {
    npm install --silent --no-audit --no-fund --no-save \
        --prefix "$WORK" "$@" >/dev/null
}

vendor_yjs() {
    npm_install "yjs@$YJS_VERSION" "lib0@$LIB0_VERSION" "esbuild@$ESBUILD_VERSION"
    # Only what static/js/sheet*.js imports: a smaller file for phones on a crowded wifi.
    cat > "$WORK/entry.js" <<'JS'
export { Doc, applyUpdate, encodeStateAsUpdate, encodeStateVector, mergeUpdates } from "yjs";
JS
    local banner="/* Yjs $YJS_VERSION and lib0 $LIB0_VERSION (MIT, Kevin Jahns), bundled by scripts/vendor.sh */"
    "$WORK/node_modules/.bin/esbuild" "$WORK/entry.js" --bundle --format=esm --minify \
        --target=es2019 --legal-comments=none --banner:js="$banner" \
        --log-level=warning --outfile="$OUT/yjs.esm.min.js"
    echo "built $OUT/yjs.esm.min.js ($(wc -c < "$OUT/yjs.esm.min.js") bytes)"
}

vendor_socketio() {
    npm_install "socket.io-client@$SOCKETIO_VERSION"
    # The published ESM build, without its source-map comment (the map is not shipped).
    sed -e 's|^//# sourceMappingURL=.*$||' \
        "$WORK/node_modules/socket.io-client/dist/socket.io.esm.min.js" > "$OUT/socket.io.esm.min.js"
    echo "copied $OUT/socket.io.esm.min.js ($(wc -c < "$OUT/socket.io.esm.min.js") bytes)"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yjs socket.io)
for target in "${targets[@]}"; do
    case "$target" in
        yjs) vendor_yjs ;;
        socket.io) vendor_socketio ;;
        *) echo "scripts/vendor.sh: unknown target '$target' (yjs, socket.io)" >&2; exit 2 ;;
    esac
done
