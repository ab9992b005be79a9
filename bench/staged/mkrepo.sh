#!/usr/bin/env bash
# mkrepo.sh DIR [FILES]: build a git repository of FILES files (default
# 100000) in one commit with git fast-import, check it out, and prime the
# index (with its cached-tree extension) from HEAD. The files are spread
# over 100 top directories x 10 subdirectories; no file holds a token.
set -euo pipefail
dir=$1
files=${2:-100000}
rm -rf "$dir"
git init -q "$dir"
cd "$dir"
git config user.name bench
git config user.email bench@example.invalid
awk -v n="$files" 'BEGIN {
	print "commit refs/heads/main"
	print "committer bench <bench@example.invalid> 1700000000 +0000"
	print "data 12"; print "bench files"
	for (i = 0; i < n; i++) {
		body = sprintf("file %d\nline two of file %d\nconfig_value_%d = %d\n", i, i, i, i * 7)
		printf "M 100644 inline d%02d/s%d/f%06d.txt\n", i % 100, int(i / 100) % 10, i
		printf "data %d\n%s\n", length(body), body
	}
}' | git fast-import --quiet
git symbolic-ref HEAD refs/heads/main
git read-tree HEAD
git checkout-index -a -f
git update-index -q --refresh >/dev/null || true
