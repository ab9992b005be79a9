package history

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/scanner"
)

// benchGit runs git in dir for a benchmark's setup.
func benchGit(b *testing.B, dir, in string, args ...string) string {
	b.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(in)
	cmd.Env = append(os.Environ(), "HOME="+dir, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=C", "GIT_COMMITTER_EMAIL=c@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// BenchmarkRefs (issue 11, item 19) scans repositories of 1000 and 4000
// packed refs, as a forge's mirror holds one per pull request: the time
// per ref (ns/ref) must stay flat. It grew with the number of refs while
// each ref was resolved by rereading packed-refs; git for-each-ref is the
// reference, run beside it.
func BenchmarkRefs(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	for _, n := range []int{1000, 4000} {
		dir := b.TempDir()
		benchGit(b, dir, "", "init", "-q", "-b", "main")
		if err := os.WriteFile(dir+"/a.txt", []byte("hello\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		benchGit(b, dir, "", "add", "a.txt")
		benchGit(b, dir, "", "commit", "-q", "-m", "a")
		head := benchGit(b, dir, "", "rev-parse", "HEAD")
		var in strings.Builder
		for i := range n {
			fmt.Fprintf(&in, "create refs/pull/%d/head %s\n", i, head)
		}
		benchGit(b, dir, in.String(), "update-ref", "--stdin")
		benchGit(b, dir, "", "pack-refs", "--all")
		b.Run(fmt.Sprintf("dtleaks/%d", n), func(b *testing.B) {
			for range b.N {
				res, err := scanner.Scan(context.Background(), &Source{Path: dir, NoUnreachable: true}, scanner.Options{})
				if err != nil || len(res.Problems) > 0 {
					b.Fatal(err, res.Problems)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ref")
		})
		b.Run(fmt.Sprintf("git-for-each-ref/%d", n), func(b *testing.B) {
			for range b.N {
				benchGit(b, dir, "", "for-each-ref", "--format=%(objectname)")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/ref")
		})
	}
}
