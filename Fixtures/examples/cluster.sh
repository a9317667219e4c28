# cluster.sh - shared by the examples' run.sh scripts (bash; sourced, not run).
#
# Starts a small nx cluster on loopback, one `nxrun` process per node, each with its own
# datastore under a temporary directory and all sharing one cluster key, then checks that
# every node prints the same converged value.
#
#   cluster_init NAME NODES BASE_PORT PRINT_FLAG KEY [NXRUN_ARGS...]
#       NAME.wasm (next to run.sh) runs on NODES nodes; node I listens on
#       127.0.0.1:BASE_PORT+I and has every other node as --peer. PRINT_FLAG KEY is the
#       --print-<crdt> option. NXRUN_ARGS (run.sh's own arguments, e.g. --encrypt) are
#       passed to every node.
#   node I WAIT SETTLE [NX_VAR=VALUE...]
#       starts node I in the background with those environment variables: it runs the
#       module WAIT seconds after starting, stays up SETTLE more seconds to exchange
#       operations, then prints KEY's value.
#   cluster_finish EXPECTED
#       waits for the nodes, shows each node's log and print line, and exits non-zero if a
#       node failed, the nodes disagree, or they agree on something other than EXPECTED.
#
# Environment: NXRUN (the nxrun binary; default: the repository's release build),
# BASE_PORT (overrides the example's first port), KEEP=1 (keep the temporary directory
# with the datastores, logs and key).

NXRUN=${NXRUN:-$(dirname "$0")/../../../.build/release/nxrun}

cluster_init() {
    EXAMPLE=$1 NODES=$2 BASE_PORT=${BASE_PORT:-$3} PRINT_FLAG=$4 KEY=$5
    shift 5
    EXTRA=("$@")
    WASM="$(cd "$(dirname "$0")" && pwd)/$EXAMPLE.wasm"
    PIDS=() NODE_ENV=() DEADLINE=0

    if [ ! -x "$NXRUN" ]; then
        echo "error: nxrun not found at $NXRUN" >&2
        echo "build it first (swift build -c release in the repository) or set NXRUN=/path/to/nxrun" >&2
        exit 2
    fi
    if [ ! -f "$WASM" ]; then
        echo "error: $WASM is missing; rebuild the examples with ../build.sh" >&2
        exit 2
    fi

    WORK=$(mktemp -d "${TMPDIR:-/tmp}/nx-$EXAMPLE.XXXXXX")
    trap cluster_cleanup EXIT
    trap 'echo "interrupted" >&2; exit 130' INT TERM
    # Every datagram is authenticated with this key (keyed BLAKE3); nodes without it
    # cannot join. Add --encrypt (./run.sh --encrypt) to also encrypt the traffic.
    head -c 32 /dev/urandom >"$WORK/cluster.key"
    chmod 600 "$WORK/cluster.key"
    echo "$EXAMPLE: $NODES nodes on 127.0.0.1:$((BASE_PORT + 1))-$((BASE_PORT + NODES)), data in $WORK"
}

# Stops nodes that are still running (only the processes started here) and removes the
# temporary directory unless KEEP=1.
cluster_cleanup() {
    local pid
    for pid in ${PIDS[@]+"${PIDS[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}

# The arguments as one line a shell would split back into them (single quotes where needed).
cluster_quote() {
    local a out=() plain='^[A-Za-z0-9_=,.:/+@%-]+$'
    for a in "$@"; do
        if [[ $a =~ $plain ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
    done
    echo "${out[*]}"
}

node() {
    local i=$1 wait=$2 settle=$3 j
    shift 3
    local peers=()
    for ((j = 1; j <= NODES; j++)); do
        if ((j != i)); then peers+=(--peer "127.0.0.1:$((BASE_PORT + j))"); fi
    done
    local cmd=("$NXRUN" "$WASM"
        --listen "127.0.0.1:$((BASE_PORT + i))" "${peers[@]}"
        --datastore-path "$WORK/node$i"
        --wait-before-run "${wait}s" --settle-for "${settle}s"
        --cluster-key-file "$WORK/cluster.key"
        "$PRINT_FLAG" "$KEY" ${EXTRA[@]+"${EXTRA[@]}"})
    NODE_ENV[i]="$*"
    echo "node$i: $(cluster_quote "$@" nxrun "$EXAMPLE.wasm" "${cmd[@]:2}")"
    env "$@" "${cmd[@]}" >"$WORK/node$i.out" 2>"$WORK/node$i.err" &
    PIDS[i]=$!
    # Allow a generous margin over the node's own schedule before giving up on it.
    if ((wait + settle + 30 > DEADLINE)); then DEADLINE=$((wait + settle + 30)); fi
}

cluster_finish() {
    local expected=$1 i rc failed=0 first="" line agree=1 waited=0
    # Wait for every node, but not forever: a node still running after its schedule plus
    # the margin is stopped and counts as failed.
    while :; do
        local running=0
        for i in "${!PIDS[@]}"; do
            if kill -0 "${PIDS[i]}" 2>/dev/null; then running=1; fi
        done
        if ((running == 0)); then break; fi
        if ((waited >= DEADLINE)); then
            echo "error: nodes still running after ${DEADLINE}s, stopping them" >&2
            for i in "${!PIDS[@]}"; do kill "${PIDS[i]}" 2>/dev/null || true; done
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done

    echo
    for i in "${!PIDS[@]}"; do
        rc=0
        wait "${PIDS[i]}" || rc=$?
        echo "--- node$i (${NODE_ENV[i]:-no variables}), exit status $rc"
        sed 's/^/    /' "$WORK/node$i.err"
        if ((rc != 0)); then failed=1; fi
    done

    echo
    for i in "${!PIDS[@]}"; do
        # The print line is the last stdout line starting with "KEY = ".
        line=$(awk -v p="$KEY = " 'index($0, p) == 1 { l = $0 } END { print l }' "$WORK/node$i.out")
        echo "node$i: ${line:-(no \"$KEY = ...\" line printed)}"
        if [ -z "$line" ]; then failed=1; fi
        if ((i == 1)); then first=$line; elif [ "$line" != "$first" ]; then agree=0; fi
    done

    if ((failed)); then
        echo "FAILED: a node did not finish normally (see its log above)"
        exit 1
    elif ((!agree)); then
        echo "NOT CONVERGED: the nodes print different values"
        exit 1
    elif [ "$first" != "$expected" ]; then
        echo "converged, but on \"$first\" instead of the expected \"$expected\""
        exit 1
    fi
    echo "converged: all $NODES nodes print \"$first\""
}
