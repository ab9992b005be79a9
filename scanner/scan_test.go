package scanner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

// items is a Source of in-memory items, yielded concurrently.
type items []Item

func (s items) Items(ctx context.Context, yield func(Item, error) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s))
	for i, it := range s {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = yield(it, nil)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// place is where a test expects a token: its ID, line and column.
type place struct {
	ID        rules.ID
	Line, Col int
}

// diffPlaces describes the first difference between got and want, or
// returns "".
func diffPlaces(got, want []place) string {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Sprintf("missing %v (found %d of %d)", want[i], len(got), len(want))
		case i >= len(want):
			return fmt.Sprintf("extra %v (found %d, want %d)", got[i], len(got), len(want))
		case got[i] != want[i]:
			return fmt.Sprintf("place %d = %v; want %v", i, got[i], want[i])
		}
	}
	return ""
}

func places(fs []Finding) []place {
	out := make([]place, len(fs))
	for i, f := range fs {
		out[i] = place{f.ID, f.Line, f.Column}
	}
	return out
}

// expect builds the text and expected places for lines; in each line, the
// marker "@" is replaced by a new token, whose place is expected unless the
// line holds the allow marker.
func expect(g *tokentest.Gen, lines []string, sep string) (string, []place, []tokentest.Token) {
	var (
		sb   strings.Builder
		want []place
		toks []tokentest.Token
	)
	for n, l := range lines {
		for {
			i := strings.IndexByte(l, '@')
			if i < 0 {
				break
			}
			t := g.Token("dt0c01")
			toks = append(toks, t)
			if !strings.Contains(l, AllowMarker) {
				want = append(want, place{rules.ID(t.ID), n + 1, utf8.RuneCountInString(l[:i]) + 1})
			}
			l = l[:i] + t.Text + l[i+1:]
		}
		sb.WriteString(l)
		if n < len(lines)-1 {
			sb.WriteString(sep)
		}
	}
	return sb.String(), want, toks
}

func TestScanPlaces(t *testing.T) {
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name  string
		lines []string
	}{
		{"empty", []string{""}},
		{"one token", []string{"token = @"}},
		{"start and end", []string{"@", "", "a @ b @"}},
		{"unicode columns", []string{"ключ: «@»", "日本語 @"}},
		{"invalid utf-8 columns", []string{"\xff\xfe\xff @"}},
		{"allowed", []string{"@ # dtleaks:allow", "@"}},
		{"allow marker before, long line", []string{"dtleaks:allow " + long + " @"}},
		{"allow marker after, long line", []string{"@ " + long + " dtleaks:allow", "@"}},
		{"long line", []string{long + "@" + long + "@", "@"}},
		{"glued", []string{"x@y", "@@"}},
		{"many lines", manyLines()},
	}
	for _, sep := range []string{"\n", "\r\n", "\r"} {
		for _, c := range cases {
			g := tokentest.New(7)
			text, want, toks := expect(g, c.lines, sep)
			// Window sizes from tiny (every token cut) to larger than
			// the input.
			for _, size := range []int{1, 3, 17, 64, 95, 100, 1000, 1 << 20} {
				// Readers that return short and one-byte reads, too.
				for rname, r := range map[string]io.Reader{
					"full":    strings.NewReader(text),
					"onebyte": iotest.OneByteReader(strings.NewReader(text)),
					"half":    iotest.HalfReader(strings.NewReader(text)),
				} {
					res, err := Scan(context.Background(), items{{Path: "f", R: r}}, Options{ChunkSize: size})
					if err != nil {
						t.Fatalf("%s/%q/%d/%s: Scan: %v", c.name, sep, size, rname, err)
					}
					if d := diffPlaces(places(res.Findings), want); d != "" {
						t.Errorf("%s/sep %q/chunk %d/%s: %s", c.name, sep, size, rname, d)
					}
					if int(res.Stats.Bytes) != len(text) {
						t.Errorf("%s: Stats.Bytes = %d; want %d", c.name, res.Stats.Bytes, len(text))
					}
					var out bytes.Buffer
					for _, f := range res.Findings {
						fmt.Fprintf(&out, "%+v\n", f)
					}
					if where, leak := tokentest.Leak(out.Bytes(), toks...); leak {
						t.Errorf("finding holds a %s", where)
					}
				}
			}
		}
	}
}

// manyLines is text long enough that line breaks of every kind fall on
// window boundaries well before the last window, with tokens and allow
// markers spread over it.
func manyLines() []string {
	var ls []string
	for i := range 200 {
		switch i % 7 {
		case 0:
			ls = append(ls, "key"+strings.Repeat("é", i%13)+" = @")
		case 3:
			ls = append(ls, "")
		case 5:
			ls = append(ls, "@ dtleaks:allow")
		default:
			ls = append(ls, strings.Repeat("ab", i))
		}
	}
	return ls
}

// failAfter returns its bytes and then an error.
type failAfter struct {
	r   io.Reader
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestScanReadErrorKeepsFindings(t *testing.T) {
	g := tokentest.New(3)
	a, b := g.Token("dt0c01"), g.Token("dt0s16")
	text := a.Text + "\n" + strings.Repeat("y", 5000) + "\n" + b.Text
	boom := errors.New("device on fire")
	res, err := Scan(context.Background(), items{
		{Path: "bad", R: &failAfter{r: strings.NewReader(text), err: boom}},
		{Path: "good", R: strings.NewReader(a.Text)},
	}, Options{ChunkSize: 256})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Path != "bad" || !errors.Is(res.Problems[0].Err, boom) {
		t.Errorf("Problems = %v; want one for bad wrapping %v", res.Problems, boom)
	}
	var ids []rules.ID
	for _, f := range res.Findings {
		ids = append(ids, rules.ID(f.Path+":")+f.ID)
	}
	want := []rules.ID{rules.ID("bad:" + a.ID), rules.ID("bad:" + b.ID), rules.ID("good:" + a.ID)}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("findings = %v; want %v", ids, want)
	}
}

// problemSource yields one failed item.
type problemSource struct{ err error }

func (p problemSource) Items(ctx context.Context, yield func(Item, error) error) error {
	return yield(Item{Path: "gone"}, p.err)
}

func TestScanProblemItem(t *testing.T) {
	res, err := Scan(context.Background(), problemSource{io.ErrUnexpectedEOF}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || res.Problems[0].Error() != "gone: unexpected EOF" {
		t.Errorf("Problems = %v; want [gone: unexpected EOF]", res.Problems)
	}
}

// endless never ends and counts how much was read.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'z'
	}
	return len(p), nil
}

func TestScanCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := Scan(ctx, items{{Path: "inf", R: endless{}}}, Options{ChunkSize: 4096})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Scan after cancel = %v; want context.Canceled", err)
	}
}

// resolving drops every finding not on line 2 and adds a problem.
type resolving struct{ items }

func (r resolving) Resolve(ctx context.Context, fs []Finding) ([]Finding, []Problem, error) {
	var kept []Finding
	for _, f := range fs {
		if f.Line == 2 {
			kept = append(kept, f)
		}
	}
	return kept, []Problem{{Path: "x", Err: io.ErrClosedPipe}}, nil
}

func TestScanResolver(t *testing.T) {
	g := tokentest.New(9)
	text, want, _ := expect(g, []string{"@", "@", "@"}, "\n")
	res, err := Scan(context.Background(), resolving{items{{Path: "f", R: strings.NewReader(text)}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffPlaces(places(res.Findings), want[1:2]); d != "" {
		t.Error(d)
	}
	if len(res.Problems) != 1 {
		t.Errorf("Problems = %v; want the resolver's one", res.Problems)
	}
}

func TestScanOrderIndependent(t *testing.T) {
	g := tokentest.New(11)
	var src items
	for i := range 50 {
		src = append(src, Item{Path: fmt.Sprintf("d/%02d", 49-i), R: strings.NewReader(g.Token("dt0c01").Text + "\n" + g.Token("dt0c01").Text)})
	}
	res, err := Scan(context.Background(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 100 {
		t.Fatalf("found %d; want 100", len(res.Findings))
	}
	for i := 1; i < len(res.Findings); i++ {
		a, b := res.Findings[i-1], res.Findings[i]
		if a.Path > b.Path || a.Path == b.Path && a.Line >= b.Line {
			t.Errorf("findings %d and %d out of order: %s:%d, %s:%d", i-1, i, a.Path, a.Line, b.Path, b.Line)
		}
	}
}

func TestCountBreaks(t *testing.T) {
	cases := []struct {
		in   string
		drop bool
		want int
	}{
		{"", false, 0},
		{"a\nb\n", false, 2},
		{"a\r\nb\r\n", false, 2},
		{"a\rb\r", false, 2},
		{"a\r\n\r\r\n", false, 3},
		{"a\r", true, 0},
		{"\n\r\n\r", true, 2},
		{"a\x00\r\x00\n\x00b\x00\r\x00\n\x00", false, 2}, // UTF-16LE
		{"\x00a\x00\r\x00\n\x00b\x00\r\x00\n", false, 2}, // UTF-16BE
		{"\r\x00\r\x00\n", false, 2},
		{"a\x00\r\x00", true, 0},
		{"\r\r\x00", true, 1},
	}
	for _, c := range cases {
		if got := countBreaks([]byte(c.in), c.drop); got != c.want {
			t.Errorf("countBreaks(%q, %v) = %d; want %d", c.in, c.drop, got, c.want)
		}
	}
}

func TestSafeEnd(t *testing.T) {
	buf := []byte("ab€cd") // € is 3 bytes at 2..4
	for end, want := range map[int]int{1: 1, 2: 2, 3: 5, 4: 5, 5: 5, 6: 6} {
		if got := safeEnd(buf, end); got != want {
			t.Errorf("safeEnd(%q, %d) = %d; want %d", buf, end, got, want)
		}
	}
}

// TestLineEndSearch checks lastTerm and indexTermFrom, which look for a
// '\r' only where it can come before (or after) the nearest '\n', against
// the plain definition on every short mix of '\n', '\r' and other bytes.
func TestLineEndSearch(t *testing.T) {
	alphabet := []byte("\n\rx")
	for n := 0; n <= 6; n++ {
		total := 1
		for range n {
			total *= len(alphabet)
		}
		for code := range total {
			b := make([]byte, n)
			for i, c := 0, code; i < n; i, c = i+1, c/len(alphabet) {
				b[i] = alphabet[c%len(alphabet)]
			}
			last := -1
			for i, c := range b {
				if c == '\n' || c == '\r' {
					last = i
				}
			}
			if got := lastTerm(b); got != last {
				t.Errorf("lastTerm(%q) = %d; want %d", b, got, last)
			}
			for from := 0; from <= n+1; from++ {
				first := -1
				for i := from; i < n; i++ {
					if b[i] == '\n' || b[i] == '\r' {
						first = i
						break
					}
				}
				if got := indexTermFrom(b, from); got != first {
					t.Errorf("indexTermFrom(%q, %d) = %d; want %d", b, from, got, first)
				}
			}
		}
	}
}

// TestLoneCRs checks both ways of counting lone '\r's against the plain
// definition, on inputs where '\r' is rare and where it is frequent.
func TestLoneCRs(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 4))
	for range 500 {
		b := make([]byte, r.IntN(300))
		dense := r.IntN(2) == 0
		for i := range b {
			switch k := r.IntN(40); {
			case k < 6 && dense || k == 0:
				b[i] = "\r\n\x00"[r.IntN(3)]
			default:
				b[i] = 'x'
			}
		}
		want := 0
		for i, c := range b {
			if c == '\r' && !(i+1 < len(b) && (b[i+1] == '\n' || b[i+1] == 0 && i+2 < len(b) && b[i+2] == '\n')) {
				want++
			}
		}
		if got := loneCRs(b); got != want {
			t.Errorf("loneCRs(%q) = %d; want %d", b, got, want)
		}
		if got := loneCRWords(b); got != want {
			t.Errorf("loneCRWords(%q) = %d; want %d", b, got, want)
		}
	}
}

// TestRuneCount holds runeCount to utf8.RuneCount on ASCII, NUL, valid and
// invalid UTF-8, with sequences cut by the edges of its 64-byte blocks.
func TestRuneCount(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 5))
	pieces := []string{"a", "\x00", "é", "€", "🔑", "\xff", "\x80", "\xe2\x82", "\xf0\x9f\x94", "\xed\xa0\x80"}
	for range 500 {
		var b []byte
		ascii := r.IntN(3) == 0
		for range r.IntN(400) {
			if ascii || r.IntN(8) > 0 {
				b = append(b, pieces[r.IntN(2)]...)
			} else {
				b = append(b, pieces[r.IntN(len(pieces))]...)
			}
		}
		if got, want := runeCount(b), utf8.RuneCount(b); got != want {
			t.Errorf("runeCount(%q) = %d; want %d", b, got, want)
		}
	}
}

// guarded is an item's reader that counts the reads made after the yield
// it was passed to returned, when a source may have closed or reused it.
type guarded struct {
	r        io.Reader
	slow     bool // each read takes a millisecond
	mu       sync.Mutex
	returned bool
	late     int
}

func (g *guarded) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.returned {
		g.late++
		return 0, io.ErrClosedPipe
	}
	if g.slow {
		g.mu.Unlock()
		time.Sleep(time.Millisecond)
		g.mu.Lock()
		if g.returned {
			g.late++ // still reading when the yield returned
		}
	}
	return g.r.Read(p)
}

// guardedSource yields its readers one after the other and marks each
// returned once its yield has.
type guardedSource []*guarded

func (s guardedSource) Items(ctx context.Context, yield func(Item, error) error) error {
	for i, g := range s {
		err := yield(Item{Path: fmt.Sprint(i), R: g}, nil)
		g.mu.Lock()
		g.returned = true
		g.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// TestScanReadsItemsOnlyDuringYield: Scan must be done with an item's
// reader when the scan of the item returns, whether it ended, failed or was
// cancelled mid-read, however many windows it took (a read-ahead on another
// goroutine, tried for issue 15, would have to wait for its last read).
func TestScanReadsItemsOnlyDuringYield(t *testing.T) {
	tok := tokentest.New(4).Token("dt0c01").Text
	long := strings.Repeat(strings.Repeat("x", 300)+tok+"\n", 200)
	src := guardedSource{
		{r: strings.NewReader(long)},
		{r: &failAfter{r: strings.NewReader(long), err: errors.New("device on fire")}},
		{r: strings.NewReader(tok)},
	}
	res, err := Scan(context.Background(), src, Options{ChunkSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 401 || len(res.Problems) != 1 {
		t.Errorf("%d findings, %d problems; want 401 and 1", len(res.Findings), len(res.Problems))
	}
	ctx, cancel := context.WithCancel(context.Background())
	inf := guardedSource{{r: endless{}, slow: true}}
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := Scan(ctx, inf, Options{ChunkSize: 256}); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan after cancel = %v; want context.Canceled", err)
	}
	time.Sleep(10 * time.Millisecond) // for a read that went on to end
	for i, g := range append(src, inf...) {
		g.mu.Lock()
		if g.late > 0 {
			t.Errorf("item %d: read %d times after its yield returned", i, g.late)
		}
		g.mu.Unlock()
	}
}

// TestBufferPoolSurvivesGC: a buffer put back is handed out again after
// garbage collections, which would have emptied a sync.Pool and made every
// worker allocate and fault in a new megabyte.
func TestBufferPoolSurvivesGC(t *testing.T) {
	p := newBufferPool(1 << 10)
	b := p.get()
	if cap(*b) != 1<<10 || len(*b) != 0 {
		t.Fatalf("get: len %d cap %d, want 0 and %d", len(*b), cap(*b), 1<<10)
	}
	p.put(b)
	runtime.GC()
	runtime.GC()
	if got := p.get(); got != b {
		t.Fatal("the buffer put back before two collections was not handed out again")
	}
	// A full pool drops what it has no room for, so that it never holds
	// more than a few buffers per processor.
	for range cap(p.free) + 3 {
		p.put(p.get())
		b := make([]byte, 0, 1<<10)
		p.put(&b)
	}
	if n := len(p.free); n != cap(p.free) {
		t.Fatalf("pool holds %d buffers, want its capacity %d", n, cap(p.free))
	}
}
