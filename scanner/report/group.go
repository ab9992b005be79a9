package report

import (
	"bufio"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// TextByToken writes the text format grouped by token, for audits: one
// block per distinct token (by fingerprint, in the order of each token's
// first finding) with what is known of it once, then each place it is:
//
//	dt0c01.ABC….**** classic-access-token
//	  env https://abc.live.dynatrace.com
//	  introduced commit 1a2b3c4d5e6f by Ada <ada@example.com> on 2024-03-05
//	  contained in main, release/2; tags v1.0
//	  still at HEAD
//	  settings.yaml:2:10 commit 1a2b3c4d5e6f (Ada, 2024-03-05)
//	  old/settings.yaml:2:10 commit 9f8e7d6c5b4a (Bob, 2024-04-01)
//
// The environment is the first one found beside any copy. The introducing
// commit is the oldest of the token's commits; refs tells the branches and
// tags that contain each commit (nil outside history). "still at HEAD" or
// "history only" is said for findings from history.
//
// In an audit of several repositories a commit is named with its
// repository, and where the token is is told for each repository that
// holds it, in the words of one repository's block:
//
//	dt0c01.ABC….**** classic-access-token
//	  introduced commit 1a2b3c4d5e6f by Ada <ada@example.com> on 2024-03-05 in repository https://git.example.com/a
//	  repository https://git.example.com/a: contained in main; tags v1.0; still at HEAD
//	  repository /srv/git/b: contained in release/2; history only
//	  still at HEAD
func TextByToken(w io.Writer, res scanner.Result, refs Refs, opts Options) error {
	p := newPalette(opts.Color)
	type group struct{ fs []*scanner.Finding }
	var order []rules.Fingerprint
	groups := map[rules.Fingerprint]*group{}
	for i := range res.Findings {
		f := &res.Findings[i]
		g := groups[f.Fingerprint]
		if g == nil {
			g = &group{}
			groups[f.Fingerprint] = g
			order = append(order, f.Fingerprint)
		}
		g.fs = append(g.fs, f)
	}
	return buffered(w, func(bw *bufio.Writer) error {
		for n, fp := range order {
			fs := groups[fp].fs
			first := fs[0]
			var b strings.Builder
			if n > 0 {
				b.WriteString("\n")
			}
			if first.ID == "" {
				b.WriteString(p.secret.Sprint("****") + " (fingerprint " + shortFingerprint(first.Fingerprint) + ")")
			} else {
				b.WriteString(p.where.Sprint(string(first.ID)+".") + p.secret.Sprint("****"))
			}
			b.WriteString(" " + p.kind.Sprint(kindName(first)) + "\n")
			env := ""
			var oldest *scanner.Finding
			history, atHead := false, false
			for _, f := range fs {
				if env == "" {
					env = f.Environment
				}
				o := f.Origin
				if o.Commit != "" || o.Blob != "" {
					history = true
				}
				atHead = atHead || o.AtHead
				// The oldest by author date; among equal dates, the one
				// more refs contain, as an ancestor is contained by
				// every ref that contains its descendants.
				if o.Commit != "" && (oldest == nil || o.Date.Before(oldest.Origin.Date) ||
					o.Date.Equal(oldest.Origin.Date) && len(refs.of(f)) > len(refs.of(oldest))) {
					oldest = f
				}
			}
			if env != "" {
				b.WriteString("  env " + p.extra.Sprint(Escape(env)) + "\n")
			}
			if oldest != nil {
				o := oldest.Origin
				s := "  introduced commit " + short(o.Commit)
				if o.AuthorName != "" || o.AuthorEmail != "" {
					s += " by " + Escape(o.AuthorName)
					if o.AuthorEmail != "" {
						s += " <" + Escape(o.AuthorEmail) + ">"
					}
				}
				if !o.Date.IsZero() {
					s += " on " + o.Date.Format(time.DateOnly)
				}
				if oldest.Repository != "" {
					s += " in repository " + Escape(oldest.Repository)
				}
				b.WriteString(s + "\n")
			}
			if refs != nil && history {
				// One line for the repository of a single-repository
				// scan; one a repository, in the findings' order, in an
				// audit, each saying also whether the token is at that
				// repository's HEAD.
				var repos []string
				byRepo := map[string][]*scanner.Finding{}
				for _, f := range fs {
					if f.Origin.Commit == "" && f.Origin.Blob == "" {
						continue
					}
					if byRepo[f.Repository] == nil {
						repos = append(repos, f.Repository)
					}
					byRepo[f.Repository] = append(byRepo[f.Repository], f)
				}
				for _, repo := range repos {
					rfs := byRepo[repo]
					s := "  contained in " + containedIn(rfs, refs)
					if repo != "" {
						s = "  repository " + Escape(repo) + ":" + strings.TrimPrefix(s, " ")
						if slices.ContainsFunc(rfs, func(f *scanner.Finding) bool { return f.Origin.AtHead }) {
							s += "; still at HEAD"
						} else {
							s += "; history only"
						}
					}
					b.WriteString(s + "\n")
				}
			}
			if history {
				if atHead {
					b.WriteString("  still at HEAD\n")
				} else {
					b.WriteString("  history only\n")
				}
			}
			for _, f := range fs {
				b.WriteString("  " + p.where.Sprintf("%s:%d:%d", where(f), f.Line, f.Column))
				if f.Repository != "" {
					b.WriteString(" repository " + Escape(f.Repository))
				}
				for _, e := range extras(f) {
					if strings.HasPrefix(e, "env ") || e == "still at HEAD" {
						continue // said once, above
					}
					b.WriteString(" " + p.extra.Sprint(e))
				}
				b.WriteString("\n")
			}
			if _, err := io.WriteString(bw, b.String()); err != nil {
				return err
			}
		}
		return nil
	})
}

// Refs tells which branches and tags contain a commit, for [TextByToken]:
// by repository (a finding's Repository, "" in a scan of one repository),
// then by a commit's full hash, the full names of the refs
// ("refs/heads/main", "refs/tags/v1").
type Refs map[string]map[string][]string

// of returns the refs that contain f's commit.
func (r Refs) of(f *scanner.Finding) []string { return r[f.Repository][f.Origin.Commit] }

// containedIn says which branches and tags contain the commits of fs,
// which are of one repository: "main, release/2; tags v1", or "no branch or
// tag".
func containedIn(fs []*scanner.Finding, refs Refs) string {
	seen := map[string]bool{}
	var branches, tags []string
	for _, f := range fs {
		for _, r := range refs.of(f) {
			if seen[r] {
				continue
			}
			seen[r] = true
			if t, ok := strings.CutPrefix(r, "refs/tags/"); ok {
				tags = append(tags, Escape(t))
			} else {
				branches = append(branches, Escape(strings.TrimPrefix(strings.TrimPrefix(r, "refs/heads/"), "refs/")))
			}
		}
	}
	slices.Sort(branches)
	slices.Sort(tags)
	switch {
	case len(branches)+len(tags) == 0:
		return "no branch or tag"
	case len(tags) == 0:
		return strings.Join(branches, ", ")
	case len(branches) == 0:
		return "tags " + strings.Join(tags, ", ")
	}
	return strings.Join(branches, ", ") + "; tags " + strings.Join(tags, ", ")
}

// CarryEnvironment gives every finding of a token the environment found
// beside any copy of it: the first, in the findings' order, of the copies
// that have one. A token's environment does not change with the file it was
// copied to.
func CarryEnvironment(fs []scanner.Finding) {
	env := map[rules.Fingerprint]string{}
	for _, f := range fs {
		if f.Environment != "" && env[f.Fingerprint] == "" {
			env[f.Fingerprint] = f.Environment
		}
	}
	for i := range fs {
		if fs[i].Environment == "" {
			fs[i].Environment = env[fs[i].Fingerprint]
		}
	}
}
