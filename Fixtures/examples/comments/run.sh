#!/usr/bin/env bash
# RGA comments:doc-1: three nodes append a comment one second apart, each after the last
# comment it sees. Every node prints
# "comments:doc-1 = [alice: draft ready, bob: reviewed, carol: approved]".
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init comments 3 7150 --print-rga comments:doc-1 "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        4          "NX_COMMENT=alice: draft ready"
node  2     2        3          "NX_COMMENT=bob: reviewed"
node  3     3        2          "NX_COMMENT=carol: approved"
cluster_finish "comments:doc-1 = [alice: draft ready, bob: reviewed, carol: approved]"
