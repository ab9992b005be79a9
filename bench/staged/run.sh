#!/usr/bin/env bash
# run.sh [FILES]: time `dtleaks staged` on a one-file change in a
# repository of FILES files (default 100000), process start to exit.
#
# The repository is built once with git fast-import (mkrepo.sh) and cached
# under bench/out/; each run resets its index to HEAD and stages a change to
# one file. It times bench/out/dtleaks (`dtleaks staged REPO`) when
# cmd/dtleaks builds, and always bench/out/stagedrun (the same scan from a
# minimal main), with hyperfine when installed, else a loop of 20 runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=${1:-100000}
repo=bench/out/staged-repo-$files
if [ ! -d "$repo/.git" ]; then
	echo "building $repo ..." >&2
	bench/staged/mkrepo.sh "$repo" "$files"
fi
(
	cd "$repo"
	git reset -q --mixed HEAD       # index = HEAD, with a fresh cached tree
	git checkout -q -- .
	echo "one more line" >>d07/s3/f000307.txt
	git add d07/s3/f000307.txt
	git status --short
)
go build -o bench/out/stagedrun ./bench/staged/stagedrun
cmds=("bench/out/stagedrun $repo")
if go build -o bench/out/dtleaks ./cmd/dtleaks 2>/dev/null; then
	cmds+=("bench/out/dtleaks staged $repo")
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 3 --runs 30 -i "${cmds[@]}"
else
	for c in "${cmds[@]}"; do
		start=$(date +%s%N)
		for _ in $(seq 20); do $c >/dev/null || true; done
		echo "$c: $(( ($(date +%s%N) - start) / 20000000 )) ms per run"
	done
fi
for c in "${cmds[@]}"; do
	/usr/bin/time -f "$c: %e s wall, %U s user, %S s sys, %M KB max RSS" $c >/dev/null || true
done
