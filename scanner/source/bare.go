package source

import "errors"

// ErrBareRepository is the problem of a directory that is a bare git
// repository: its files are zlib-compressed objects and packs, which a walk
// cannot read a token from, so calling it clean would be a lie. The
// directory's plain files (config, hooks) are still scanned.
var ErrBareRepository = errors.New("a bare git repository: its content is in compressed objects a file scan cannot read; run 'dtleaks history' on it")

// dirIsBareRepo reports whether a directory listing is a git directory:
// HEAD beside objects/ and refs/, as git itself recognises one. A work
// tree's .git is never walked, so what is found is a bare repository (or a
// git directory moved out of its work tree).
func dirIsBareRepo(ents []dirEnt) bool {
	var head, objects, refs bool
	for _, e := range ents {
		switch e.name {
		case "HEAD":
			head = e.typ.IsRegular()
		case "objects":
			objects = e.typ.IsDir()
		case "refs":
			refs = e.typ.IsDir()
		}
	}
	return head && objects && refs
}
