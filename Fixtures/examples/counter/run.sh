#!/usr/bin/env bash
# Three nodes add 1, 2 and 3 to the GCounter counter:visits at the same moment; once they
# have exchanged their operations every node prints "counter:visits = 6".
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init counter 3 7100 --print-gcounter counter:visits "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        3          NX_INCREMENT=1
node  2     1        3          NX_INCREMENT=2
node  3     1        3          NX_INCREMENT=3
cluster_finish "counter:visits = 6"
