#!/usr/bin/env bash
# Three nodes change the PNCounter inventory:sku-1 by +10, -3 and +5 at the same moment;
# once they have exchanged their operations every node prints "inventory:sku-1 = 12".
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init inventory 3 7110 --print-pncounter inventory:sku-1 "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        3          NX_DELTA=+10
node  2     1        3          NX_DELTA=-3
node  3     1        3          NX_DELTA=+5
cluster_finish "inventory:sku-1 = 12"
