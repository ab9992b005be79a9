package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/report"
)

// chromium is a headless Chromium with the network disabled: every host
// name resolves to nothing and every request that is not to loopback goes
// to a proxy that does not exist. Loopback stays reachable so that a test
// can listen there for requests a page must never make.
type chromium struct {
	bin, profile string
	// cpu is the processor time (user and system) the last run took,
	// its child processes included.
	cpu time.Duration
}

// newChromium finds Chromium or skips the test, saying why: .ci/run
// installs Debian's chromium package.
func newChromium(t testing.TB) *chromium {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return &chromium{bin: p, profile: t.TempDir()}
		}
	}
	t.Skip("headless Chromium is not installed (apt-get install chromium, as .ci/run does): the browser checks are skipped")
	return nil
}

// run runs Chromium on one page with extra flags and returns its standard
// output. A run is bounded: a browser that hangs fails the test, it does
// not stop the suite.
func (c *chromium) run(t testing.TB, page string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
		"--disable-extensions", "--disable-sync", "--disable-background-networking",
		"--disable-component-update", "--disable-default-apps", "--mute-audio",
		"--user-data-dir=" + c.profile,
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--proxy-server=127.0.0.1:9",
	}, flags...)
	args = append(args, page)
	cmd := exec.CommandContext(ctx, c.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", filepath.Base(page), err, lastLines(stderr.String(), 5))
	}
	c.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return stdout.Bytes()
}

// dom opens a page, lets its script run, and parses the DOM Chromium dumps.
func (c *chromium) dom(t testing.TB, url string) *html.Node {
	t.Helper()
	out := c.run(t, url, "--dump-dom")
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	root := findAll(doc, func(n *html.Node) bool { return n.Data == "html" })
	if len(root) == 0 || attr(root[0], "data-ready") != "1" {
		t.Fatalf("%s: the page's script did not run (no data-ready on <html>)", url)
	}
	return doc
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// mustRender renders a case's page or stops the test.
func mustRender(t *testing.T, c htmlCase) []byte {
	t.Helper()
	page, ok := renderHTML(t, c)
	if !ok {
		t.FailNow()
	}
	return page
}

// writePage renders a case to a file and returns its file: URL.
func writePage(t *testing.T, dir string, c htmlCase) string {
	t.Helper()
	page, ok := renderHTML(t, c)
	if !ok {
		t.FailNow()
	}
	p := filepath.Join(dir, c.name+".html")
	if err := os.WriteFile(p, page, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

// visible returns the ids of the token rows a filter left shown, and of
// those that are open.
func visible(doc *html.Node) (shown, open []string) {
	for _, r := range findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") }) {
		if !hasAttr(r, "hidden") {
			shown = append(shown, attr(r, "id"))
			if hasClass(r, "open") {
				open = append(open, attr(r, "id"))
			}
		}
	}
	return shown, open
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// rowsWhere returns the ids of the rows of the static page whose attribute
// holds word, in the form the filter reads it.
func rowsWhere(doc *html.Node, key, word, sep string) []string {
	var out []string
	for _, r := range findAll(doc, func(n *html.Node) bool { return n.Data == "div" && hasClass(n, "tok") }) {
		if strings.Contains(sep+attr(r, key)+sep, sep+word+sep) {
			out = append(out, attr(r, "id"))
		}
	}
	return out
}

// TestHTMLInBrowser opens every fixture page in headless Chromium from disk,
// with the network disabled, and checks what a person would see: the
// script runs under the page's Content Security Policy, the filters read
// from the URL fragment hide exactly the rows they should, "open=all" and
// a row's anchor expand rows, and a screenshot of each page, in the light
// and the dark scheme, is not blank.
func TestHTMLInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	b := newChromium(t)
	dir := t.TempDir()
	cases := htmlCases()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := writePage(t, dir, c)
			doc := b.dom(t, url)
			shown, open := visible(doc)
			if len(shown) != c.tokens || len(open) != 0 {
				t.Errorf("unfiltered: %d rows shown, %d open; want %d shown, none open", len(shown), len(open), c.tokens)
			}
			if c.tokens > 0 {
				if f := byID(doc, "filters"); f == nil || hasAttr(f, "hidden") {
					t.Error("the filters stay hidden after the script ran")
				}
				if got := textOf(byID(doc, "shown")); got != fmt.Sprint(c.tokens) {
					t.Errorf("shown count %q; want %d", got, c.tokens)
				}
			}
			// Opening a row builds its table of places from the page's
			// data: one line per place, the repository column when the
			// page has repositories.
			static, err := html.Parse(bytes.NewReader(mustRender(t, c)))
			if err != nil {
				t.Fatal(err)
			}
			places := placesOf(t, static)
			all := b.dom(t, url+"#open=all")
			_, open = visible(all)
			if len(open) != c.tokens {
				t.Errorf("#open=all: %d rows open; want %d", len(open), c.tokens)
			}
			for i, id := range open {
				tables := findAll(byID(all, id), func(n *html.Node) bool { return n.Data == "table" && hasClass(n, "locs") })
				if len(tables) != 1 {
					t.Errorf("open row %s has %d tables of places; want 1", id, len(tables))
					continue
				}
				trs := findAll(tables[0], func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
				if len(trs) != len(places.Rows[i]) {
					t.Errorf("open row %s lists %d places; want %d", id, len(trs), len(places.Rows[i]))
				}
				ths := findAll(tables[0], func(n *html.Node) bool { return n.Data == "th" })
				if want := 6 + min(1, len(places.Repos)); len(ths) != want {
					t.Errorf("open row %s: %d columns; want %d", id, len(ths), want)
				}
				for j, tr := range trs {
					if j >= len(places.Rows[i]) {
						break
					}
					p := places.Rows[i][j]
					cells := findAll(tr, func(n *html.Node) bool { return n.Data == "td" })
					if got, want := textOf(cells[len(cells)-6]), fmt.Sprint(p[1]); got != want {
						t.Errorf("open row %s, place %d: path %q; want %q", id, j, got, want)
					}
				}
			}
			schemes := []struct{ name, flag string }{{"light", "1"}}
			if c.name == "repos" {
				schemes = append(schemes, struct{ name, flag string }{"dark", "0"})
			}
			for _, scheme := range schemes {
				shot := filepath.Join(dir, c.name+"-"+scheme.name+".png")
				b.run(t, url+"#open=all", "--window-size=1366,1000", "--blink-settings=preferredColorScheme="+scheme.flag, "--screenshot="+shot)
				checkScreenshot(t, shot, scheme.name)
			}
		})
	}

	t.Run("filters", func(t *testing.T) {
		repos := cases[3]
		page, ok := renderHTML(t, repos)
		if !ok {
			return
		}
		static, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		checks := []filterCheck{
			{Status: "live", want: rowsWhere(static, "data-status", "live", " ")},
			{Status: "privileged", want: rowsWhere(static, "data-status", "privileged", " ")},
			{Status: "history", want: rowsWhere(static, "data-status", "history", " ")},
			{Type: "platform-token", want: rowsWhere(static, "data-type", "platform-token", " ")},
			{Repo: repoNumber(t, static, "/srv/git/legacy.git"), want: rowsWhere(static, "data-repos", repoNumber(t, static, "/srv/git/legacy.git"), " ")},
			// The search reads the places inside closed rows too, in any case.
			{Q: "ANSIBLE/group_vars", want: []string{"t1"}},
			{Q: "no such thing"},
			{Status: "live", Repo: repoNumber(t, static, "https://gitlab.example.com/ops/deploy"), want: []string{"t1"}},
			{Type: "classic-access-token", Status: "history", Open: true, want: intersect(rowsWhere(static, "data-type", "classic-access-token", " "), rowsWhere(static, "data-status", "history", " "))},
			{want: allRows(repos.tokens)},
		}
		for _, ch := range checks {
			if len(ch.want) == 0 && ch.Q != "no such thing" {
				t.Fatalf("%+v: the fixture has no row to show; the check would prove nothing", ch)
			}
		}
		// The page as a person uses it: a driver script sets the form's
		// fields, fires the events a person's typing fires, presses the
		// buttons, and writes down what the page shows after each step.
		url := writeDriven(t, dir, "driven", page, checks)
		doc := b.dom(t, url)
		var got []filterResult
		if err := json.Unmarshal([]byte(textOf(byID(doc, "driver-results"))), &got); err != nil || len(got) != len(checks) {
			t.Fatalf("driver results %q: %v", textOf(byID(doc, "driver-results")), err)
		}
		for i, ch := range checks {
			g := got[i]
			var wantOpen []string
			if ch.Open {
				wantOpen = ch.want
			}
			if fmt.Sprint(g.Shown) != fmt.Sprint(ch.want) || fmt.Sprint(g.Open) != fmt.Sprint(wantOpen) {
				t.Errorf("%+v: shown %v, open %v; want shown %v, open %v", ch, g.Shown, g.Open, ch.want, wantOpen)
			}
			if fmt.Sprint(g.Filled) != fmt.Sprint(wantOpen) {
				t.Errorf("%+v: open rows with their places %v; want %v", ch, g.Filled, wantOpen)
			}
			if g.Count != fmt.Sprint(len(ch.want)) || g.None != (len(ch.want) == 0) {
				t.Errorf("%+v: count %q, no-match note %v; want %d, %v", ch, g.Count, g.None, len(ch.want), len(ch.want) == 0)
			}
			if ch.Status != "" && !strings.Contains(g.Hash, "status="+ch.Status) {
				t.Errorf("%+v: the URL fragment %q does not keep the filter", ch, g.Hash)
			}
			if ch.Repo != "" && !strings.Contains(g.Hash, "repo=https%3A%2F%2Fgitlab") && !strings.Contains(g.Hash, "repo=%2Fsrv%2Fgit") {
				t.Errorf("%+v: the URL fragment %q does not name the repository", ch, g.Hash)
			}
		}

		// The same filters from the URL fragment, as a bookmark opens them.
		url = writePage(t, dir, repos)
		for _, fc := range []struct {
			fragment    string
			shown, open []string
		}{
			{"#status=privileged&open=all", checks[1].want, checks[1].want},
			{"#q=no%20such%20thing", nil, nil},
			// A row's anchor opens it; an unknown type is ignored.
			{"#t3", allRows(repos.tokens), []string{"t3"}},
			{"#type=%3Cb%3Enonsense&repo=/srv/git/legacy.git", checks[4].want, nil},
		} {
			shown, open := visible(b.dom(t, url+fc.fragment))
			if fmt.Sprint(shown) != fmt.Sprint(fc.shown) || fmt.Sprint(open) != fmt.Sprint(fc.open) {
				t.Errorf("%s: shown %v, open %v; want shown %v, open %v", fc.fragment, shown, open, fc.shown, fc.open)
			}
		}
	})

	t.Run("print and open", func(t *testing.T) {
		// Printing lists every place of every row shown: before print,
		// the page opens the rows a filter left and builds their places;
		// after, it closes those it opened. The browser fires the events
		// when it prints; the driver fires them here.
		repos := cases[3]
		page := mustRender(t, repos)
		static, err := html.Parse(bytes.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		want := rowsWhere(static, "data-status", "history", " ")
		p := filepath.Join(dir, "print.html")
		if err := os.WriteFile(p, withScript(t, page, `<pre id="driver-results"></pre>`, printDriver), 0o644); err != nil {
			t.Fatal(err)
		}
		doc := b.dom(t, "file://"+p+"#status=history")
		var got struct{ Open, Filled, After, Clicked, Keyed, Closed []string }
		if err := json.Unmarshal([]byte(textOf(byID(doc, "driver-results"))), &got); err != nil {
			t.Fatalf("driver results %q: %v", textOf(byID(doc, "driver-results")), err)
		}
		if len(want) == 0 || fmt.Sprint(got.Open) != fmt.Sprint(want) || fmt.Sprint(got.Filled) != fmt.Sprint(want) || len(got.After) != 0 {
			t.Errorf("printing with status=history: open %v, with places %v, open after %v; want %v, %v, none", got.Open, got.Filled, got.After, want, want)
		}
		if fmt.Sprint(got.Clicked, got.Keyed, got.Closed) != "[t1] [t1 t2] [t2]" {
			t.Errorf("click t1, Enter on t2, click t1: open with places %v, then %v, then open %v; want [t1], [t1 t2], [t2]", got.Clicked, got.Keyed, got.Closed)
		}
	})

	t.Run("no network and no markup from content", func(t *testing.T) {
		// A page whose content tries every way to make the browser
		// fetch something from a listener on loopback, or run a script:
		// none may succeed.
		var hits atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer srv.Close()
		hostile := cases[4]
		res := hostile.res
		res.Findings = append([]scanner.Finding(nil), res.Findings...)
		lure := []string{
			`<img src="` + srv.URL + `/img">`,
			`<script src="` + srv.URL + `/script"></script>`,
			`<link rel=stylesheet href="` + srv.URL + `/css">`,
			`<script>document.documentElement.setAttribute("data-pwned","1")</script>`,
			`<style>@import url(` + srv.URL + `/import);</style>`,
			`<iframe src="` + srv.URL + `/frame"></iframe>`,
		}
		for i := range res.Findings {
			res.Findings[i].Path = lure[i%len(lure)] + res.Findings[i].Path
			res.Findings[i].Origin.AuthorName = lure[(i+1)%len(lure)]
			res.Findings[i].Repository = lure[(i+2)%len(lure)]
		}
		hostile.res, hostile.name = res, "lure"
		url := writePage(t, dir, hostile)
		doc := b.dom(t, url+"#open=all")
		walk(doc, func(n *html.Node) {
			if n.Type == html.ElementNode && (n.Data == "img" || n.Data == "iframe" || n.Data == "link") {
				t.Errorf("a <%s> element from content is in the DOM", n.Data)
			}
			if hasAttr(n, "data-pwned") {
				t.Error("a script from content ran")
			}
		})
		// The places the script built hold the lures as text.
		var text strings.Builder
		walk(doc, func(n *html.Node) {
			if n.Type == html.TextNode && n.Parent != nil && n.Parent.Data == "td" {
				text.WriteString(n.Data)
			}
		})
		for _, l := range lure {
			if !strings.Contains(text.String(), l) {
				t.Errorf("the table of places does not show %q as text", l)
			}
		}
		shot := filepath.Join(dir, "lure.png")
		b.run(t, url+"#open=all", "--window-size=1366,1000", "--screenshot="+shot)
		checkScreenshot(t, shot, "lure")
		if n := hits.Load(); n != 0 {
			t.Errorf("the page made %d requests to the loopback listener", n)
		}
		// The listener is reachable: a page without our escaping and
		// policy does reach it, so the zero above means something.
		control := filepath.Join(dir, "control.html")
		if err := os.WriteFile(control, []byte("<!DOCTYPE html><html><body>"+lure[0]+"</body></html>"), 0o644); err != nil {
			t.Fatal(err)
		}
		b.run(t, "file://"+control, "--dump-dom")
		if hits.Load() == 0 {
			t.Error("a plain page's <img> did not reach the loopback listener: the check above proves nothing")
		}
	})
}

// filterCheck is one state of the filter form the driver script sets, and
// the rows it must leave shown; Open presses "Expand all" after.
type filterCheck struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Repo   string `json:"repo"`
	Q      string `json:"q"`
	Open   bool   `json:"open"`
	want   []string
}

// filterResult is what the driver saw after one check.
type filterResult struct {
	Shown, Open []string
	// Filled are the open rows whose places the page built.
	Filled      []string
	Count, Hash string
	None        bool
}

// driver is the test page's extra script. It runs after the page's own,
// takes each check in turn, and writes what the page shows into
// #driver-results.
const driver = `(function () {
  var f = document.getElementById("filters"), out = [];
  var checks = JSON.parse(document.getElementById("driver-checks").textContent);
  var rows = Array.prototype.slice.call(document.querySelectorAll("div.tok"));
  function ids(pred) { return rows.filter(pred).map(function (r) { return r.id; }); }
  checks.forEach(function (c) {
    f.querySelector("[data-open='0']").click();
    ["type", "status", "repo"].forEach(function (k) {
      if (f.elements[k]) { f.elements[k].value = c[k]; f.elements[k].dispatchEvent(new Event("change", {bubbles: true})); }
    });
    f.elements.q.value = c.q;
    f.elements.q.dispatchEvent(new Event("input", {bubbles: true}));
    if (c.open) f.querySelector("[data-open='1']").click();
    out.push({Shown: ids(function (r) { return !r.hidden; }), Open: ids(function (r) { return r.classList.contains("open"); }),
      Filled: ids(function (r) { return r.classList.contains("open") && r.querySelector("table.locs tbody tr"); }),
      Count: document.getElementById("shown").textContent, Hash: location.hash,
      None: !document.getElementById("none").hidden});
  });
  document.getElementById("driver-results").textContent = JSON.stringify(out);
})();`

// printDriver fires the events a browser fires around printing and writes
// down which rows were open, and open with their places, while printing,
// and which stayed open after.
const printDriver = `(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("div.tok"));
  function ids(pred) { return rows.filter(pred).map(function (r) { return r.id; }); }
  dispatchEvent(new Event("beforeprint"));
  var open = ids(function (r) { return r.classList.contains("open"); });
  var filled = ids(function (r) { return r.classList.contains("open") && r.querySelector("table.locs tbody tr"); });
  dispatchEvent(new Event("afterprint"));
  var after = ids(function (r) { return r.classList.contains("open"); });
  // A person opens rows with a click or the keyboard.
  function opened() { return ids(function (r) { return r.classList.contains("open") && r.querySelector("table.locs tbody tr") && r.firstElementChild.getAttribute("aria-expanded") === "true"; }); }
  rows[0].firstElementChild.click();
  var clicked = opened();
  rows[1].firstElementChild.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true}));
  var keyed = opened();
  rows[0].firstElementChild.click();
  document.getElementById("driver-results").textContent =
    JSON.stringify({Open: open, Filled: filled, After: after, Clicked: clicked, Keyed: keyed, Closed: ids(function (r) { return r.classList.contains("open"); })});
})();`

// writeDriven writes page with the driver script and the checks added,
// and returns its file: URL.
func writeDriven(t *testing.T, dir, name string, page []byte, checks []filterCheck) string {
	t.Helper()
	js, err := json.Marshal(checks)
	if err != nil {
		t.Fatal(err)
	}
	data := "<script type=\"application/json\" id=\"driver-checks\">" + string(js) + "</script><pre id=\"driver-results\"></pre>"
	p := filepath.Join(dir, name+".html")
	if err := os.WriteFile(p, withScript(t, page, data, driver), 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

// withScript returns page with markup and a script of the test's added
// before </body>, and the script's hash added to the page's Content
// Security Policy, which would block it otherwise.
func withScript(t testing.TB, page []byte, markup, js string) []byte {
	t.Helper()
	s := string(page)
	s = strings.Replace(s, "script-src &#39;", "script-src &#39;"+cspHashOf(js)+"&#39; &#39;", 1)
	s = strings.Replace(s, "</body>", markup+"<script>"+js+"</script>\n</body>", 1)
	if !strings.Contains(s, cspHashOf(js)) {
		t.Fatal("could not add a test script's hash to the Content Security Policy")
	}
	return []byte(s)
}

// repoNumber returns the value the repository filter gives a repository.
func repoNumber(t *testing.T, doc *html.Node, name string) string {
	t.Helper()
	for _, o := range findAll(doc, func(n *html.Node) bool {
		return n.Data == "option" && n.Parent != nil && attr(n.Parent, "name") == "repo"
	}) {
		if textOf(o) == name {
			return attr(o, "value")
		}
	}
	t.Fatalf("no repository filter option for %s", name)
	return ""
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func allRows(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("t%d", i))
	}
	return out
}

// checkScreenshot fails unless the PNG holds a page rather than a blank or
// near-blank window: text and colours make hundreds of distinct colours.
func checkScreenshot(t *testing.T, path, what string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s screenshot: %v", what, err)
	}
	colours := map[uint32]int{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[cr>>8<<16|cg>>8<<8|cb>>8]++
		}
	}
	if len(colours) < 64 {
		t.Errorf("%s screenshot has %d distinct colours; a rendered page has hundreds", what, len(colours))
	}
	t.Logf("%s screenshot: %dx%d, %d distinct colours", what, r.Dx(), r.Dy(), len(colours))
}

// BenchmarkHTMLOpen measures what a person waits for with a page of
// 10,000 findings, side by side with an empty page: its size, and
// Chromium opening it from disk. Three figures per open: ms/op, the whole
// run of a headless Chromium taking a screenshot (browser start-up
// included, which the empty page shows); cpu-ms, the processor time of
// that run, all of Chromium's processes included, which a busy machine
// disturbs less than wall time; and layout-ms, measured by the page
// itself: from navigation start until, on the load event, the whole
// document has been parsed, its script has run and it has been laid out.
// Run it with
//
//	go test -run='^$' -bench=HTMLOpen -benchtime=3x ./scanner/report/
func BenchmarkHTMLOpen(b *testing.B) {
	br := newChromium(b)
	dir := b.TempDir()
	const timer = `addEventListener("load", function () {
  document.body.getBoundingClientRect(); document.body.offsetHeight;
  document.documentElement.setAttribute("data-layout-ms", performance.now().toFixed(1));
});`
	pages := []struct {
		name string
		res  scanner.Result
	}{{"empty", scanner.Result{}}, {"10000", manyFindings(10_000)}}
	for _, p := range pages {
		var buf bytes.Buffer
		if err := report.HTML(&buf, p.res, testOptions); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, p.name+".html")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		timed := filepath.Join(dir, p.name+"-timed.html")
		if err := os.WriteFile(timed, withScript(b, buf.Bytes(), "", timer), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			var layout float64
			var cpu time.Duration
			for b.Loop() {
				br.run(b, "file://"+path, "--window-size=1366,1000", "--screenshot="+filepath.Join(dir, p.name+".png"))
				cpu += br.cpu
				b.StopTimer()
				doc, err := html.Parse(bytes.NewReader(br.run(b, "file://"+timed, "--dump-dom")))
				if err != nil {
					b.Fatal(err)
				}
				ms, err := strconv.ParseFloat(attr(findAll(doc, func(n *html.Node) bool { return n.Data == "html" })[0], "data-layout-ms"), 64)
				if err != nil {
					b.Fatalf("no layout time from the page: %v", err)
				}
				layout += ms
				b.StartTimer()
			}
			b.ReportMetric(float64(buf.Len())/1e6, "MB")
			b.ReportMetric(layout/float64(b.N), "layout-ms")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms")
		})
	}
}
