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
rm -f "$out/serve.url"
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
printf '%-10s %-46s %8s %12s\n' transport command wall_s peak_rss_MB

# measure NAME CMD: runs CMD under GNU time; sets wall and rss.
measure() {
	/usr/bin/time -v -o "$out/time.txt" sh -c "$2" >/dev/null 2>"$out/stderr.txt" || {
		status=$?
		# dtleaks exits 1 when it finds the planted tokens.
		[ "$status" = 1 ] || { echo "$1 failed ($status):" >&2; cat "$out/stderr.txt" >&2; exit 1; }
	}
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt" |
		awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
	rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/time.txt")
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
	measure "dtleaks history URL..." "TMPDIR=$out $out/dtleaks history --quiet $urls"
	ours=$wall ours_rss=$rss
	printf '%-10s %-46s %8s %12s\n' "$transport" "dtleaks history URL..." "$wall" "$rss"

	# The pair below clones one repository at a time: this line shows what
	# the parallel fetches of the line above are worth.
	measure "dtleaks history --parallel-repos 1 URL..." "TMPDIR=$out $out/dtleaks history --quiet --parallel-repos 1 $urls"
	printf '%-10s %-46s %8s %12s\n' "$transport" "dtleaks history --parallel-repos 1 URL..." "$wall" "$rss"

	rm -rf "$out/mirrors"
	mkdir -p "$out/mirrors"
	pair="i=0; for u in $urls; do i=\$((i+1)); git clone -q --mirror \$u $out/mirrors/\$i.git || exit 2; done; $out/dtleaks history --quiet $out/mirrors/*.git"
	measure "git clone --mirror + dtleaks history" "$pair"
	printf '%-10s %-46s %8s %12s\n' "$transport" "git clone --mirror + dtleaks history" "$wall" "$rss"
	rm -rf "$out/mirrors"
	echo "$ours $wall $ours_rss" | awk '{ printf "%-10s %-46s %8.2fx %12s\n", "", "ratio (target <= 1.5x, RSS < 1024 MB)", $1 / $2, $3 }'
done
