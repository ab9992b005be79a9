package scanner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// failedItems yields each of its items as a failure with its error.
type failedItems []Problem

func (s failedItems) Items(ctx context.Context, yield func(Item, error) error) error {
	for _, p := range s {
		if err := yield(Item{Path: p.Path}, p.Err); err != nil {
			return err
		}
	}
	return nil
}

// TestScanNames: a token in an item's path is a finding of its own, at
// its character in the path, and no path or problem of the result holds it.
func TestScanNames(t *testing.T) {
	g := tokentest.New(1102)
	a, b := g.Token("dt0c01"), g.Token("dt0s16")
	path := "dé/cache-" + a.Text + ".txt"
	res, err := Scan(context.Background(), items{{Path: path, R: strings.NewReader("x=" + b.Text + "\n")}, {Path: "clean", R: strings.NewReader("")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d\u00e9/cache-" + a.ID + ".****.txt  1:3 " + b.ID,
		"d\u00e9/cache-" + a.ID + ".****.txt path 1:10 " + a.ID,
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Path+" "+string(f.Location)+" "+fmt.Sprintf("%d:%d", f.Line, f.Column)+" "+string(f.ID))
	}
	out := strings.Join(got, "\n")
	if where, leak := tokentest.Leak([]byte(out), a, b); leak {
		t.Fatalf("findings hold the %s", where)
	}
	if out != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}

	// A problem: its path and message are redacted, and a message that
	// named the path still names it once.
	bad := "d/" + a.Text
	res, err = Scan(context.Background(), failedItems{
		{Path: bad, Err: &fs.PathError{Op: "open", Path: bad, Err: fs.ErrPermission}},
		{Path: "f", Err: errors.New("quoting " + b.Text)},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range res.Problems {
		msgs = append(msgs, p.Error())
	}
	out = strings.Join(msgs, "\n")
	if where, leak := tokentest.Leak([]byte(out), a, b); leak {
		t.Fatalf("problems hold the %s", where)
	}
	wantP := "open d/" + a.ID + ".****: permission denied\nf: quoting " + b.ID + ".****"
	if out != wantP {
		t.Errorf("problems:\n%s\nwant:\n%s", out, wantP)
	}
	if !errors.Is(res.Problems[0].Err, fs.ErrPermission) {
		t.Errorf("redacted problem no longer unwraps to its error")
	}
	if len(res.Findings) != 1 || res.Findings[0].Location != LocationPath || string(res.Findings[0].ID) != a.ID {
		t.Errorf("the unreadable item's name is not a finding: %d findings", len(res.Findings))
	}
}
