#!/bin/sh
# Rebuilds the six distributed examples from source:
#   counter/counter.wasm  inventory/inventory.wasm  status/status.wasm
#   tags/tags.wasm  settings/settings.wasm  comments/comments.wasm
# Each <name>/<name>.c includes ../../sdk/nx.h (the guest SDK) and ../example.h (shared
# helpers). Run from anywhere; paths are relative to this folder. Uses the Swift toolchain's
# clang (wasm32 target + wasm-ld), with the same flags as ../guests/build.sh. On the shared
# dev machine run it under the CPU lock:  cpulock sh build.sh
set -e
cd "$(dirname "$0")"
TOOLCHAIN=${TOOLCHAIN:-/opt/swift/usr}
CLANG="$TOOLCHAIN/bin/clang"

# No libc, no WASI: the modules import only from "nx"; memory is exported by default.
CFLAGS="--target=wasm32 -O2 -nostdlib -Wall -Wextra -Werror"
LDFLAGS="-Wl,--no-entry -Wl,--export=run -Wl,--strip-debug"

set -x
for m in counter inventory status tags settings comments; do
    "$CLANG" $CFLAGS $LDFLAGS "$m/$m.c" -o "$m/$m.wasm"
done
{ set +x; } 2>/dev/null
ls -l */*.wasm
