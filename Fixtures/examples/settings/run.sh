#!/usr/bin/env bash
# LWW-Map settings:service-a: node 1 sets theme, lang and region; one second later node 2
# sets theme=light while node 3 concurrently sets lang=de and removes region. Each field
# keeps its latest write: every node prints "settings:service-a = {lang=de, theme=light}".
# Usage: ./run.sh [--encrypt]  (extra arguments go to every nxrun; see README.md)
set -euo pipefail
source "$(dirname "$0")/../cluster.sh"

cluster_init settings 3 7140 --print-lww-map settings:service-a "$@"
#    node  wait(s)  settle(s)  environment
node  1     1        4          NX_SET=theme=dark,lang=en,region=eu  NX_REMOVE=
node  2     2        3          NX_SET=theme=light                   NX_REMOVE=
node  3     2        3          NX_SET=lang=de                       NX_REMOVE=region
cluster_finish "settings:service-a = {lang=de, theme=light}"
