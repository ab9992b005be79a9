#!/bin/sh
# Benchmark "dtleaks history" against git on a synthetic repository.
#
#   bench/history/run.sh [REPO]
#
# Without REPO, builds bench/out/history-repo (once) from bench/history/gen;
# GEN_FLAGS passes flags to the generator (e.g. GEN_FLAGS="-commits 500").
# Reports wall time and peak RSS of, side by side:
#   dtleaks history REPO   (bench/history/scan until the CLI has "history")
#   git cat-file --batch-all-objects --batch > /dev/null
#   git log -p --all > /dev/null
set -eu
cd "$(dirname "$0")/../.."
out=bench/out
mkdir -p "$out"
repo=${1:-$out/history-repo}
if [ ! -d "$repo" ]; then
	echo "building $repo ..." >&2
	git init -q --bare "$repo"
	# shellcheck disable=SC2086
	go run ./bench/history/gen ${GEN_FLAGS:-} | git -C "$repo" fast-import --quiet
	git -C "$repo" repack -q -a -d -f --depth=50 --window=10
fi
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }

go build -o "$out/dtleaks" ./cmd/dtleaks 2>/dev/null || true
if "$out/dtleaks" history --help >/dev/null 2>&1; then
	dtleaks="$out/dtleaks history"
else
	go build -o "$out/history-scan" ./bench/history/scan
	dtleaks="$out/history-scan"
fi

size=$(du -sh "$repo" | cut -f1)
objects=$(git -C "$repo" count-objects -v | awk '/^(count|in-pack):/ {n += $2} END {print n}')
echo "repository $repo: $size, $objects objects, $(git -C "$repo" rev-list --all --count) commits"
printf '%-48s %10s %12s\n' command wall_s peak_rss_MB

measure() {
	name=$1
	shift
	/usr/bin/time -v -o "$out/time.txt" sh -c "$*" >/dev/null 2>"$out/stderr.txt" || {
		status=$?
		# dtleaks exits 1 when it finds the planted tokens.
		[ "$status" = 1 ] || { echo "$name failed ($status):" >&2; cat "$out/stderr.txt" >&2; }
	}
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt" |
		awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/time.txt")
	printf '%-48s %10s %12s\n' "$name" "$wall" "$rss"
}

measure "dtleaks history" "$dtleaks $repo"
measure "git cat-file --batch-all-objects --batch" "git -C $repo cat-file --batch-all-objects --batch > /dev/null"
measure "git log -p --all" "git -C $repo log -p --all > /dev/null"
