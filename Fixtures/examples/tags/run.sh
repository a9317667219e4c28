#!/usr/bin/env bash
# ORSet tags:item-1: node 1 adds red and blue; one second later node 2 removes blue (the
# add it has seen) and adds green while node 3 concurrently adds yellow. Every node prints
# "tags:item-1 = [green, red, yellow]".
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init tags 3 7130 --print-orset tags:item-1 "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        4          NX_ADD=red,blue  NX_REMOVE=
node  2     2        3          NX_ADD=green     NX_REMOVE=blue
node  3     2        3          NX_ADD=yellow    NX_REMOVE=
cluster_finish "tags:item-1 = [green, red, yellow]"
