package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// binary is the dtleaks executable the end-to-end tests run, built once.
var binary string

// TestMain makes the test binary the "dtleaks" command of the transcripts
// (testscript runs it under that name), and otherwise builds the binary the
// end-to-end tests run, then runs the tests.
func TestMain(m *testing.M) {
	testscript.Main(e2e{m}, map[string]func(){"dtleaks": scriptDtleaks})
}

// e2e runs the tests with the dtleaks binary built.
type e2e struct{ m *testing.M }

func (e e2e) Run() int {
	m := e.m
	dir, err := os.MkdirTemp("", "dtleaks-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	binary = filepath.Join(dir, "dtleaks")
	if b := os.Getenv("DTLEAKS_TEST_BINARY"); b != "" {
		// Built beforehand, where the tests cannot run the go command
		// (Windows test binaries under Wine; see .ci/run).
		binary = b
	} else {
		build := exec.Command("go", "build", "-o", binary, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building dtleaks:", err)
			return 2
		}
	}
	// Everyone may run it: some tests drop to an unprivileged user.
	os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	return m.Run()
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr []byte
	code           int
}

// cmd describes one run of the binary.
type cmd struct {
	dir   string
	stdin string
	env   []string
	uid   int // run as this user when > 0 (the tests run as root in CI)
	args  []string
}

func (c cmd) run(t *testing.T) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	x := exec.CommandContext(ctx, binary, c.args...)
	x.Dir = c.dir
	x.Stdin = strings.NewReader(c.stdin)
	x.Env = append([]string{"HOME=/nonexistent", "PATH=" + os.Getenv("PATH")}, c.env...)
	if c.uid > 0 {
		runAsUser(t, x, c.uid)
	}
	var out, errb bytes.Buffer
	x.Stdout, x.Stderr = &out, &errb
	err := x.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running dtleaks %s: %v", strings.Join(c.args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("dtleaks %s did not finish in time", strings.Join(c.args, " "))
	}
	return result{out.Bytes(), errb.Bytes(), code}
}

// dtleaks runs the binary in dir with args.
func dtleaks(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return cmd{dir: dir, args: args}.run(t)
}

// tree writes files under a new temporary directory. In each content, every
// "{name}" is replaced by a token generated for that name: the same name in
// several files is the same token. It returns the directory and the tokens.
func tree(t *testing.T, seed uint64, files map[string]string) (string, map[string]tokentest.Token) {
	t.Helper()
	dir := t.TempDir()
	g := tokentest.New(seed)
	toks := map[string]tokentest.Token{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names) // the same seed gives the same tokens
	re := regexp.MustCompile(`\{([a-z0-9_]+)(?::(dt0[a-z][0-9]{2}))?\}`)
	for _, name := range names {
		content := re.ReplaceAllStringFunc(files[name], func(m string) string {
			sub := re.FindStringSubmatch(m)
			tok, ok := toks[sub[1]]
			if !ok {
				prefix := sub[2]
				if prefix == "" {
					prefix = "dt0c01"
				}
				tok = g.Token(prefix)
				toks[sub[1]] = tok
			}
			return tok.Text
		})
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, toks
}

// jsonFinding holds the fields of a JSON finding that the tests check.
type jsonFinding struct {
	TokenID     string `json:"token_id"`
	Prefix      string `json:"prefix"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Path        string `json:"path"`
	Line        int    `json:"line"`
	Column      int    `json:"column"`
	Fingerprint string `json:"fingerprint"`
}

func decode(t *testing.T, r result) []jsonFinding {
	t.Helper()
	var fs []jsonFinding
	if err := json.Unmarshal(r.stdout, &fs); err != nil {
		t.Fatalf("stdout is not a JSON array of findings: %v (exit %d, stderr %s)", err, r.code, r.stderr)
	}
	return fs
}

// noLeak fails the test if any output of r holds a run of a secret.
func noLeak(t *testing.T, r result, toks map[string]tokentest.Token) {
	t.Helper()
	var all []tokentest.Token
	for _, tok := range toks {
		all = append(all, tok)
	}
	for name, out := range map[string][]byte{"stdout": r.stdout, "stderr": r.stderr} {
		if where, leak := tokentest.Leak(out, all...); leak {
			t.Errorf("%s holds a %s", name, where)
		}
	}
}

// where lists findings as "path:line:column id", sorted as reported.
func where(fs []jsonFinding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s:%d:%d %s", f.Path, f.Line, f.Column, f.TokenID)
	}
	return out
}

func equal(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

func gitInit(t *testing.T, dir string) {
	t.Helper()
	needGit(t)
	gittest.Run(t, "", dir, gittest.Epoch, "", "init", "-q", dir)
}

func TestScanFindsAndRedacts(t *testing.T) {
	dir, toks := tree(t, 1, map[string]string{
		"app.env":             "DT_API_TOKEN={a}\n",
		"config/values.yaml":  "dynatrace:\n  apiToken: \"{b:dt0s16}\"\n  again: {a}\n",
		".env":                "X=1\r\nTOKEN={c:dt0s01}\r\n",
		"docs/example.md":     "Use `{d}` # dtleaks:allow\n",
		"unicode/ключ.txt":    "ключ: «{e:dt0g02}»\n",
		"bin/artefact.bin":    "\x00\x01\xff{f:dt0a01}\x00",
		"clean/nothing.go":    "package clean\n",
		"near/miss.txt":       "dt0c01.TOOSHORT.ABC\n",
		"deep/a/b/c/d/e/f.js": "const t = '{g}';",
	})
	r := dtleaks(t, dir, "scan", "--format", "json", ".")
	if r.code != 1 {
		t.Fatalf("exit = %d; want 1 (stderr %s)", r.code, r.stderr)
	}
	noLeak(t, r, toks)
	got := where(decode(t, r))
	want := []string{
		".env:2:7 " + toks["c"].ID,
		"app.env:1:14 " + toks["a"].ID,
		"bin/artefact.bin:1:4 " + toks["f"].ID,
		"config/values.yaml:2:14 " + toks["b"].ID,
		"config/values.yaml:3:10 " + toks["a"].ID,
		"deep/a/b/c/d/e/f.js:1:12 " + toks["g"].ID,
		"unicode/ключ.txt:1:8 " + toks["e"].ID,
	}
	if !equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range decode(t, r) {
		if f.Prefix != f.TokenID[:6] || f.Type == "" || f.Description == "" || len(f.Fingerprint) != 64 {
			t.Errorf("finding %s: prefix %q, type %q, description %q, fingerprint length %d", f.TokenID, f.Prefix, f.Type, f.Description, len(f.Fingerprint))
		}
	}
	for _, name := range []string{"a", "b"} {
		if !bytes.Contains(r.stdout, []byte(toks[name].Fingerprint)) {
			t.Errorf("no finding has the fingerprint of %s", toks[name].ID)
		}
	}

	text := dtleaks(t, dir, "scan", ".")
	if text.code != 1 {
		t.Fatalf("text: exit = %d; want 1", text.code)
	}
	noLeak(t, text, toks)
	for _, w := range want {
		loc, id, _ := strings.Cut(w, " ")
		if !bytes.Contains(text.stdout, []byte(loc)) || !bytes.Contains(text.stdout, []byte(id+".****")) {
			t.Errorf("text output lacks %s with %s.****", loc, id)
		}
	}
	if bytes.Contains(text.stdout, []byte("\x1b[")) {
		t.Errorf("text output to a pipe is coloured")
	}
	if !bytes.Contains(text.stderr, []byte("7 findings")) {
		t.Errorf("summary on stderr does not say 7 findings: %s", text.stderr)
	}
}

func TestScanClean(t *testing.T) {
	dir, _ := tree(t, 2, map[string]string{"a.txt": "nothing here\n", "b/c.go": "package c\n"})
	r := dtleaks(t, dir, "scan", "--format", "json")
	if r.code != 0 || strings.TrimSpace(string(r.stdout)) != "[]" {
		t.Errorf("clean scan: exit %d, stdout %q; want 0 and []", r.code, r.stdout)
	}
	r = dtleaks(t, dir, "scan")
	if r.code != 0 || len(r.stdout) != 0 {
		t.Errorf("clean text scan: exit %d, stdout %q; want 0 and nothing", r.code, r.stdout)
	}
}

func TestScanIgnores(t *testing.T) {
	files := map[string]string{
		".gitignore":            "*.log\n!keep.log\nbuild/\n/rooted.txt\n",
		"app.log":               "{ignored_log}",
		"keep.log":              "{kept_log}",
		"build/out.txt":         "{ignored_build}",
		"rooted.txt":            "{ignored_rooted}",
		"sub/rooted.txt":        "{kept_rooted}",
		"sub/.gitignore":        "local.txt\n",
		"sub/local.txt":         "{ignored_nested}",
		"local.txt":             "{kept_local}",
		".dtleaksignore":        "fixtures/\n",
		"fixtures/tok.txt":      "{ignored_dtleaksignore}",
		"excluded.txt":          "{ignored_exclude}",
		".hidden/.env":          "{kept_hidden}",
		"vendor/.dtleaksignore": "*.gen\n",
		"vendor/x.gen":          "{ignored_nested_dtleaksignore}",
	}
	dir, toks := tree(t, 3, files)
	gitInit(t, dir)
	if err := os.WriteFile(filepath.Join(dir, ".git", "info", "exclude"), []byte("excluded.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A token inside .git is never reported: .git is not walked.
	if err := os.WriteFile(filepath.Join(dir, ".git", "config.bak"), []byte(toks["kept_log"].Text), 0o644); err != nil {
		t.Fatal(err)
	}
	found := func(r result) map[string]bool {
		m := map[string]bool{}
		for _, f := range decode(t, r) {
			for name, tok := range toks {
				if tok.ID == f.TokenID {
					m[name] = true
				}
				if strings.HasPrefix(f.Path, ".git/") {
					t.Errorf("reported a file inside .git: %s", f.Path)
				}
			}
		}
		return m
	}
	got := found(dtleaks(t, dir, "scan", "--format", "json"))
	for name := range toks {
		if want := !strings.HasPrefix(name, "ignored"); got[name] != want {
			t.Errorf("token %s: found %v; want %v", name, got[name], want)
		}
	}
	all := found(dtleaks(t, dir, "scan", "--no-ignore", "--format", "json"))
	for name := range toks {
		if !all[name] {
			t.Errorf("--no-ignore: token %s not found", name)
		}
	}
}

func TestScanBigFileAndLongLine(t *testing.T) {
	dir := t.TempDir()
	g := tokentest.New(4)
	var toks []tokentest.Token
	// Tokens straddling every 1 MiB boundary of a 5 MiB single line.
	var b bytes.Buffer
	for i := 1; i <= 5; i++ {
		b.WriteString(strings.Repeat("x", i<<20-b.Len()-40))
		tok := g.Token("dt0c01")
		toks = append(toks, tok)
		b.WriteString(tok.Text)
	}
	if err := os.WriteFile(filepath.Join(dir, "long.txt"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := dtleaks(t, dir, "scan", "--format", "json")
	fs := decode(t, r)
	if r.code != 1 || len(fs) != len(toks) {
		t.Fatalf("exit %d, %d findings; want 1 and %d", r.code, len(fs), len(toks))
	}
	for i, f := range fs {
		wantCol := (i+1)<<20 - 40 + 1 // ASCII: one column a byte
		if f.TokenID != toks[i].ID || f.Line != 1 || f.Column != wantCol {
			t.Errorf("finding %d = %s at 1:%d; want %s at 1:%d", i, f.TokenID, f.Column, toks[i].ID, wantCol)
		}
	}
}

func TestScanStdin(t *testing.T) {
	g := tokentest.New(5)
	tok := g.Token("dt0c01")
	r := cmd{dir: t.TempDir(), stdin: "a\nb " + tok.Text + "\n", args: []string{"scan", "--format", "json", "-"}}.run(t)
	fs := decode(t, r)
	if r.code != 1 || len(fs) != 1 || fs[0].Path != "-" || fs[0].Line != 2 || fs[0].Column != 3 || fs[0].TokenID != tok.ID {
		t.Errorf("stdin: exit %d, findings %v; want 1 and -:2:3 %s", r.code, where(fs), tok.ID)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestScanUnreadable drops to an unprivileged user, for whom permission bits
// are real, and checks that an unreadable file is reported, makes the exit
// status 2, and does not stop the rest of the scan.
func TestScanUnreadable(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the binary as another user; as a normal user the file is simply unreadable")
	}
	dir, toks := tree(t, 7, map[string]string{"ok.txt": "{a}", "secret.txt": "{b}", "locked/x.txt": "{c}"})
	for d := dir; d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755) // let the user reach the tree; t.TempDir makes 0700 directories
		if strings.Count(d, string(filepath.Separator)) <= 2 {
			break
		}
	}
	must(t, os.Chmod(filepath.Join(dir, "secret.txt"), 0))
	must(t, os.Chmod(filepath.Join(dir, "locked"), 0))
	t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	r := cmd{dir: dir, uid: 65534, args: []string{"scan", "--format", "json"}}.run(t)
	if r.code != 2 {
		t.Errorf("exit = %d; want 2 (stderr %s)", r.code, r.stderr)
	}
	for _, name := range []string{"secret.txt", "locked"} {
		if !bytes.Contains(r.stderr, []byte(name)) || !bytes.Contains(r.stderr, []byte("permission denied")) {
			t.Errorf("stderr does not report %s as unreadable: %s", name, r.stderr)
		}
	}
	if got := where(decode(t, r)); !equal(got, []string{"ok.txt:1:1 " + toks["a"].ID}) {
		t.Errorf("findings %v; want the readable file's token still reported", got)
	}
}

func TestScanErrorsBeforeWork(t *testing.T) {
	dir, _ := tree(t, 8, map[string]string{"a.txt": "{a}"})
	must(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{not json"), 0o644))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"scan", "--frobnicate"}, "frobnicate"},
		{"unknown command", []string{"scna"}, "unknown command"},
		{"missing path", []string{"scan", "no/such/dir"}, "no/such/dir"}, // the wording is the system's
		{"unknown format", []string{"scan", "--format", "xml"}, "xml"},
		{"missing baseline", []string{"scan", "--baseline", "nope.json"}, "nope.json"},
		{"invalid baseline", []string{"scan", "--baseline", "bad.json"}, "bad.json"},
		{"output in missing dir", []string{"scan", "--output", "no/dir/report.json"}, "no/dir"},
		{"bad jobs", []string{"scan", "--jobs", "0"}, "jobs"},
		{"two repos, missing", []string{"history", "a.txt", "b"}, " b: "}, // the wording is the system's
	}
	for _, c := range cases {
		r := dtleaks(t, dir, c.args...)
		if r.code != 2 || !bytes.Contains(r.stderr, []byte(c.want)) || len(r.stdout) != 0 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want 2, nothing, a message with %q", c.name, r.code, r.stdout, r.stderr, c.want)
		}
	}
}

func TestScanOutputFile(t *testing.T) {
	dir, toks := tree(t, 9, map[string]string{"a.txt": "{a}"})
	r := dtleaks(t, dir, "scan", "--format", "json", "--output", "report.json", "a.txt")
	if r.code != 1 || len(r.stdout) != 0 {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing on stdout", r.code, r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	must(t, err)
	fs := decode(t, result{stdout: data})
	if len(fs) != 1 || fs[0].TokenID != toks["a"].ID {
		t.Errorf("report file findings %v; want one, %s", where(fs), toks["a"].ID)
	}
	noLeak(t, result{stdout: data}, toks)
}

func TestScanJobsDeterministic(t *testing.T) {
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("d%d/f%03d.txt", i%7, i)] = fmt.Sprintf("x\n{t%d}\n{t%d} {t%d}", i, i+1000, i%5)
	}
	dir, _ := tree(t, 10, files)
	var first []byte
	for _, jobs := range []string{"1", "2", "8"} {
		r := dtleaks(t, dir, "scan", "--format", "json", "--jobs", jobs)
		if r.code != 1 {
			t.Fatalf("--jobs %s: exit %d", jobs, r.code)
		}
		if first == nil {
			first = r.stdout
		} else if !bytes.Equal(first, r.stdout) {
			t.Errorf("--jobs %s output differs from --jobs 1", jobs)
		}
	}
}

// TestScanThisRepository is the promise the README makes: dtleaks scan on
// its own repository finds nothing.
func TestScanThisRepository(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	r := dtleaks(t, root, "scan", ".")
	if r.code != 0 {
		t.Errorf("dtleaks scan . in the repository: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestRulesAndHelp(t *testing.T) {
	r := dtleaks(t, t.TempDir(), "rules")
	for _, p := range []string{"dt0c01", "dt0s01", "dt0s16", "dt0g02", "dt0a01"} {
		if r.code != 0 || !bytes.Contains(r.stdout, []byte(p)) {
			t.Errorf("dtleaks rules: exit %d, lacks %s", r.code, p)
		}
	}
	if l := dtleaks(t, t.TempDir(), "--list-types"); !bytes.Equal(l.stdout, r.stdout) {
		t.Errorf("--list-types differs from rules")
	}
	h := dtleaks(t, t.TempDir(), "help", "scan")
	for _, w := range []string{"-no-ignore", "not followed", "--baseline", "dtleaks:allow", ".dtleaksignore"} {
		if !bytes.Contains(h.stdout, []byte(w)) && !bytes.Contains(dtleaks(t, t.TempDir(), "help").stdout, []byte(w)) {
			t.Errorf("help lacks %q", w)
		}
	}
}

// TestScanNamedFiles is what pre-commit does: it names every staged file.
// .gitignore does not hide a named file (as in ripgrep), but .dtleaksignore,
// the list of paths never to scan, does.
func TestScanNamedFiles(t *testing.T) {
	dir, toks := tree(t, 11, map[string]string{
		".dtleaksignore":        "testdata/\n*.golden\n",
		".gitignore":            "build/\n",
		"testdata/fixture.txt":  "{fixture}",
		"pkg/testdata/deep.txt": "{deep}",
		"pkg/x.golden":          "{golden}",
		"build/generated.env":   "{gitignored}",
		"app.env":               "{app}",
		"sub/.dtleaksignore":    "local.txt\n",
		"sub/local.txt":         "{local}",
		"sub/other.txt":         "{other}",
	})
	gitInit(t, dir)
	r := dtleaks(t, dir, "scan", "--format", "json", "testdata/fixture.txt", "pkg/testdata/deep.txt", "pkg/x.golden",
		"build/generated.env", "app.env", "sub/local.txt", "sub/other.txt")
	got := where(decode(t, r))
	want := []string{
		"app.env:1:1 " + toks["app"].ID,
		"build/generated.env:1:1 " + toks["gitignored"].ID,
		"sub/other.txt:1:1 " + toks["other"].ID,
	}
	if r.code != 1 || !equal(got, want) {
		t.Errorf("exit %d, findings:\n%s\nwant:\n%s", r.code, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if all := decode(t, dtleaks(t, dir, "scan", "--no-ignore", "--format", "json", "testdata/fixture.txt")); len(all) != 1 {
		t.Errorf("--no-ignore on a named ignored file: %d findings; want 1", len(all))
	}
}

// needGit skips a test that builds a repository with the git command where
// there is none (Windows test binaries run under Wine, which has no git).
func needGit(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skipf("git not installed: this test builds its repository with git (%v)", err)
	}
}
