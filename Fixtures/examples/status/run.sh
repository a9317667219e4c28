#!/usr/bin/env bash
# Three nodes write the LWW-Register status:user-1 one second apart (online, away, busy);
# the latest write wins everywhere: every node prints "status:user-1 = busy".
# The staggered --wait-before-run (1s, 2s, 3s) orders the writes; the settle windows
# (4s, 3s, 2s) make all nodes print at about the same time.
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init status 3 7120 --print-lww-register status:user-1 "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        4          NX_STATUS=online
node  2     2        3          NX_STATUS=away
node  3     3        2          NX_STATUS=busy
cluster_finish "status:user-1 = busy"
