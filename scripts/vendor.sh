#!/usr/bin/env bash
# Rebuild the vendored browser modules in static/vendor/ from the npm registry, at the exact
# versions below. The room may have no internet, so the pages load these local files, never a
# CDN. Run it after changing a version, then update the table in static/vendor/README.md and
# commit the built files (the server serves them as they are: no build step at run time).
#
# Usage: scripts/vendor.sh [yjs] [socket.io] [twemoji] [lit-html]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

YJS_VERSION=13.6.33
LIB0_VERSION=0.2.120       # yjs's one dependency, pinned too so a rebuild gives the same file
ESBUILD_VERSION=0.28.2
SOCKETIO_VERSION=4.8.4
TWEMOJI_VERSION=16.0.1     # npm @discordapp/twemoji: the reaction emoji, the same on every screen
LITHTML_VERSION=3.3.3     # npm lit-html: how a screen is drawn (docs/frontend.md)
TWEMOJI_FILES=(1f44f 1f602 1f62e 2764 1f4a1)  # 👏 😂 😮 ❤️ 💡 (gamehub/server/reactions.py)

OUT=static/vendor
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

npm_install() {
    npm install --silent --no-audit --no-fund --no-save \
        --prefix "$WORK" "$@" >/dev/null
}

vendor_yjs() {
    npm_install "yjs@$YJS_VERSION" "lib0@$LIB0_VERSION" "esbuild@$ESBUILD_VERSION"
    # Only what static/js/phone/sheet*.js imports: a smaller file for phones on a crowded wifi.
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

vendor_twemoji() {
    # Five pictures, not a font: a projector laptop without a colour emoji font would show boxes.
    npm_install "@discordapp/twemoji@$TWEMOJI_VERSION"
    mkdir -p "$OUT/twemoji"
    for name in "${TWEMOJI_FILES[@]}"; do
        cp "$WORK/node_modules/@discordapp/twemoji/dist/svg/$name.svg" "$OUT/twemoji/$name.svg"
    done
    cp "$WORK/node_modules/@discordapp/twemoji/LICENSE" "$OUT/twemoji/LICENSE"  # the code's; the pictures: README.md
    echo "copied ${#TWEMOJI_FILES[@]} pictures to $OUT/twemoji/"
}

vendor_lithtml() {
    npm_install "lit-html@$LITHTML_VERSION" "esbuild@$ESBUILD_VERSION"
    # One module with what docs/frontend.md names: a screen needs no more, and a phone makes
    # one request. Add a directive here when a screen needs it.
    cat > "$WORK/lit-entry.js" <<'JS'
export { html, svg, render, nothing, noChange } from "lit-html";
export { repeat } from "lit-html/directives/repeat.js";
export { live } from "lit-html/directives/live.js";
JS
    local banner="/* lit-html $LITHTML_VERSION (BSD-3-Clause, Google LLC; lit-html.LICENSE), bundled by scripts/vendor.sh */"
    "$WORK/node_modules/.bin/esbuild" "$WORK/lit-entry.js" --bundle --format=esm --minify \
        --target=es2019 --legal-comments=none --banner:js="$banner" \
        --log-level=warning --outfile="$OUT/lit-html.esm.min.js"
    cp "$WORK/node_modules/lit-html/LICENSE" "$OUT/lit-html.LICENSE"
    echo "built $OUT/lit-html.esm.min.js ($(wc -c < "$OUT/lit-html.esm.min.js") bytes)"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yjs socket.io twemoji lit-html)
for target in "${targets[@]}"; do
    case "$target" in
        yjs) vendor_yjs ;;
        socket.io) vendor_socketio ;;
        twemoji) vendor_twemoji ;;
        lit-html) vendor_lithtml ;;
        *) echo "scripts/vendor.sh: unknown target '$target' (yjs, socket.io, twemoji, lit-html)" >&2; exit 2 ;;
    esac
done
