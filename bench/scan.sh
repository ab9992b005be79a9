#!/usr/bin/env bash
# bench/scan.sh [TREE]: wall time of `dtleaks scan --no-ignore` beside
# `rg -uuu -c dt0` on the same tree (default /usr/local/go), a few runs each,
# with the page cache warm, and the ratio dtleaks/rg. The target is at most
# 1.5. RUNS=N sets the number of runs (default 5). Figures on a shared
# machine are noisy: the minimum is the steadier one.
set -euo pipefail

cd "$(dirname "$0")/.."
tree=${1:-/usr/local/go}
runs=${RUNS:-5}
out=bench/out
mkdir -p "$out"

if [[ ! -d $tree ]]; then
	echo "scan.sh: $tree is not a directory" >&2
	exit 2
fi

echo "building ./cmd/dtleaks" >&2
go build -o "$out/dtleaks" ./cmd/dtleaks
dtleaks=$out/dtleaks

if ! command -v rg >/dev/null; then
	if [[ -t 0 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "rg (ripgrep) is missing: installing it with apt-get" >&2
		apt-get update -qq && apt-get install -y -qq ripgrep >&2
	fi
fi
have_rg=true
if ! command -v rg >/dev/null; then
	have_rg=false
	echo "scan.sh: rg (ripgrep) is MISSING: no comparison, dtleaks alone is timed." >&2
	echo "scan.sh: install it with: apt-get install ripgrep" >&2
fi

files=$(find "$tree" -type f | wc -l)
size=$(du -sh "$tree" | cut -f1)
echo "tree: $tree ($files files, $size), $runs runs each, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"

# Exit status 1 means findings for dtleaks and no match for rg: not a
# failure here. Anything else is.
dt_cmd=("$dtleaks" scan --no-ignore --format json "$tree")
rg_cmd=(rg -uuu -c dt0 "$tree")
check() {
	local rc=0
	"$@" >/dev/null 2>"$out/stderr" || rc=$?
	if ((rc > 1)); then
		echo "scan.sh: '$*' failed (exit $rc):" >&2
		head -5 "$out/stderr" >&2
		exit 2
	fi
}

# Warm the page cache, and check that both commands work.
echo "warming the page cache" >&2
check "${dt_cmd[@]}"
if $have_rg; then check "${rg_cmd[@]}"; fi

if command -v hyperfine >/dev/null; then
	cmds=("${dt_cmd[*]}")
	if $have_rg; then cmds+=("${rg_cmd[*]}"); fi
	hyperfine -N -i -w 1 -r "$runs" --export-csv "$out/scan.csv" "${cmds[@]}"
	# command,mean,stddev,median,user,system,min,max (seconds)
	mapfile -t rows < <(tail -n +2 "$out/scan.csv")
	stat() { IFS=, read -r _ mean _ median _ _ min _ <<<"$1"; echo "$median $min"; }
	read -r dt_med dt_min <<<"$(stat "${rows[0]}")"
	if $have_rg; then read -r rg_med rg_min <<<"$(stat "${rows[1]}")"; fi
else
	echo "(hyperfine not installed: timing with a bash loop)" >&2
	now() { date +%s.%N; }
	time1() {
		local t0 t1
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
	}
	dt_times=() rg_times=()
	for ((i = 0; i < runs; i++)); do
		dt_times+=("$(time1 "${dt_cmd[@]}")")
		if $have_rg; then rg_times+=("$(time1 "${rg_cmd[@]}")"); fi
	done
	summary() { printf '%s\n' "$@" | sort -g | awk '{ t[NR] = $1 } END { printf "%s %s\n", t[int((NR + 1) / 2)], t[1] }'; }
	read -r dt_med dt_min <<<"$(summary "${dt_times[@]}")"
	echo "dtleaks: ${dt_times[*]} (s)"
	if $have_rg; then
		read -r rg_med rg_min <<<"$(summary "${rg_times[@]}")"
		echo "rg:      ${rg_times[*]} (s)"
	fi
fi

ms() { awk -v t="$1" 'BEGIN { printf "%.0f ms", t * 1000 }'; }
echo
echo "dtleaks scan --no-ignore: median $(ms "$dt_med"), min $(ms "$dt_min")"
if ! $have_rg; then
	echo "rg missing: no ratio"
	exit 1
fi
echo "rg -uuu -c dt0:           median $(ms "$rg_med"), min $(ms "$rg_min")"
awk -v a="$dt_med" -v b="$rg_med" -v c="$dt_min" -v d="$rg_min" \
	'BEGIN { printf "ratio dtleaks/rg: median %.2f, min %.2f (target <= 1.5)\n", a / b, c / d }'
