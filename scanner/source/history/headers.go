package history

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/dtleaks/dtleaks/internal/gitrepo"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// headerItem returns the item of the headers of the commit or tag object
// raw (everything before the blank line that starts its message), for the
// object whose message item is msg. The headers hold what people type and
// git copies verbatim: names, e-mails, a tag's name, the whole of a merged
// tag (mergetag), signatures.
func headerItem(msg scanner.Item, raw []byte) scanner.Item {
	it := msg
	it.Location = scanner.LocationCommitHeader
	if msg.Location == scanner.LocationTagMessage {
		it.Location = scanner.LocationTagHeader
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		raw = raw[:i+1]
	}
	it.R = bytes.NewReader(raw)
	return it
}

// refItems yields the name of every ref (keep, if not nil, chooses them by
// the commit they lead to), each as an item of Location LocationRefName whose Path
// is the name redacted (see rules.Redact): a branch named after a token is
// a leak of that token, and the report must not repeat it.
func (h *Source) refItems(ctx context.Context, repo *repository, keep func(plumbing.Hash) bool, yield func(scanner.Item, error) error) error {
	type ref struct {
		name string
		hash plumbing.Hash
	}
	var refs []ref
	err := gitrepo.Safe("reading refs", func() error {
		iter, err := repo.References()
		if err != nil {
			return err
		}
		defer iter.Close()
		return iter.ForEach(func(r *plumbing.Reference) error {
			if r.Name() != plumbing.HEAD { // a fixed name
				refs = append(refs, ref{r.Name().String(), r.Hash()})
			}
			if r.Type() == plumbing.SymbolicReference {
				refs = append(refs, ref{name: r.Target().String()})
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	// By name, and for one name the entry with a hash first: it is the
	// one CompactFunc keeps.
	slices.SortFunc(refs, func(a, b ref) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return cmp.Compare(boolInt(a.hash.IsZero()), boolInt(b.hash.IsZero()))
	})
	refs = slices.CompactFunc(refs, func(a, b ref) bool { return a.name == b.name })
	for _, r := range refs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if keep != nil && (r.hash.IsZero() || !keep(peel(repo, r.hash))) {
			continue
		}
		it := scanner.Item{Path: rules.Redact(r.name), Location: scanner.LocationRefName, R: strings.NewReader(r.name)}
		if !r.hash.IsZero() {
			it.Origin.Commit = r.hash.String()
		}
		if err := yield(it, nil); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// peel follows annotated tags from h to what they tag; an object that
// cannot be read ends the walk where it is.
func peel(repo *repository, h plumbing.Hash) plumbing.Hash {
	for range 64 {
		obj, err := readObject(repo, h)
		if err != nil || obj.Type() != plumbing.TagObject {
			return h
		}
		var t object.Tag
		if gitrepo.Guard(func() error { return t.Decode(obj) }) != nil {
			return h
		}
		h = t.Target
	}
	return h
}
