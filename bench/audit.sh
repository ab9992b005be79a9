#!/bin/sh
# Benchmark "dtleaks history URL..." (issue 13) against its reference:
# "git clone --mirror" of each URL followed by "dtleaks history" of the
# clones, over file:// and over local smart HTTP (git http-backend).
#
#   bench/audit.sh [REPO ...]
#
# Without REPO, builds four synthetic corpora with bench/history/gen (once,
# under bench/out/audit/); give paths of real repositories (see
# ../shared/corpus) to use those instead. Reports wall time and peak RSS of
# each side, and the ratio; target: dtleaks <= 1.5x the pair, peak RSS < 1 GB.
set -eu
cd "$(dirname "$0")/.."
out=bench/out/audit
mkdir -p "$out/repos"
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 2; }

if [ $# -eq 0 ]; then
	i=0
	# Four shapes: many small commits; few commits with large files; a
	# wide tree; the generator's default.
	for flags in "-commits 2000 -files 300 -large 0" "-commits 200 -files 50 -large 4 -large-size 8388608" \
		"-commits 600 -files 2000 -large 0" "-commits 1000 -files 400 -large 2 -large-size 4194304"; do
		i=$((i + 1))
		repo="$out/repos/corpus$i.git"
		if [ ! -d "$repo" ]; then
			echo "building $repo ($flags) ..." >&2
			git init -q --bare "$repo"
			# shellcheck disable=SC2086
			go run ./bench/history/gen $flags | git -C "$repo" fast-import --quiet
			git -C "$repo" repack -q -a -d -f --depth=50 --window=10
		fi
	done
else
	for src in "$@"; do
		name=$(basename "$src" .git)
		[ -d "$out/repos/$name.git" ] || git clone -q --mirror "$src" "$out/repos/$name.git"
	done
fi

go build -o "$out/dtleaks" ./cmd/dtleaks
go build -o "$out/serve" ./bench/audit/serve
rm -f "$out/serve.url" "$out/serve.url.tmp"
"$out/serve" "$out/repos" >"$out/serve.url.tmp" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$out/mirrors"' EXIT INT TERM
i=0
until [ -s "$out/serve.url.tmp" ]; do
	i=$((i + 1))
	[ "$i" -le 100 ] || { echo "bench/audit/serve did not start" >&2; exit 1; }
	sleep 0.2
done
base=$(cat "$out/serve.url.tmp")
root=$(cd "$out/repos" && pwd)

echo "corpora:"
for r in "$out"/repos/*.git; do
	echo "  $(basename "$r"): $(du -sh "$r" | cut -f1), $(git -C "$r" rev-list --all --count) commits"
done
printf '%-10s %-46s %8s %8s %12s\n' transport command wall_s cpu_s peak_rss_MB

# measure NAME CMD: runs CMD under GNU time; sets wall, cpu (user+sys,
# steadier than wall on a loaded machine) and rss.
measure() {
	/usr/bin/time -v -o "$out/time.txt" sh -c "$2" >"$out/stdout.txt" 2>"$out/stderr.txt" || {
		status=$?
		# dtleaks exits 1 when it finds the planted tokens.
		[ "$status" = 1 ] || { echo "$1 failed ($status):" >&2; cat "$out/stderr.txt" >&2; exit 1; }
	}
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt" |
		awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
	cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$out/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/time.txt")
}

# findings FILE: the findings of the last measure, each line prefixed with
# the base name of its repository (a URL on one side, a mirror on the
# other), sorted, into FILE.
findings() {
	awk '/^repository / { n = split($2, p, "/"); repo = p[n]; next } NF { print repo ": " $0 }' "$out/stdout.txt" | sort >"$1"
}

# same NAME: fails unless the last measure found exactly what the pair
# found: the speed of a scan that misses findings is no speed at all.
same() {
	findings "$out/findings.txt"
	cmp -s "$out/findings.txt" "$out/findings-pair.txt" || {
		echo "$1 found other than git clone --mirror + dtleaks history:" >&2
		diff "$out/findings-pair.txt" "$out/findings.txt" | head -20 >&2
		exit 1
	}
}

# TRANSPORTS="http" runs one side only.
for transport in ${TRANSPORTS:-file http}; do
	urls=""
	for r in "$out"/repos/*.git; do
		name=$(basename "$r")
		case $transport in
		file) urls="$urls file://$root/$name" ;;
		http) urls="$urls $base/$name" ;;
		esac
	done
	rm -rf "$out/mirrors"
	mkdir -p "$out/mirrors"
	# The pair runs first: its findings are the reference.
	pair="for u in $urls; do git clone -q --mirror \$u $out/mirrors/\$(basename \$u) || exit 2; done; $out/dtleaks history --quiet $out/mirrors/*.git"
	measure "git clone --mirror + dtleaks history" "$pair"
	printf '%-10s %-46s %8s %8s %12s\n' "$transport" "git clone --mirror + dtleaks history" "$wall" "$cpu" "$rss"
	pair_wall=$wall pair_cpu=$cpu
	findings "$out/findings-pair.txt"
	[ -s "$out/findings-pair.txt" ] || { echo "git clone --mirror + dtleaks history found nothing" >&2; exit 1; }
	measure "dtleaks history URL..." "TMPDIR=$out $out/dtleaks history --quiet $urls"
	same "dtleaks history URL..."
	ours=$wall ours_cpu=$cpu ours_rss=$rss
	printf '%-10s %-46s %8s %8s %12s\n' "$transport" "dtleaks history URL..." "$wall" "$cpu" "$rss"

	# The pair clones one repository at a time: this line shows what the
	# parallel fetches of the line above are worth.
	measure "dtleaks history --parallel-repos 1 URL..." "TMPDIR=$out $out/dtleaks history --quiet --parallel-repos 1 $urls"
	printf '%-10s %-46s %8s %8s %12s\n' "$transport" "dtleaks history --parallel-repos 1 URL..." "$wall" "$cpu" "$rss"
	same "dtleaks history --parallel-repos 1 URL..."

	rm -rf "$out/mirrors"
	echo "$ours $pair_wall $ours_cpu $pair_cpu $ours_rss" | awk '{ printf "%-10s %-46s %7.2fx %7.2fx %12s\n", "", "ratio (target <= 1.5x, RSS < 1024 MB)", $1 / $2, $3 / $4, $5 }'
done
