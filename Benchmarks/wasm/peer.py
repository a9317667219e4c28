"""Runs one wasm module's `run` export under a Python-hosted peer runtime.

Usage: python peer.py wasm3|wasmtime FILE.wasm

Started by run.py as a separate process of the virtual environment's Python,
so process start, module load and instantiation are included in the wall
time, as they are for the command-line runtimes. Prints the result like
nxrun does (`i32:N` / `i64:N`, N the unsigned bit pattern), then
`call_s:SECONDS`, the in-process time of the call alone.
"""
import sys
import time

BITS = {"i32": 32, "i64": 64}


def run_wasm3(data):
    import wasm3

    env = wasm3.Environment()
    runtime = env.new_runtime(8 << 20)  # value stack bytes: deep recursion room
    runtime.load(env.parse_module(data))
    fn = runtime.find_function("run")
    kinds = {1: "i32", 2: "i64", 3: "f32", 4: "f64"}
    kind = kinds.get(fn.ret_types[0], "?") if fn.ret_types else "none"
    start = time.perf_counter()
    value = fn()
    return kind, value, time.perf_counter() - start


def run_wasmtime(data):
    import wasmtime

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module(engine, data)
    instance = wasmtime.Instance(store, module, [])
    fn = instance.exports(store)["run"]
    results = fn.type(store).results
    kind = str(results[0]) if results else "none"
    start = time.perf_counter()
    value = fn(store)
    return kind, value, time.perf_counter() - start


def main():
    engine, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    kind, value, call_s = {"wasm3": run_wasm3, "wasmtime": run_wasmtime}[engine](data)
    if kind in BITS:
        print(f"{kind}:{int(value) & ((1 << BITS[kind]) - 1)}")
    else:
        print(f"{kind}:{value!r}")
    print(f"call_s:{call_s:.6f}")


if __name__ == "__main__":
    main()
