#!/bin/sh
# Rebuilds every wasm/*.wasm from src/ (and large.wasm from gen_large.py).
# Run from anywhere; all paths are relative to this folder.
# Needs the Swift toolchain's clang (wasm32 target + wasm-ld) and python3.
#
#   ./build.sh            all workloads
#   ./build.sh fib vm     only these (large / trivial are names too)
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-/opt/swift/usr/bin/clang}
PYTHON=${PYTHON:-python3}

# Baseline target: MVP plus the two small WebAssembly 2.0 proposals every
# interpreter peer supports (sign-extension ops, non-trapping float-to-int).
# Bulk memory and SIMD are enabled only for the workloads that are about them,
# so no other module contains memory.copy/fill or v128 code.
# No libc: src/bench.h provides memcpy/memset/memmove/memcmp/strlen.
# The 1 MiB shadow stack leaves room for json's 512-deep recursion check.
BASE="--target=wasm32 -O2 -nostdlib -mcpu=mvp -msign-ext -mnontrapping-fptoint \
-Wl,--no-entry -Wl,--export=run -Wl,--strip-debug -Wl,-z,stack-size=1048576"

WORKLOADS="fib loops memory sieve nbody mandelbrot matmul vm indirect bulk simd simd_scalar sha256 \
quicksort hashtab strsearch crc32 deflate json"

flags_for() {
    case $1 in
        bulk) echo "-mbulk-memory" ;;
        simd) echo "-msimd128" ;;
        *) echo "" ;;
    esac
}

build_one() {
    name=$1
    mkdir -p wasm
    case $name in
        trivial)
            # fixed process cost: no stack, no data, returns a constant
            set -x
            "$CLANG" --target=wasm32 -O2 -nostdlib -mcpu=mvp -Wl,--no-entry -Wl,--export=run \
                -Wl,--strip-debug src/trivial.c -o wasm/trivial.wasm
            { set +x; } 2>/dev/null
            ;;
        large)
            # startup: ~12000 generated functions, ~5 MB of code (takes ~1.5 min)
            tmp=$(mktemp -d)
            set -x
            "$PYTHON" gen_large.py --functions 12000 --seed 20240607 > "$tmp/large.c"
            "$CLANG" $BASE -w "$tmp/large.c" -o wasm/large.wasm
            { set +x; } 2>/dev/null
            rm -rf "$tmp"
            ;;
        *)
            extra=$(flags_for "$name")
            set -x
            "$CLANG" $BASE $extra "src/$name.c" -o "wasm/$name.wasm"
            { set +x; } 2>/dev/null
            ;;
    esac
}

if [ $# -eq 0 ]; then
    set -- $WORKLOADS trivial large
fi
for name in "$@"; do
    build_one "$name"
done
ls -l wasm
