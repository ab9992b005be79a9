package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

const legacyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

// legacyGen returns n generated legacy tokens that pass legacyRandom, as
// nearly all random ones do.
func legacyGen(g *tokentest.Gen, n int) []string {
	var out []string
	for len(out) < n {
		if t := g.String(legacyAlphabet, legacyLen); legacyRandom([]byte(t)) {
			out = append(out, t)
		}
	}
	return out
}

func legacySHA(t string) Fingerprint {
	sum := sha256.Sum256([]byte(t))
	return Fingerprint(hex.EncodeToString(sum[:]))
}

func TestLegacyTokens(t *testing.T) {
	g := tokentest.New(21)
	toks := legacyGen(g, 2)
	tok, tok2 := toks[0], toks[1]
	std := g.Token("dt0c01")
	const T = "{T}" // where the token goes in a case
	tests := []struct {
		name string
		in   string
		n    int // how many tokens, all tok, except the second in "two"
	}{
		{"header", "Authorization: Api-Token {T}\n", 1},
		{"header lower case", "authorization: api-token {T}\r\n", 1},
		{"header upper case", "AUTHORIZATION:API-TOKEN {T}", 1},
		{"curl", `curl -H 'Authorization: Api-Token {T}' https://abc12345.live.dynatrace.com/api/v1/config`, 1},
		{"curl double quotes", `curl -H "Authorization: Api-Token {T}" "$URL"`, 1},
		{"json header", `{"headers": {"Authorization": "Api-Token {T}"}}`, 1},
		{"yaml header", "headers:\n  Authorization: \"Api-Token {T}\"\n", 1},
		{"url query", "GET https://abc12345.live.dynatrace.com/api/v1/time?Api-Token={T} HTTP/1.1", 1},
		{"url query middle", "https://h/e/x/api/v2/metrics?from=now-1h&api-token={T}&to=now", 1},
		{"yaml", "apiToken: {T}\npaasToken: x\n", 1},
		{"yaml quoted", "  apiToken: \"{T}\"\n", 1},
		{"yaml single quoted", "  paasToken: '{T}'\n", 1},
		{"yaml data ingest", "dataIngestToken: {T}", 1},
		{"json", `{"apiToken":"{T}","paasToken": "{T2}"}`, 2},
		{"json spaced", "{\n  \"dataIngestToken\" : \"{T}\"\n}", 1},
		{"env", "DT_API_TOKEN={T}\n", 1},
		{"env quoted", "DYNATRACE_API_TOKEN=\"{T}\"\n", 1},
		{"shell export", "export DT_API_TOKEN={T}; ./run", 1},
		{"hcl", "provider \"dynatrace\" {\n  api_token = \"{T}\"\n}\n", 1},
		{"hcl paas", "paas_token = \"{T}\"", 1},
		{"flag", "dtctl --api-token={T} apply", 1},
		{"go assign", "dtApiToken := \"{T}\"", 1},
		{"helm set", "helm install --set apiToken={T},paasToken={T2}", 2},
		{"powershell", "$env:DT_API_TOKEN = \"{T}\"", 1},
		{"end of input", "apiToken: {T}", 1},

		// Decoys: the value is not a legacy token, or the context is not
		// one of ours.
		{"no context", "value: {T}\n", 0},
		{"bare", "{T}", 0},
		{"other name", "GITHUB_API_TOKEN={T}", 0},
		{"longer name", "TF_VAR_dt_api_token={T}", 0},
		{"token alone", "token: {T}", 0},
		{"header other scheme", "Authorization: Bearer {T}", 0},
		{"api-token without authorization", "X-Custom: Api-Token {T}", 0},
		{"20 chars", "apiToken: {T20}", 0},
		{"22 chars", "apiToken: {T22}", 0},
		{"glued", "apiToken: {T}x", 0},
		{"dotted", "apiToken: {T}.more", 0},
		{"unclosed quote", "apiToken: \"{T}", 0},
		{"mismatched quote", "apiToken: \"{T}'", 0},
		{"same char", "apiToken: " + strings.Repeat("a", 21), 0},
		{"x placeholder", "apiToken: xxxxxxxxxxxxxxxxxxxxx", 0},
		{"your token", "apiToken: Your_Api_Token_Here_1", 0},
		{"words", "apiToken: ReplaceWithYourSecret", 0},
		{"variable", "DT_API_TOKEN=${DT_API_TOKEN}", 0},
		{"angle placeholder", "apiToken: <token>", 0},
		{"lower case only", "apiToken: abcdefghijk0123456789", 0},
		{"upper case only", "DT_API_TOKEN=ABCDEFGHIJK0123456789", 0},
		{"standard token", "apiToken: " + std.Text, 0},
		{"no separator", "apiToken {T}", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in = strings.ReplaceAll(in, "{T20}", tok[:20])
			in = strings.ReplaceAll(in, "{T22}", tok+"Q")
			in = strings.ReplaceAll(in, "{T2}", tok2)
			in = strings.ReplaceAll(in, T, tok)
			var got []Match
			for m := range LegacyTokens([]byte(in)) {
				got = append(got, m)
			}
			if len(got) != tt.n {
				t.Fatalf("LegacyTokens found %d tokens %v, want %d", len(got), legacySpans(got), tt.n)
			}
			want := []string{tok, tok2}
			for i, m := range got {
				w := want[i]
				if m.Fingerprint != legacySHA(w) {
					t.Errorf("match %d at [%d,%d): wrong fingerprint %.12s", i, m.Start, m.End, m.Fingerprint)
				}
				if ws := strings.Index(in, w); m.Start != ws || m.End != ws+legacyLen {
					t.Errorf("match %d at [%d,%d), want [%d,%d)", i, m.Start, m.End, ws, ws+legacyLen)
				}
				if m.ID != "" || m.Encoding != "" {
					t.Errorf("match %d: ID %q, Encoding %q, want both empty", i, m.ID, m.Encoding)
				}
				if m.Kind == nil || m.Kind.Shape != Legacy {
					t.Errorf("match %d: Kind %v, want the legacy row", i, m.Kind)
				}
			}
		})
	}
}

// legacySpans describes matches by offset and fingerprint only.
func legacySpans(ms []Match) []decodeSpan {
	var out []decodeSpan
	for _, m := range ms {
		out = append(out, decodeSpan{m.Start, m.End, m.Fingerprint})
	}
	return out
}

func TestLegacyKind(t *testing.T) {
	for _, k := range Kinds() {
		if k.Shape == Legacy {
			if got := Classify("", Legacy); got.Name != k.Name {
				t.Errorf("Classify(\"\", Legacy) is %q, want the catalogue's legacy row %q", got.Name, k.Name)
			}
			return
		}
	}
	t.Skip("the catalogue has no legacy row yet")
}

// TestLegacyRandomRate checks that the looks-random test lets nearly every
// generated token through.
func TestLegacyRandomRate(t *testing.T) {
	g := tokentest.New(22)
	const n = 100000
	rejected := 0
	for range n {
		if !legacyRandom([]byte(g.String(legacyAlphabet, legacyLen))) {
			rejected++
		}
	}
	if rejected > n/1000 {
		t.Errorf("legacyRandom rejected %d of %d random tokens, want at most 0.1%%", rejected, n)
	}
}

// TestLegacyQuietOnGoTree is the requirement: on the Go tree and on
// this repository, legacy detection reports nothing.
func TestLegacyQuietOnGoTree(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every file under GOROOT")
	}
	legacyQuiet(t, legacyWalk(t, runtime.GOROOT()))
}

func TestLegacyQuietOnRepo(t *testing.T) {
	// The repository's files are those git does not ignore: a benchmark
	// corpus checked out beside the code is not part of it.
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	var paths []string
	for p := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if p != "" && !strings.HasPrefix(p, "testdata/") && !strings.Contains(p, "/testdata/") {
			paths = append(paths, filepath.Join("..", p))
		}
	}
	legacyQuiet(t, paths)
}

// legacyQuiet checks that LegacyTokens finds nothing in the files.
func legacyQuiet(t *testing.T, paths []string) {
	n := 0
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // listed by git, deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
		for m := range LegacyTokens(b) {
			line := 1 + bytes.Count(b[:m.Start], []byte("\n"))
			t.Errorf("%s:%d: legacy token found (fingerprint %.12s)", path, line, m.Fingerprint)
		}
	}
	if len(paths) == 0 {
		t.Fatal("no files")
	}
	t.Logf("%d files, %d bytes", len(paths), n)
}

// legacyWalk lists every regular file under root, testdata included.
func legacyWalk(t *testing.T, root string) []string {
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func FuzzLegacy(f *testing.F) {
	g := tokentest.New(23)
	tok := legacyGen(g, 1)[0]
	for _, s := range []string{
		"Authorization: Api-Token " + tok,
		`{"apiToken": "` + tok + `"}`,
		"export DT_API_TOKEN=" + tok + "\n",
		"?api-token=" + tok + "&x",
		"apiToken: " + tok + "x",
		"tokentokenTOKEN",
		"api__________________________________token =  \t  '" + tok + "'",
		"authorization: 'API-TOKEN\t" + tok + "' dt_api_token:=" + tok,
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// The keyword search unfiltered, over the whole input, is the
		// reference: searching only before runs of legacyLen name
		// characters (which LegacyTokens does on inputs that do not look
		// like text) must find exactly the same.
		var want, got []Match
		legacyTokensBefore(b, 0, len(b), func(m Match) bool { want = append(want, m); return true })
		legacyTokensByRun(b, func(m Match) bool { got = append(got, m); return true })
		if !slices.Equal(got, want) {
			t.Fatalf("the search by runs finds %d tokens, the unfiltered search %d", len(got), len(want))
		}
		prev := 0
		for m := range LegacyTokens(b) {
			if m.Start < prev || m.End-m.Start != legacyLen || m.End > len(b) {
				t.Fatalf("match at [%d,%d) in %d bytes, after %d", m.Start, m.End, len(b), prev)
			}
			prev = m.End
			tok := b[m.Start:m.End]
			for _, c := range tok {
				if !strings.ContainsRune(legacyAlphabet, rune(c)) {
					t.Fatalf("match at %d holds a character outside the alphabet", m.Start)
				}
			}
			if m.Start > 0 && legacyNameChar(b[m.Start-1]) || m.End < len(b) && legacyNameChar(b[m.End]) {
				t.Fatalf("match at [%d,%d) is part of a longer run", m.Start, m.End)
			}
			if m.Fingerprint != legacySHA(string(tok)) {
				t.Fatalf("match at %d: fingerprint is not the token's", m.Start)
			}
			// A recognised context, a short way before the token once
			// the '_' and '-' a name may hold any number of are left out.
			before := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(string(b[:m.Start])))
			if !strings.Contains(before[max(0, len(before)-128):], "token") {
				t.Fatalf("match at %d has no context before it", m.Start)
			}
		}
	})
}

func BenchmarkLegacyTokens(b *testing.B) {
	src := decodeSource(b)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		for range LegacyTokens(src) {
		}
	}
}

// TestLegacyTokensInBinary checks the search by runs, which LegacyTokens
// uses on bytes that do not look like text, on random bytes holding tokens
// in the contexts it knows, some near the ends of the input.
func TestLegacyTokensInBinary(t *testing.T) {
	g := tokentest.New(15)
	toks := legacyGen(g, 6)
	contexts := []string{
		"apiToken: %s\n",
		"Authorization: Api-Token %s'",
		`"paas_token" :  "%s"`,
		"export DT_API_TOKEN=%s;",
		"api_____________________________token='%s'",
		"?api-token=%s",
	}
	r := rand.New(rand.NewPCG(15, 15))
	var b []byte
	for i, c := range contexts {
		for range 300 + i*17 {
			b = append(b, byte(r.Uint32()))
		}
		b = append(b, 0)
		b = fmt.Appendf(b, c, toks[i])
	}
	if legacyWordy(b) {
		t.Fatal("random bytes look like text")
	}
	var want []Match
	legacyTokensBefore(b, 0, len(b), func(m Match) bool { want = append(want, m); return true })
	got := slices.Collect(LegacyTokens(b))
	if len(want) != len(contexts) {
		t.Errorf("the unfiltered search finds %d tokens, want %d", len(want), len(contexts))
	}
	if !slices.Equal(got, want) {
		t.Errorf("LegacyTokens finds %d tokens, the unfiltered search %d", len(got), len(want))
	}
}

// legacyRunOracle is legacyRun written plainly: the first run of exactly
// legacyLen name characters that starts at or after i, reading every byte.
func legacyRunOracle(b []byte, i int) int {
	for s := i; s < len(b); {
		if !legacyNameChar(b[s]) {
			s++
			continue
		}
		e := s
		for e < len(b) && legacyNameChar(b[e]) {
			e++
		}
		// A run that starts before i is measured from i, and then
		// never counts: a name character stands before it.
		if e-s == legacyLen && (s == 0 || !legacyNameChar(b[s-1])) {
			return s
		}
		s = e
	}
	return -1
}

// FuzzLegacyRun: legacyRun, which reads three bytes in every nineteen, two
// such probes at a time, finds the run a byte-by-byte search finds, from
// every start.
func FuzzLegacyRun(f *testing.F) {
	run := strings.Repeat("a", legacyLen)
	for _, s := range []string{"", run, " " + run + " ", run + "b", strings.Repeat(run+" ", 5), strings.Repeat("x", 100) + " " + run} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, alphabet uint8) {
		// Map each byte to a name character or a space, the two
		// mixed as alphabet says, so that runs of every length come.
		b := make([]byte, len(in))
		for k, c := range in {
			if c%8 < alphabet%8+1 {
				b[k] = 'a' + c%26
			} else {
				b[k] = ' '
			}
		}
		for i := 0; i <= len(b); i++ {
			if got, want := legacyRun(b, i), legacyRunOracle(b, i); got != want {
				t.Fatalf("legacyRun(%q, %d) = %d, want %d", b, i, got, want)
			}
		}
	})
}
