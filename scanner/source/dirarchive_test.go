package source

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/scanner"
)

// An archive's members are scanned and named archive!member; a member whose
// name holds a token is named redacted, and the secret is in no path or
// problem.
func TestDirArchiveMembers(t *testing.T) {
	g := tokentest.New(17)
	inName, inBody := g.Token("dt0c01"), g.Token("dt0c01")
	root := t.TempDir()
	f, err := os.Create(filepath.Join(root, "bundle.jar"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("config/app.env")
	fmt.Fprintf(w, "token=%s\n", inBody.Text)
	w, _ = zw.Create("keys/" + inName.Text + ".txt")
	fmt.Fprintf(w, "%s\n", inBody.Text)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, depth := range []int{0, 1} {
		res, err := scanner.Scan(context.Background(), Dir{Roots: []string{root}, MaxArchiveDepth: depth}, scanner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		for _, fd := range res.Findings {
			fmt.Fprintf(&out, "%s %s\n", fd.Path, fd.ID)
		}
		for _, p := range res.Problems {
			fmt.Fprintf(&out, "problem %s\n", p.Error())
		}
		if where, leak := tokentest.Leak([]byte(out.String()), inName, inBody); leak {
			t.Fatalf("depth %d: %s", depth, where)
		}
		want := filepath.ToSlash(root) + "/bundle.jar!config/app.env"
		found := false
		for _, fd := range res.Findings {
			found = found || fd.Path == want && string(fd.ID) == inBody.ID
		}
		if found != (depth > 0) {
			t.Errorf("depth %d: finding of %s at %s: %v, want %v", depth, inBody.ID, want, found, depth > 0)
		}
	}
}
