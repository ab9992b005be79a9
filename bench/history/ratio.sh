#!/bin/sh
# Compare "dtleaks history" with git's own full read of the object store.
#
#   bench/history/ratio.sh [REPO] [RUNS]
#
# Runs, alternately and RUNS times (default 5), on REPO (default: the
# repository run.sh builds, bench/out/history-repo):
#   dtleaks history -f json REPO
#   git cat-file --batch-all-objects --batch --unordered
# and prints each run's wall and user+sys CPU seconds, their medians, the
# ratios dtleaks/git of the medians, and the load average before and after:
# the machine may be shared, so CPU is the steadier figure. DTLEAKS names
# the binary to run (default: built from this tree into bench/out); set
# REF=other-binary to add a third command, e.g. a build from before a change.
set -eu
cd "$(dirname "$0")/../.."
out=bench/out
mkdir -p "$out"
repo=${1:-$out/history-repo}
runs=${2:-5}
[ -d "$repo" ] || { echo "no repository $repo (bench/history/run.sh builds the default one)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }
if [ -z "${DTLEAKS:-}" ]; then
	go build -o "$out/dtleaks" ./cmd/dtleaks
	DTLEAKS=$out/dtleaks
fi

# one NAME CMD...: runs CMD once, appends "wall cpu" to $out/ratio.NAME.
one() {
	name=$1
	shift
	status=0
	/usr/bin/time -f '%e %U %S' -o "$out/ratio.time" "$@" >/dev/null 2>"$out/ratio.err" || status=$?
	# dtleaks exits 1 when it finds tokens.
	if [ "$status" != 0 ] && [ "$status" != 1 ]; then
		echo "$name failed ($status):" >&2
		cat "$out/ratio.err" >&2
		exit 2
	fi
	tail -n 1 "$out/ratio.time" | awk '{printf "%.2f %.2f\n", $1, $2 + $3}' >>"$out/ratio.$name"
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

names="dtleaks git"
[ -n "${REF:-}" ] && names="$names ref"
for n in $names; do : >"$out/ratio.$n"; done
echo "repository $repo, $runs runs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the page cache.
git -C "$repo" cat-file --batch-all-objects --batch --unordered >/dev/null
for _ in $(seq "$runs"); do
	one dtleaks "$DTLEAKS" history -f json "$repo"
	one git git -C "$repo" cat-file --batch-all-objects --batch --unordered
	[ -n "${REF:-}" ] && one ref "$REF" history -f json "$repo"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-40s %8s %8s\n' command 'runs: wall/cpu s' wall_med cpu_med
for n in $names; do
	runs_s=$(awk '{printf "%s/%s ", $1, $2}' "$out/ratio.$n")
	printf '%-10s %-40s %8s %8s\n' "$n" "$runs_s" "$(cut -d' ' -f1 "$out/ratio.$n" | median)" "$(cut -d' ' -f2 "$out/ratio.$n" | median)"
done
for n in $names; do
	[ "$n" = git ] && continue
	w1=$(cut -d' ' -f1 "$out/ratio.$n" | median)
	c1=$(cut -d' ' -f2 "$out/ratio.$n" | median)
	w0=$(cut -d' ' -f1 "$out/ratio.git" | median)
	c0=$(cut -d' ' -f2 "$out/ratio.git" | median)
	awk -v n="$n" -v w1="$w1" -v c1="$c1" -v w0="$w0" -v c0="$c0" \
		'BEGIN {printf "%s/git: wall %.2fx, cpu %.2fx\n", n, w1 / w0, c1 / c0}'
done
