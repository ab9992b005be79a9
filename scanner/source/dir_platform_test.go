package source

import (
	"testing"
)

// TestDirIgnoreCRLF checks that ignore files saved with Windows line ends
// (as git for Windows checks them out with core.autocrlf) mean what they
// say: git drops the CR before each LF.
func TestDirIgnoreCRLF(t *testing.T) {
	root := t.TempDir()
	tr := dirBuild(t, root, dirFixture{
		".gitignore":       "*.log\r\n!keep.log\r\nbuild/\r\n",
		".dtleaksignore":   "fixtures/\r\n",
		"a.log":            "TOKEN",
		"keep.log":         "TOKEN",
		"build/x.txt":      "TOKEN",
		"fixtures/f.txt":   "TOKEN",
		"src/main.go":      "TOKEN",
		"src/crlf.env":     "k=TOKEN\r\n",
		"src/.gitignore":   "local.*\r\n",
		"src/local.secret": "TOKEN",
	})
	dirGit(t, root)
	found, problems := dirScan(t, Dir{Roots: []string{root}})
	for _, p := range problems {
		t.Errorf("problem: %v", p)
	}
	dirCheck(t, tr, found, dirWant(root, "keep.log", "src/main.go", "src/crlf.env"))
}
