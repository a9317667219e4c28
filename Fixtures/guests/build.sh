#!/bin/sh
# Rebuilds every guest module in this folder from source:
#   hello.wasm  counter.wasm  sdk_tour.wasm   (C, ../sdk/nx.h)
#   hello_swift.wasm  sdk_tour_swift.wasm     (Embedded Swift, ../sdk/NX.swift + nx_embedded_rt.c)
# Run from anywhere; all paths are relative to this folder. Uses the Swift toolchain's
# clang (wasm32 target + wasm-ld) and swiftc. On the shared dev machine run it under the
# CPU lock:  cpulock sh build.sh
set -e
cd "$(dirname "$0")"
TOOLCHAIN=${TOOLCHAIN:-/opt/swift/usr}
CLANG="$TOOLCHAIN/bin/clang"
SWIFTC="$TOOLCHAIN/bin/swiftc"
UNICODE_TABLES="$TOOLCHAIN/lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a"

# No libc, no WASI: the modules import only from "nx"; memory is exported by default.
CFLAGS="--target=wasm32 -O2 -nostdlib -Wall -Wextra -Werror"
LDFLAGS="-Wl,--no-entry -Wl,--export=run -Wl,--strip-debug"

# Intermediate objects go to a fixed relative folder: swiftc hashes the output path into the
# object (.swift_modhash), so a random temp dir would make every build differ.
TMP=.build-tmp
rm -rf "$TMP"
mkdir "$TMP"
trap 'rm -rf "$TMP"' EXIT

set -x
"$CLANG" $CFLAGS $LDFLAGS hello.c -o hello.wasm
"$CLANG" $CFLAGS $LDFLAGS counter.c -o counter.wasm
"$CLANG" $CFLAGS $LDFLAGS -Wl,--export=abort_check -Wl,--export=oob_check sdk_tour.c -o sdk_tour.wasm

# Embedded Swift: the SDK and the module are one whole-module object; the C runtime
# support (allocator, memcmp, putchar, arc4random_buf) is a second object.
"$CLANG" $CFLAGS -c ../sdk/nx_embedded_rt.c -o "$TMP/nx_embedded_rt.o"
for m in hello_swift sdk_tour_swift; do
    "$SWIFTC" -target wasm32-unknown-none-wasm \
        -enable-experimental-feature Embedded -enable-experimental-feature Extern \
        -wmo -Osize -parse-as-library -Xfrontend -disable-stack-protector \
        -c ../sdk/NX.swift "$m.swift" -o "$TMP/$m.o"
    "$CLANG" --target=wasm32 -nostdlib $LDFLAGS \
        "$TMP/$m.o" "$TMP/nx_embedded_rt.o" "$UNICODE_TABLES" -o "$m.wasm"
done
{ set +x; } 2>/dev/null
ls -l *.wasm
