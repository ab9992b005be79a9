#!/usr/bin/env bash
# bench/linear.sh: does `dtleaks scan` cost follow the size of its input,
# whatever the line length, the token density or the bytes? (issue 15)
#
# Each case times dtleaks beside its reference in the same run, page cache
# warm, and prints one table row: case, dtleaks, reference, ratio, target.
#
#   case                                   reference                       target
#   1 GiB of NUL bytes, written            rg -uuu -c dt0, same file       <= 2x
#   1 GiB of random bytes (fixed seed)     rg -uuu -c dt0, same file       <= 2x
#   4 MiB, one line, a token every ~200 B  same bytes, "\n" before tokens  <= 1.5x
#   64 MiB, one line, a token every ~200 B 4 MiB of the same               <= 20x (linear)
#   TREE (default /usr/local/go)           rg -uuu -c dt0, same tree       <= 1.3x
#
# The TREE case runs dtleaks with --max-archive-depth 0, reading archives
# as the bytes they are, as rg does: Go's tree holds deliberately broken
# archives (archive/tar/testdata), which dtleaks reports as problems (exit
# 2) when it opens archives. A second row, for information, times the
# default (archives opened, up to two levels), whose exit 2 is expected.
#
# rg -uuu searches a binary file only up to its first match: random bytes
# hold "dt0" about once in 16 MiB, so rg reads a few MiB of the random file,
# not 1 GiB. The random case therefore also prints, for information, rg -a
# (the file read whole as text) beside dtleaks.
#
# dtleaks runs as `scan --no-ignore --format json`, output discarded. The
# token files come from bench/linear/gen (fixed seed, tokentest fakes).
# The 1 GiB files are written under $TMPDIR (default /tmp) one at a time,
# not sparse, and deleted after their case.
#
# Usage: bench/linear.sh [TREE]. RUNS=N times each command N times (default
# 1, after one warm-up run) and the median is used: on a shared machine,
# re-run a case whose figures are obviously off. CASES="nul random dense
# long tree" picks cases. Needs rg (ripgrep); uses hyperfine when there is
# one, a bash loop otherwise. Exit status 1 when a ratio misses its target.
set -euo pipefail

cd "$(dirname "$0")/.."
tree=${1:-/usr/local/go}
runs=${RUNS:-1}
cases=${CASES:-nul random dense long tree}
out=bench/out
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dtleaks-linear.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

if ! command -v rg >/dev/null; then
	echo "linear.sh: rg (ripgrep) is missing: apt-get install ripgrep" >&2
	exit 2
fi
echo "building ./cmd/dtleaks and bench/linear/gen" >&2
go build -o "$out/dtleaks" ./cmd/dtleaks
go build -o "$out/lineargen" ./bench/linear/gen
dtleaks=$out/dtleaks
gen=$out/lineargen

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $runs run(s) each after a warm-up; $(date -u +%FT%TZ)"

# check runs a command once (which also warms the page cache) and fails on
# an exit status above 1 (above $maxrc when set): 1 is findings for
# dtleaks, no match for rg.
check() {
	local rc=0
	"$@" >/dev/null 2>"$tmp/stderr" || rc=$?
	if ((rc > ${maxrc:-1})); then
		echo "linear.sh: '$*' failed (exit $rc):" >&2
		head -5 "$tmp/stderr" >&2
		exit 2
	fi
}

# median A B: time both commands (arrays named by A and B) side by side, and
# set t_a and t_b to their median wall times in seconds.
median() {
	local -n ca=$1 cb=$2
	check "${ca[@]}"
	check "${cb[@]}"
	if command -v hyperfine >/dev/null; then
		hyperfine -N -i -w 1 -r "$runs" --style none --export-csv "$tmp/h.csv" "${ca[*]}" "${cb[*]}" >/dev/null 2>&1
		# command,mean,stddev,median,user,system,min,max
		t_a=$(sed -n 2p "$tmp/h.csv" | awk -F, '{print $(NF-4)}')
		t_b=$(sed -n 3p "$tmp/h.csv" | awk -F, '{print $(NF-4)}')
		c_a=$(sed -n 2p "$tmp/h.csv" | awk -F, '{print $(NF-3) + $(NF-2)}')
		c_b=$(sed -n 3p "$tmp/h.csv" | awk -F, '{print $(NF-3) + $(NF-2)}')
	else
		c_a=0 c_b=0 # CPU time: hyperfine only
		local i ta=() tb=()
		for ((i = 0; i < runs; i++)); do
			ta+=("$(time1 "${ca[@]}")")
			tb+=("$(time1 "${cb[@]}")")
		done
		t_a=$(printf '%s\n' "${ta[@]}" | sort -g | awk '{t[NR]=$1} END {print t[int((NR+1)/2)]}')
		t_b=$(printf '%s\n' "${tb[@]}" | sort -g | awk '{t[NR]=$1} END {print t[int((NR+1)/2)]}')
	fi
}
time1() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

missed=0
# The ratio and the target are of wall times; "cpu" is user+system time
# of the same runs, a steadier figure when other work shares the machine.
printf '\n%-38s %9s %9s  %-34s %9s %9s %6s %6s\n' case dtleaks cpu reference "" cpu ratio target
row() { # name dt ref-name ref target
	local ratio ok
	ratio=$(awk -v a="$2" -v b="$4" 'BEGIN { printf "%.2f", a / b }')
	ok=$(awk -v r="$ratio" -v t="$5" 'BEGIN { print (r <= t) ? "ok" : "MISSED" }')
	if [[ -n ${info:-} ]]; then
		ok="(no target)"
	elif [[ $ok != ok ]]; then
		missed=1
	fi
	ms() { awk -v t="$1" 'BEGIN { printf "%.0fms", t * 1000 }'; }
	printf '%-38s %9s %9s  %-34s %9s %9s %5sx %5sx %s\n' "$1" "$(ms "$2")" "$(ms "$c_a")" "$3" "$(ms "$4")" "$(ms "$c_b")" \
		"$ratio" "$5" "$ok"
}
dt() { echo "$dtleaks" scan --no-ignore --format json "$@"; }

for c in $cases; do
	case $c in
	nul)
		head -c 1G /dev/zero >"$tmp/nul.bin"
		a=($(dt "$tmp/nul.bin")) b=(rg -uuu -c dt0 "$tmp/nul.bin")
		median a b
		row "1 GiB NUL bytes (written)" "$t_a" "rg -uuu -c dt0" "$t_b" 2
		rm -f "$tmp/nul.bin"
		;;
	random)
		"$gen" -random -size $((1 << 30)) >"$tmp/random.bin"
		a=($(dt "$tmp/random.bin")) b=(rg -uuu -c dt0 "$tmp/random.bin")
		median a b
		row "1 GiB random bytes" "$t_a" "rg -uuu -c dt0" "$t_b" 2
		b=(rg -uuu -a -c dt0 "$tmp/random.bin")
		median a b
		info=1 row "1 GiB random bytes (information)" "$t_a" "rg -uuu -a -c dt0 (reads it all)" "$t_b" 2
		rm -f "$tmp/random.bin"
		;;
	dense)
		"$gen" -size $((4 << 20)) >"$tmp/one-line-4m.txt"
		"$gen" -size $((4 << 20)) -lines >"$tmp/lines-4m.txt"
		a=($(dt "$tmp/one-line-4m.txt")) b=($(dt "$tmp/lines-4m.txt"))
		median a b
		row "4 MiB one line, token every ~200 B" "$t_a" "same bytes, a line per token" "$t_b" 1.5
		;;
	long)
		[[ -f $tmp/one-line-4m.txt ]] || "$gen" -size $((4 << 20)) >"$tmp/one-line-4m.txt"
		"$gen" -size $((64 << 20)) >"$tmp/one-line-64m.txt"
		a=($(dt "$tmp/one-line-64m.txt")) b=($(dt "$tmp/one-line-4m.txt"))
		median a b
		row "64 MiB one line, token every ~200 B" "$t_a" "4 MiB of the same (16x the bytes)" "$t_b" 20
		;;
	tree)
		a=($(dt --max-archive-depth 0 "$tree")) b=(rg -uuu -c dt0 "$tree")
		median a b
		row "$tree scan --no-ignore" "$t_a" "rg -uuu -c dt0" "$t_b" 1.3
		a=($(dt "$tree"))
		maxrc=2 median a b
		info=1 row "$tree, archives opened" "$t_a" "rg -uuu -c dt0" "$t_b" 1.3
		;;
	*)
		echo "linear.sh: unknown case $c" >&2
		exit 2
		;;
	esac
done
exit $missed
