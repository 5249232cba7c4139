#!/usr/bin/env bash
# Instructions a one-thread CLI scan executes, counted by valgrind (Debian: apt-get install valgrind).
#
# Wall and CPU times of the same build vary 10-15% from run to run on the shared 2-core machines this
# project is measured on, which hides a change worth a few percent. The instruction count of
# `node --single-threaded` (no background JIT or GC threads, so nothing depends on timing) repeats within
# about 1%: compare two builds with it, then confirm with `npm run bench`. A run takes about 50 times as
# long as the scan itself (two minutes for the 50k-line bench code base).
#
# Usage: bash bench/instructions.sh DIR [CLI]     (CLI defaults to dist/cli.js; build it first)
set -euo pipefail
dir=${1:?usage: bash bench/instructions.sh DIR [CLI]}
cli=${2:-"$(dirname "$0")/../dist/cli.js"}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded "$cli" scan "$dir" \
  --jobs 1 --format json --fail-on never 2>&1 >/dev/null | sed -n 's/.*I *refs: *//p'
