package report_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// htmlCase is one page the HTML tests render: its result, the tokens
// behind it (for the leak checks) and what the page must show.
type htmlCase struct {
	name string
	res  scanner.Result
	toks []tokentest.Token
	// tokens is the number of distinct tokens, problems of problems.
	tokens, problems int
}

func htmlCases() []htmlCase {
	full, fullToks := fixture()
	one, oneToks := oneTokenFixture()
	repos, reposToks := reposFixture()
	hostile, hostileToks := hostileFixture()
	return []htmlCase{
		{"empty", scanner.Result{}, nil, 0, 0},
		{"one", one, oneToks, 1, 0},
		{"fixture", full, fullToks, 9, 0},
		{"repos", repos, reposToks, 7, 3},
		{"hostile", hostile, hostileToks, 5, 1},
	}
}

// historyFinding makes a finding of t in history.
func historyFinding(t tokentest.Token, repo, path string, line int, commit, author string, date time.Time, atHead bool) scanner.Finding {
	return scanner.Finding{
		ID:          rules.ID(t.ID),
		Kind:        rules.Classify(t.ID[:6], rules.Standard),
		Fingerprint: rules.Fingerprint(t.Fingerprint),
		Path:        path,
		Line:        line,
		Column:      5,
		Repository:  repo,
		Origin: scanner.Origin{
			Commit:      commit,
			AuthorName:  author,
			AuthorEmail: strings.ToLower(strings.Fields(author + " x")[0]) + "@example.com",
			Date:        date,
			Blob:        commit[:8] + "0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0bb0",
			AtHead:      atHead,
		},
	}
}

// oneTokenFixture is the smallest report with something in it: one live
// classic token with write scopes, found twice in one repository's history.
func oneTokenFixture() (scanner.Result, []tokentest.Token) {
	tok := tokentest.New(16).Token("dt0c01")
	d := time.Date(2025, 7, 14, 9, 30, 0, 0, time.UTC)
	v := &scanner.Verification{
		Status: scanner.Live, Environment: "https://abc12345.live.dynatrace.com",
		Name: "ci-deploy", Owner: "ci@example.com",
		Scopes:     []string{"DataExport", "WriteConfig", "settings.write"},
		Created:    d.AddDate(0, -2, 0),
		LastUsed:   d.AddDate(0, 4, 0),
		LastUsedIP: "203.0.113.7",
		Privileged: true,
	}
	a := historyFinding(tok, "", "deploy/values.yaml", 12, commitA, "Jane Doe", d, true)
	a.Environment = "https://abc12345.live.dynatrace.com"
	a.Verification = v
	b := historyFinding(tok, "", "deploy/values-old.yaml", 3, commitB, "Jane Doe", d.AddDate(0, 1, 0), false)
	b.Verification = v
	fs := []scanner.Finding{a, b}
	scanner.Sort(fs)
	return scanner.Result{Findings: fs}, []tokentest.Token{tok}
}

// reposFixture is an organisation audit: three repositories, tokens of
// every verdict and rank, one token in two repositories, commit dates over
// a year and a half, and three problems.
func reposFixture() (scanner.Result, []tokentest.Token) {
	g := tokentest.New(13)
	repos := []string{"https://github.com/acme/api", "https://gitlab.example.com/ops/deploy", "/srv/git/legacy.git"}
	env := "https://xyz98765.live.dynatrace.com"
	var toks []tokentest.Token
	tok := func(prefix string) tokentest.Token {
		t := g.Token(prefix)
		toks = append(toks, t)
		return t
	}
	day := func(i int) time.Time { return time.Date(2024, 1, 10, 12, 0, 0, 0, time.UTC).AddDate(0, i, i) }
	hash := func(i int) string { return fmt.Sprintf("%02x", i) + strings.Repeat("c0ffee", 6) + "ab" }
	var found []scanner.Finding
	add := func(f scanner.Finding, v *scanner.Verification) {
		f.Verification = v
		if v != nil && f.Environment == "" {
			f.Environment = v.Environment
		}
		found = append(found, f)
	}
	live := func(priv bool, scopes ...string) *scanner.Verification {
		return &scanner.Verification{Status: scanner.Live, Environment: env, Scopes: scopes, Privileged: priv}
	}
	admin, reader, dead, unsure, quiet, plat, ag := tok("dt0c01"), tok("dt0c01"), tok("dt0c01"), tok("dt0c01"), tok("dt0c01"), tok("dt0s16"), tok("dt0g02")
	add(historyFinding(admin, repos[0], "config/prod.env", 4, hash(1), "Ada Admin", day(0), true), live(true, "WriteConfig", "ReadConfig"))
	add(historyFinding(admin, repos[1], "ansible/group_vars/all.yml", 21, hash(2), "Bob Ops", day(3), true), live(true, "WriteConfig", "ReadConfig"))
	add(historyFinding(reader, repos[0], "scripts/export.sh", 9, hash(3), "Ada Admin", day(5), false), live(false, "DataExport"))
	add(historyFinding(dead, repos[1], "old/creds.txt", 1, hash(4), "Carol", day(7), true), &scanner.Verification{Status: scanner.Invalid, Environment: env, Reason: "401 from the environment"})
	add(historyFinding(unsure, repos[2], "tools/sync.py", 33, hash(5), "Dan", day(9), true), &scanner.Verification{Status: scanner.Unknown, Reason: "no environment known for the token"})
	add(historyFinding(quiet, repos[2], "README.md", 40, hash(6), "Dan", day(12), false), nil)
	add(historyFinding(plat, repos[0], ".github/workflows/ci.yml", 17, hash(7), "Eve", day(15), true), nil)
	add(historyFinding(ag, repos[1], "k8s/activegate.yaml", 8, hash(8), "Bob Ops", day(17), false), nil)
	for i := range found {
		found[i].Kind = rules.Classify(string(found[i].ID)[:6], rules.Standard)
	}
	scanner.Sort(found)
	return scanner.Result{
		Findings: found,
		Problems: []scanner.Problem{
			{Path: "", Err: errors.New("https://git.example.com/acme/private: clone failed: authentication required")},
			{Path: "objects/pack/pack-1a2b.pack", Err: errors.New("corrupt pack: checksum mismatch")},
			{Path: "big.bin", Err: &fs.PathError{Op: "open", Path: "big.bin", Err: fs.ErrPermission}},
		},
	}, toks
}

// hostilePaths are names a hostile repository can hold; on the page each
// is text.
var hostilePaths = []string{
	"<img src=x onerror=alert(1)>.env",
	`"><script>alert(document.domain)</script>.yaml`,
	"</summary></details><h1>fake</h1>\u202egpj.exe",
}

// hostileFixture holds markup in every string that comes from content: paths,
// authors, repositories, environments, a verification's metadata and a
// problem, and a path that is itself a whole token.
func hostileFixture() (scanner.Result, []tokentest.Token) {
	g := tokentest.New(666)
	var toks []tokentest.Token
	tok := func() tokentest.Token {
		t := g.Token("dt0c01")
		toks = append(toks, t)
		return t
	}
	d := time.Date(2023, 11, 5, 8, 0, 0, 0, time.UTC)
	var fs []scanner.Finding
	for i, p := range hostilePaths {
		f := historyFinding(tok(), `<svg onload=alert(1)>`, p, i+1, commitA, `<b onmouseover=alert(1)>Mallory</b>`, d, i == 0)
		f.Environment = []string{`javascript:alert(1)`, `https://evil.example/"onmouseover="alert(1)`, `https://ok.live.dynatrace.com/<x>`}[i]
		if i == 0 {
			f.Environment = "https://ok.live.dynatrace.com"
			fs = append(fs, f)
			f = historyFinding(tok(), "ok", "ok.env", 1, commitB, "Eve", d, true)
			f.Environment = `javascript:alert(1)`
		}
		fs = append(fs, f)
	}
	named := tok()
	f := historyFinding(tok(), "ok", "creds/"+named.Text+".txt", 1, commitB, "Eve", d, true)
	f.Verification = &scanner.Verification{Status: scanner.Live, Name: "<i>x</i>", Owner: "owner@example.com", Scopes: []string{"<script>"}, Reason: "</dl>"}
	fs = append(fs, f)
	scanner.Sort(fs)
	return scanner.Result{
		Findings: fs,
		Problems: []scanner.Problem{{Path: "<img src=x onerror=alert(2)>", Err: errors.New("read <b>failed</b> near " + named.Text)}},
	}, toks
}

var htmlOptions = testOptions

func renderHTML(t *testing.T, c htmlCase) ([]byte, bool) {
	t.Helper()
	return render(t, c.name+".html", func(w io.Writer, r scanner.Result) error { return report.HTML(w, r, htmlOptions) }, c.res, c.toks)
}

// TestHTMLGolden pins each page; fixture and empty are pinned with the
// other formats by TestGolden.
func TestHTMLGolden(t *testing.T) {
	for _, c := range htmlCases() {
		if c.name == "fixture" || c.name == "empty" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			got, ok := renderHTML(t, c)
			if !ok {
				return
			}
			if i := controlByte(got); i >= 0 {
				t.Errorf("page has control byte %#x at offset %d", got[i], i)
			}
			golden(t, filepath.Join("testdata", "html-"+c.name+".html"), got)
		})
	}
}

// TestHTMLStructure parses every page as a browser would and checks what it
// must hold: nothing loaded from anywhere, one script and one style whose
// hashes the Content Security Policy names, no markup from content, one
// row per distinct token with one line per finding, most urgent first, and
// the problems counted at the top and listed.
func TestHTMLStructure(t *testing.T) {
	for _, c := range htmlCases() {
		t.Run(c.name, func(t *testing.T) {
			page, ok := renderHTML(t, c)
			if !ok {
				return
			}
			doc, err := html.Parse(bytes.NewReader(page))
			if err != nil {
				t.Fatal(err)
			}
			checkSelfContained(t, doc)
			rows := findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") })
			if len(rows) != c.tokens {
				t.Errorf("%d token rows; want %d", len(rows), c.tokens)
			}
			fps := map[rules.Fingerprint]int{}
			for _, f := range c.res.Findings {
				fps[f.Fingerprint]++
			}
			places := placesOf(t, doc)
			if len(places.Rows) != len(rows) {
				t.Errorf("the places island has %d rows; the page %d", len(places.Rows), len(rows))
			}
			if n := len(findAll(doc, func(n *html.Node) bool { return n.Data == "table" })); n != 0 {
				t.Errorf("%d tables in the page as written; the places are built when a row opens", n)
			}
			locs, last := 0, -1
			for i, r := range rows {
				n := 0
				if i < len(places.Rows) {
					n = len(places.Rows[i])
				}
				if n == 0 {
					t.Errorf("row %d lists no place", i)
				}
				locs += n
				rank := -1
				for _, cl := range strings.Fields(attr(r, "class")) {
					if v, ok := strings.CutPrefix(cl, "r"); ok {
						rank, _ = strconv.Atoi(v)
					}
				}
				if rank < last {
					t.Errorf("row %d has rank %d after rank %d: not most urgent first", i, rank, last)
				}
				last = rank
				if attr(r, "data-type") == "" || attr(r, "data-status") == "" {
					t.Errorf("row %d lacks data-type or data-status", i)
				}
			}
			if locs != len(c.res.Findings) {
				t.Errorf("%d places listed; want one per finding, %d", locs, len(c.res.Findings))
			}
			card := byID(doc, "c-problems")
			if card == nil || !strings.HasPrefix(textOf(card), strconv.Itoa(c.problems)) {
				t.Errorf("problems card %q; want it to start with %d", textOf(card), c.problems)
			}
			if card := byID(doc, "c-tokens"); card == nil || !strings.HasPrefix(textOf(card), strconv.Itoa(c.tokens)) {
				t.Errorf("tokens card %q; want it to start with %d", textOf(card), c.tokens)
			}
			probs := byID(doc, "problems")
			if c.problems == 0 != (probs == nil) {
				t.Errorf("problems section present = %v; want %v", probs != nil, c.problems > 0)
			}
			if probs != nil {
				if n := len(findAll(probs, func(n *html.Node) bool { return n.Data == "li" })); n != c.problems {
					t.Errorf("problems section lists %d; want %d", n, c.problems)
				}
				if alert := findAll(doc, func(n *html.Node) bool { return hasClass(n, "alert") }); len(alert) != 1 {
					t.Errorf("%d problem alerts at the top; want 1", len(alert))
				}
			}
		})
	}
}

// TestHTMLHostile checks that markup in content arrives as text, where a
// person can read it, and that a token in a path or an error is redacted.
func TestHTMLHostile(t *testing.T) {
	c := htmlCases()[4]
	page, ok := renderHTML(t, c)
	if !ok {
		return
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	walk(doc, func(n *html.Node) {
		if n.Type == html.TextNode && n.Parent.Data != "script" && n.Parent.Data != "style" {
			text.WriteString(n.Data)
			text.WriteString("\n")
		}
	})
	// The places are data the script shows as text: what a person reads
	// is the decoded strings.
	places := placesOf(t, doc)
	for _, r := range places.Repos {
		text.WriteString(r + "\n")
	}
	for _, row := range places.Rows {
		for _, p := range row {
			for _, v := range p {
				fmt.Fprintln(&text, v)
			}
		}
	}
	for _, want := range []string{hostilePaths[0], hostilePaths[1], `<svg onload=alert(1)>`, `<b onmouseover=alert(1)>Mallory</b>`, "read <b>failed</b>"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the page's text does not show %q", want)
		}
	}
	// The bidirectional override is shown escaped, never acted on.
	if strings.Contains(string(page), "\u202e") {
		t.Error("a bidirectional override reached the page")
	}
	if !strings.Contains(text.String(), `\u202e`) {
		t.Error("the path with a bidirectional override is not shown escaped")
	}
	// The token that names a file appears as its identifier only.
	named := c.toks[len(c.toks)-2] // the one a path is named after
	if !strings.Contains(text.String(), named.ID+".****") {
		t.Errorf("the token in a path is not shown as %s.****", named.ID)
	}
	// No link goes anywhere but to the page itself, Dynatrace's
	// documentation, or the Access tokens page of a well-formed
	// environment: none to a URL made of content.
	walk(doc, func(n *html.Node) {
		h := attr(n, "href")
		if h == "" || strings.HasPrefix(h, "#") || strings.HasPrefix(h, "https://docs.dynatrace.com/") {
			return
		}
		if h != "https://ok.live.dynatrace.com/ui/access-tokens" {
			t.Errorf("link to %q", h)
		}
	})
}

var hashSource = regexp.MustCompile(`'(sha256-[A-Za-z0-9+/=]+)'`)

// checkSelfContained fails unless the page loads nothing: no element with a
// src, no <link>, <iframe>, <object>, <embed>, <base> or <form action>, no
// event-handler attribute, exactly one inline script and one inline style,
// both named by hash in a Content Security Policy that allows nothing else.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	var scripts, styles []string
	csp := ""
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "link", "iframe", "object", "embed", "base", "img", "audio", "video", "image", "use":
			t.Errorf("page has a <%s> element", n.Data)
		case "script":
			// The places island is data no browser runs; placesOf
			// checks it is whole and only data.
			if attr(n, "type") == "application/json" && attr(n, "id") == "places" {
				return
			}
			scripts = append(scripts, textOf(n))
		case "style":
			styles = append(styles, textOf(n))
		case "meta":
			if strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") {
				csp = attr(n, "content")
			}
		}
		for _, a := range n.Attr {
			if a.Key == "src" || a.Key == "action" || a.Key == "style" || a.Key == "srcset" || strings.HasPrefix(a.Key, "on") || a.Key == "xlink:href" {
				t.Errorf("<%s> has attribute %s", n.Data, a.Key)
			}
		}
	})
	if len(scripts) != 1 || len(styles) != 1 {
		t.Fatalf("%d scripts and %d styles; want one of each", len(scripts), len(styles))
	}
	if !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content Security Policy %q does not start from default-src 'none'", csp)
	}
	hashes := hashSource.FindAllStringSubmatch(csp, -1)
	want := map[string]bool{cspHashOf(scripts[0]): true, cspHashOf(styles[0]): true}
	if len(hashes) != 2 {
		t.Fatalf("Content Security Policy %q names %d hashes; want 2", csp, len(hashes))
	}
	for _, h := range hashes {
		if !want[h[1]] {
			t.Errorf("Content Security Policy names %s, which is neither the script's nor the style's hash", h[1])
		}
	}
}

// htmlPlacesData is the page's places island as the script reads it.
type htmlPlacesData struct {
	Repos []string  `json:"repos"`
	Rows  [][][]any `json:"rows"`
}

// placesOf returns the places island of a parsed page, empty when the page
// has no token row. It fails unless the island is one text node (nothing
// in it ended the <script> or started markup), holds nothing a browser
// would read as markup, and is valid JSON of the island's shape, every
// place with its eight fields.
func placesOf(t testing.TB, doc *html.Node) htmlPlacesData {
	t.Helper()
	var data htmlPlacesData
	n := byID(doc, "places")
	if n == nil {
		if len(findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") })) > 0 {
			t.Fatal("a page with token rows has no places island")
		}
		return data
	}
	if n.Data != "script" || attr(n, "type") != "application/json" {
		t.Fatalf("the places island is <%s type=%q>; want <script type=\"application/json\">", n.Data, attr(n, "type"))
	}
	if n.FirstChild == nil || n.FirstChild != n.LastChild || n.FirstChild.Type != html.TextNode {
		t.Fatal("the places island is not one text node")
	}
	raw := n.FirstChild.Data
	if i := strings.IndexAny(raw, "<>&\u2028\u2029"); i >= 0 {
		t.Fatalf("the places island holds %q unescaped at offset %d", raw[i:i+1], i)
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		t.Fatalf("the places island is not JSON: %v", err)
	}
	for _, row := range data.Rows {
		for _, p := range row {
			if len(p) != 8 {
				t.Fatalf("a place has %d fields; want 8: %v", len(p), p)
			}
		}
	}
	return data
}

func cspHashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func walk(n *html.Node, fn func(*html.Node)) {
	fn(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, fn)
	}
}

func findAll(n *html.Node, pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(n, func(m *html.Node) {
		if m.Type == html.ElementNode && pred(m) {
			out = append(out, m)
		}
	})
	return out
}

func byID(n *html.Node, id string) *html.Node {
	if all := findAll(n, func(m *html.Node) bool { return attr(m, "id") == id }); len(all) > 0 {
		return all[0]
	}
	return nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
	})
	return b.String()
}

// TestHTMLVerdicts checks how the verdicts of a token's findings combine
// into its row: one live answer makes it live, one privileged answer makes
// it privileged, and a row's badges and rank follow.
func TestHTMLVerdicts(t *testing.T) {
	tok := tokentest.New(17).Token("dt0c01")
	v := func(s scanner.Status, priv bool) *scanner.Verification {
		return &scanner.Verification{Status: s, Privileged: priv}
	}
	d := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		verdicts  []*scanner.Verification
		atHead    bool
		badges    string
		rank      string
		statusHas string
	}{
		{[]*scanner.Verification{nil}, false, "not verified history only", "r3", "history"},
		{[]*scanner.Verification{nil}, true, "not verified at HEAD", "r2", "present"},
		{[]*scanner.Verification{v(scanner.Unknown, false), v(scanner.Invalid, false)}, true, "invalid at HEAD", "r2", "invalid"},
		{[]*scanner.Verification{v(scanner.Invalid, false), v(scanner.Live, false), v(scanner.Unknown, false)}, false, "live history only", "r1", "live"},
		{[]*scanner.Verification{v(scanner.Live, false), v(scanner.Live, true)}, false, "live · write history only", "r0", "privileged"},
		// Privileged means nothing for a token that does not work.
		{[]*scanner.Verification{v(scanner.Invalid, true)}, false, "invalid history only", "r3", "invalid"},
		{[]*scanner.Verification{v(scanner.Unknown, false)}, false, "unknown history only", "r3", "unverified"},
	}
	for _, c := range cases {
		var fs []scanner.Finding
		for i, ver := range c.verdicts {
			f := historyFinding(tok, "", fmt.Sprintf("f%d.env", i), 1, commitA, "Jane Doe", d, c.atHead && i == 0)
			f.Verification = ver
			fs = append(fs, f)
		}
		res := scanner.Result{Findings: fs}
		var buf bytes.Buffer
		if err := report.HTML(&buf, res, htmlOptions); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows := findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") })
		if len(rows) != 1 {
			t.Fatalf("%d rows for one token", len(rows))
		}
		var badges []string
		for _, b := range findAll(rows[0], func(n *html.Node) bool { return hasClass(n, "b") }) {
			badges = append(badges, textOf(b))
		}
		if got := strings.Join(badges, " "); got != c.badges {
			t.Errorf("verdicts %v, at HEAD %v: badges %q; want %q", verdictNames(c.verdicts), c.atHead, got, c.badges)
		}
		if !hasClass(rows[0], c.rank) {
			t.Errorf("verdicts %v: class %q; want rank %s", verdictNames(c.verdicts), attr(rows[0], "class"), c.rank)
		}
		if !strings.Contains(" "+attr(rows[0], "data-status")+" ", " "+c.statusHas+" ") {
			t.Errorf("verdicts %v: data-status %q lacks %q", verdictNames(c.verdicts), attr(rows[0], "data-status"), c.statusHas)
		}
	}
}

func verdictNames(vs []*scanner.Verification) []string {
	var out []string
	for _, v := range vs {
		switch {
		case v == nil:
			out = append(out, "none")
		case v.Privileged:
			out = append(out, string(v.Status)+"+privileged")
		default:
			out = append(out, string(v.Status))
		}
	}
	return out
}

// FuzzHTMLSafe renders a page whose paths, authors, e-mail addresses,
// repositories, environments, verification metadata and problems are
// arbitrary bytes, and parses it as a browser would: whatever the content,
// the page has only its own elements (one script, one style, no element
// that loads anything, no event-handler attribute), every row is whole,
// and no control character reaches it.
func FuzzHTMLSafe(f *testing.F) {
	for _, s := range append(hostilePaths,
		"plain/path.txt", "new\nline", "\x1b[31mred", "\xff\xfe", "</script><script>x()</script>",
		"<!--", "]]><![CDATA[", "<svg><script>x()</script></svg>", "javascript:alert(1)", `"quoted'`,
		"\u2028\u2029", "&amp;&lt;", "<style>*{}</style>", "<plaintext>", "<textarea>") {
		f.Add(s, s, s, s)
	}
	tok := tokentest.New(901).Token("dt0c01")
	f.Fuzz(func(t *testing.T, path, author, repo, env string) {
		fd := historyFinding(tok, repo, path, 3, commitA, author, when, true)
		fd.Origin.AuthorEmail = author
		fd.Environment = env
		fd.Verification = &scanner.Verification{Status: scanner.Live, Name: author, Owner: path, Scopes: []string{env, repo}, Reason: path, Environment: env}
		msg := fd
		msg.Path, msg.Location, msg.Verification = "", "commit-message", nil
		res := scanner.Result{
			Findings: []scanner.Finding{fd, msg},
			Problems: []scanner.Problem{{Path: path, Err: errors.New(author)}},
		}
		var buf bytes.Buffer
		if err := report.HTML(&buf, res, report.Options{Command: path, Targets: []string{repo, env}}); err != nil {
			t.Fatal(err)
		}
		page := buf.Bytes()
		if i := controlByte(page); i >= 0 {
			t.Fatalf("control byte %#x at offset %d", page[i], i)
		}
		if !utf8.Valid(page) {
			t.Fatal("the page is not valid UTF-8")
		}
		doc, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		checkSelfContained(t, doc)
		if n := len(findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") })); n != 1 {
			t.Errorf("%d token rows; want 1", n)
		}
		if places := placesOf(t, doc); len(places.Rows) != 1 || len(places.Rows[0]) != 2 {
			t.Errorf("places %v; want one row of 2", places.Rows)
		}
		if n := len(findAll(doc, func(n *html.Node) bool { return n.Data == "h2" })); n != 3 {
			t.Errorf("%d section headings; want 3 (problems, tokens, what to do)", n)
		}
	})
}

// TestHTMLMonthChart checks the introduction chart: one bar per month from
// the first token's month to the last's, gaps included, values over the
// bars while there are few, and years instead of months over four years.
func TestHTMLMonthChart(t *testing.T) {
	g := tokentest.New(18)
	start := time.Date(2020, 1, 15, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		months          []int // introduction month of each token, from start
		bars, values    int
		firstAxis, last string
	}{
		{[]int{0}, 1, 1, "2020-01", "2020-01"},
		{[]int{0, 0, 5}, 6, 2, "2020-01", "2020-06"},
		{[]int{0, 29}, 30, 0, "2020-01", "2022-06"},
		{[]int{0, 13, 60}, 6, 3, "2020", "2025"},
	}
	for _, c := range cases {
		var fs []scanner.Finding
		for i, m := range c.months {
			fs = append(fs, historyFinding(g.Token("dt0c01"), "", fmt.Sprintf("f%d", i), 1, commitA, "Jane", start.AddDate(0, m, 0), false))
		}
		var buf bytes.Buffer
		if err := report.HTML(&buf, scanner.Result{Findings: fs}, htmlOptions); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&buf)
		if err != nil {
			t.Fatal(err)
		}
		svgs := findAll(doc, func(n *html.Node) bool { return n.Data == "svg" && hasAttr(n, "role") })
		if len(svgs) != 2 {
			t.Fatalf("months %v: %d charts; want 2", c.months, len(svgs))
		}
		bars := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "rect" })
		values := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "text" && hasClass(n, "v") })
		axis := findAll(svgs[0], func(n *html.Node) bool { return n.Data == "text" && hasClass(n, "t") })
		if len(bars) != c.bars || len(values) != c.values {
			t.Errorf("months %v: %d bars, %d values; want %d, %d", c.months, len(bars), len(values), c.bars, c.values)
		}
		if len(axis) == 0 || textOf(axis[0]) != c.firstAxis || textOf(axis[len(axis)-1]) != c.last {
			t.Errorf("months %v: axis labels from %q to %q; want %q to %q", c.months, textOf(axis[0]), textOf(axis[len(axis)-1]), c.firstAxis, c.last)
		}
		total := 0
		for _, b := range bars {
			n, _ := strconv.Atoi(strings.Fields(textOf(b))[1])
			total += n
		}
		if total != len(c.months) {
			t.Errorf("months %v: bar titles count %d tokens; want %d", c.months, total, len(c.months))
		}
	}
}
