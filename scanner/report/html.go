package report

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// The html format is one self-contained page for people who act on an
// audit: no external script, style, font or image, so it can be attached
// to a ticket, opened offline and printed. What it shows is explained in
// the package documentation; how it stays safe is explained here.
//
// Every string from the scan (paths, authors, e-mail addresses, messages of
// problems, repository names, environment URLs, the command line) goes
// through [htmlText] before the template sees it: tokens in it are redacted
// to their identifier (a file can be named after a token), anything a
// terminal would act on is quoted as [Escape] quotes it, and html/template
// then escapes it for its place in the page, so that a file named
// "<img src=x onerror=alert(1)>.env" is text. The page's Content Security
// Policy allows no network at all and runs only the page's own script and
// style, named by their hashes: markup that got in anyway could neither
// run nor load anything.
//
// A page of an audit holds thousands of places, and a browser that builds
// a table row for each before showing anything is slow: 10,000 places
// took 1.4 s to lay out. So the places are not markup. They are one inert
// JSON data island (<script type="application/json" id="places">, which
// no browser runs, so the policy need not name it), written by
// html/template's JavaScript escaper, which escapes every '<', '>', '&'
// and line separator in it: no string from content can end the island or
// start markup. The page's script builds a row's table of places from it,
// with text nodes only (never innerHTML), when the row is opened, and for
// every row still shown before printing. The search reads the island too.
// The rows are <div>s the script opens, not <details>: with the places
// out of the markup, setting up 2,000 <details> elements still took two
// fifths of Chromium's main-thread time opening the page. Where scripts are off, a CSS media query (scripting: none)
// shows every row's verification and revocation, and its summary names
// the first place; the places are in the JSON report.

//go:embed html.tmpl
var htmlSource string

//go:embed html.css
var htmlCSS string

//go:embed html.js
var htmlJS string

// htmlTemplate is the page's template, parsed at its first use: parsing it
// costs more than half a millisecond, which every run of the CLI (a
// pre-commit hook, most of all) would otherwise pay at start-up.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Funcs(template.FuncMap{
		"add": func(a, b int) int { return a + b },
		// trimScheme shortens an environment URL for a narrow column;
		// the whole URL is its title.
		"trimScheme": func(s string) string { return strings.TrimPrefix(s, "https://") },
	}).Parse(htmlSource))
})

// htmlCSP is the page's Content Security Policy: nothing from the network,
// no form submission, and only the page's own style and script.
var htmlCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; " +
	"style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) + "'"

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// HTML writes the result as one self-contained HTML page: what was scanned,
// the counts, a chart of when the tokens were introduced and one of their
// types, one expandable row per distinct token (most urgent first) with
// every place it was found, what to do per token type, and every problem.
func HTML(w io.Writer, res scanner.Result, opts Options) error {
	return buffered(w, func(bw *bufio.Writer) error {
		return htmlTemplate().Execute(bw, newHTMLPage(res, opts))
	})
}

// htmlPage is what the template renders. Every string in it is already
// redacted and quoted where needed ([htmlText]); html/template does the
// HTML escaping.
type htmlPage struct {
	CSP     string
	CSS     template.CSS
	Script  template.JS
	Command string
	Targets []string
	When    string
	WhenISO string
	Version string

	Findings, Tokens                   int
	Live, Privileged, Invalid, Unknown int
	Unasked, Present, HistoryOnly      int
	Verified, History                  bool
	PresentLabel                       string
	Problems                           []htmlProblem
	Repos                              []string
	Types                              []htmlTypeCount
	Statuses                           []htmlOption
	MonthChart, TypeChart              *htmlChart
	TokenRows                          []*htmlToken
	Places                             htmlPlaces
	Remedies                           []htmlRemedy
	HasRepos, HasCommit                bool
}

type htmlOption struct{ Value, Label string }

type htmlTypeCount struct {
	Name, Description string
	Count             int
}

type htmlProblem struct{ Path, Message string }

// htmlToken is one distinct token: its findings, grouped by fingerprint.
type htmlToken struct {
	Anchor, Label, ID, Fingerprint string
	Type, Description              string
	Status                         string
	Rank                           int
	invalid, present               bool
	Badges                         []htmlBadge
	Environment, AccessPage        string
	Verification                   *htmlVerification
	FirstCommit, FirstShort        string
	FirstAuthor, FirstDay          string
	first                          time.Time
	Repos                          []string
	ReposAttr                      string // numbers of Repos in the page's list
	Locations                      []htmlLocation
	Revoke                         string
}

type htmlBadge struct{ Class, Text string }

type htmlVerification struct {
	Status, Reason, Environment, Name, Owner string
	Scopes                                   []string
	Created, Expires, LastUsed, LastUsedIP   string
	Privileged                               bool
}

type htmlLocation struct {
	Repo, Where              string
	Line, Column             int
	Commit, CommitShort, Day string
	Author, Email            string
	Encoding                 string
	Blob                     string
	AtHead, Unreachable      bool
}

// htmlPlaces is the page's data island: the repositories, and per token
// row, in the rows' order, its places as arrays, not objects, because a
// page of 10,000 places would repeat each key 10,000 times:
//
//	[repo, where, "line:column", commit, day, author, email, notes]
//
// repo is the repository's number in Repos, from 1, or 0 for none; notes
// are the tags the place shows (encoding, "at HEAD", "unreachable blob
// …"). html/template marshals it to JSON and escapes it for the
// <script> it is in.
type htmlPlaces struct {
	Repos []string  `json:"repos"`
	Rows  [][][]any `json:"rows"`
}

type htmlRemedy struct {
	Type, Description, Where, Docs string
	Links                          []htmlLink
	Commands                       []string
	NoID                           int
}

type htmlLink struct{ Href, Text string }

// Ranks, most urgent first: what the page sorts tokens by.
const (
	rankPrivileged = iota // live, with a write or admin scope
	rankLive              // live
	rankPresent           // still at HEAD, or in the scanned files
	rankHistory           // only in history
)

func newHTMLPage(res scanner.Result, opts Options) *htmlPage {
	p := &htmlPage{
		CSP:      htmlCSP,
		CSS:      template.CSS(htmlCSS),
		Script:   template.JS(htmlJS),
		Command:  htmlText(opts.Command),
		Version:  htmlText(opts.ToolVersion),
		Findings: len(res.Findings),
	}
	for _, t := range opts.Targets {
		p.Targets = append(p.Targets, htmlText(t))
	}
	if !opts.Time.IsZero() {
		p.When = opts.Time.UTC().Format("2006-01-02 15:04 UTC")
		p.WhenISO = opts.Time.UTC().Format(time.RFC3339)
	}

	byFP := make(map[rules.Fingerprint]*htmlToken)
	repos := make(map[string]bool)
	for i := range res.Findings {
		f := &res.Findings[i]
		if history(f) {
			p.History = true
		}
		t := byFP[f.Fingerprint]
		if t == nil {
			t = newHTMLToken(f)
			byFP[f.Fingerprint] = t
			p.TokenRows = append(p.TokenRows, t)
		}
		t.add(f)
		if f.Repository != "" {
			repos[htmlText(f.Repository)] = true
		}
	}
	p.Tokens = len(p.TokenRows)
	// Which words fit is known from the findings; with none, the page
	// cannot tell a history scan from a scan of files.
	switch {
	case p.Tokens == 0:
		p.PresentLabel = "still present"
	case p.History:
		p.PresentLabel = "still at HEAD"
	default:
		p.PresentLabel = "in the scanned files"
	}
	types := make(map[string]*htmlTypeCount)
	statuses := make(map[string]bool)
	for _, t := range p.TokenRows {
		t.finish(p.History)
		for _, s := range strings.Fields(t.Status) {
			statuses[s] = true
		}
		switch {
		case t.Verification == nil:
			p.Unasked++
		case t.Verification.Status == string(scanner.Live):
			p.Live++
			p.Verified = true
			if t.Verification.Privileged {
				p.Privileged++
			}
		case t.Verification.Status == string(scanner.Invalid):
			p.Invalid++
			p.Verified = true
		default:
			p.Unknown++
			p.Verified = true
		}
		if t.present {
			p.Present++
		} else {
			p.HistoryOnly++
		}
		if t.FirstCommit != "" {
			p.HasCommit = true
		}
		tc := types[t.Type]
		if tc == nil {
			tc = &htmlTypeCount{Name: t.Type, Description: t.Description}
			types[t.Type] = tc
		}
		tc.Count++
	}
	slices.SortStableFunc(p.TokenRows, func(a, b *htmlToken) int {
		return cmp.Or(
			cmp.Compare(a.Rank, b.Rank),
			boolCompare(a.invalid, b.invalid),
			a.first.Compare(b.first),
			cmp.Compare(a.Label, b.Label),
			cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	for i, t := range p.TokenRows {
		t.Anchor = "t" + strconv.Itoa(i+1)
	}
	for _, tc := range types {
		p.Types = append(p.Types, *tc)
	}
	slices.SortFunc(p.Types, func(a, b htmlTypeCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name))
	})
	for r := range repos {
		p.Repos = append(p.Repos, r)
	}
	slices.Sort(p.Repos)
	p.HasRepos = len(p.Repos) > 0
	// Rows name their repositories by number, the option values of the
	// repository filter: a row in many repositories repeats no URL.
	number := make(map[string]string, len(p.Repos))
	for i, r := range p.Repos {
		number[r] = strconv.Itoa(i + 1)
	}
	for _, t := range p.TokenRows {
		var ns []string
		for _, r := range t.Repos {
			ns = append(ns, number[r])
		}
		t.ReposAttr = strings.Join(ns, " ")
	}
	p.Places = htmlPlaces{Repos: p.Repos, Rows: make([][][]any, len(p.TokenRows))}
	if p.Places.Repos == nil {
		p.Places.Repos = []string{}
	}
	for i, t := range p.TokenRows {
		rows := make([][]any, len(t.Locations))
		for j, l := range t.Locations {
			repo := 0
			if l.Repo != "" {
				repo, _ = strconv.Atoi(number[l.Repo])
			}
			notes := []string{}
			if l.Encoding != "" {
				notes = append(notes, l.Encoding)
			}
			if l.AtHead {
				notes = append(notes, "at HEAD")
			}
			if l.Unreachable {
				u := "unreachable"
				if l.Blob != "" {
					u += " blob " + l.Blob
				}
				notes = append(notes, u)
			}
			rows[j] = []any{repo, l.Where, strconv.Itoa(l.Line) + ":" + strconv.Itoa(l.Column), l.CommitShort, l.Day, l.Author, l.Email, notes}
		}
		p.Places.Rows[i] = rows
	}
	for _, s := range htmlStatuses {
		if statuses[s.Value] {
			p.Statuses = append(p.Statuses, s)
		}
	}
	for _, pr := range res.Problems {
		msg := "<nil>"
		if pr.Err != nil {
			msg = pr.Err.Error()
		}
		hp := htmlProblem{Message: htmlText(msg)}
		if pr.Path != "" && !scanner.NamesPath(pr.Err, pr.Path) {
			hp.Path = htmlText(pr.Path)
		}
		p.Problems = append(p.Problems, hp)
	}
	p.MonthChart = monthChart(p.TokenRows)
	p.TypeChart = typeChart(p.Types)
	p.Remedies = remedies(p.TokenRows)
	return p
}

// htmlStatuses are the values of the status filter, in the order it lists
// them; a page offers those its tokens have.
var htmlStatuses = []htmlOption{
	{"privileged", "Live, write scopes"},
	{"live", "Live"},
	{"invalid", "Invalid"},
	{"unknown", "Verification failed"},
	{"unverified", "Not verified"},
	{"present", "Still present"},
	{"history", "History only"},
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func newHTMLToken(f *scanner.Finding) *htmlToken {
	t := &htmlToken{
		ID:          string(f.ID),
		Fingerprint: string(f.Fingerprint),
		Type:        kindName(f),
		Description: kindDescription(f),
	}
	if f.ID == "" {
		t.Label = "**** (fingerprint " + shortFingerprint(f.Fingerprint) + ")"
	} else {
		t.Label = string(f.ID) + ".****"
		t.Revoke = "dtleaks revoke " + string(f.ID)
	}
	return t
}

// add records one finding of the token.
func (t *htmlToken) add(f *scanner.Finding) {
	l := htmlLocation{
		Repo:        htmlText(f.Repository),
		Where:       htmlText(whereRaw(f)),
		Line:        f.Line,
		Column:      f.Column,
		Encoding:    htmlText(string(f.Encoding)),
		AtHead:      f.Origin.AtHead,
		Unreachable: f.Origin.Unreachable,
	}
	o := f.Origin
	if o.Commit != "" {
		l.Commit, l.CommitShort = htmlText(o.Commit), htmlText(short(o.Commit))
		l.Author, l.Email = htmlText(o.AuthorName), htmlText(o.AuthorEmail)
	}
	if o.Blob != "" {
		l.Blob = htmlText(short(o.Blob))
	}
	if !o.Date.IsZero() {
		l.Day = o.Date.Format(time.DateOnly)
		// The earliest commit is the one that introduced the token.
		if t.first.IsZero() || o.Date.Before(t.first) {
			t.first = o.Date
			t.FirstCommit, t.FirstShort = l.Commit, l.CommitShort
			t.FirstAuthor, t.FirstDay = l.Author, l.Day
		}
	} else if t.FirstCommit == "" && o.Commit != "" {
		t.FirstCommit, t.FirstShort = l.Commit, l.CommitShort
		t.FirstAuthor = l.Author
	}
	if !history(f) || o.AtHead {
		t.present = true
	}
	if t.Environment == "" && f.Environment != "" {
		t.Environment = htmlText(f.Environment)
	}
	if l.Repo != "" && !slices.Contains(t.Repos, l.Repo) {
		t.Repos = append(t.Repos, l.Repo)
	}
	// One live answer makes the token live, and one privileged answer
	// makes it privileged.
	if v := f.Verification; v != nil {
		r, old := verdictRank(v.Status), verdictRank(scanner.Status(statusOf(t.Verification)))
		if r < old || r == old && v.Privileged && v.Status == scanner.Live && !t.Verification.Privileged {
			t.Verification = newHTMLVerification(v)
		}
	}
	t.Locations = append(t.Locations, l)
}

func statusOf(v *htmlVerification) string {
	if v == nil {
		return ""
	}
	return v.Status
}

// verdictRank orders what verifications said, the most telling first: one
// live answer makes the token live.
func verdictRank(s scanner.Status) int {
	switch s {
	case scanner.Live:
		return 0
	case scanner.Invalid:
		return 1
	case "":
		return 3
	}
	return 2
}

func newHTMLVerification(v *scanner.Verification) *htmlVerification {
	hv := &htmlVerification{
		Status:      htmlText(string(v.Status)),
		Reason:      htmlText(v.Reason),
		Environment: htmlText(v.Environment),
		Name:        htmlText(v.Name),
		Owner:       htmlText(v.Owner),
		LastUsedIP:  htmlText(v.LastUsedIP),
		Privileged:  v.Privileged && v.Status == scanner.Live,
	}
	if hv.Status != string(scanner.Live) && hv.Status != string(scanner.Invalid) {
		hv.Status = string(scanner.Unknown)
	}
	for _, s := range v.Scopes {
		hv.Scopes = append(hv.Scopes, htmlText(s))
	}
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	}
	hv.Created, hv.Expires, hv.LastUsed = day(v.Created), day(v.Expires), day(v.LastUsed)
	return hv
}

// finish settles the token's rank, status words and badges once all its
// findings are in.
func (t *htmlToken) finish(hist bool) {
	var status []string
	t.Rank = rankHistory
	if t.present {
		t.Rank = rankPresent
	}
	v := t.Verification
	if v != nil && t.Environment == "" && v.Environment != "" {
		t.Environment = v.Environment
	}
	switch {
	case v == nil:
		status = append(status, "unverified")
		t.Badges = append(t.Badges, htmlBadge{"b-none", "not verified"})
	case v.Status == string(scanner.Live) && v.Privileged:
		t.Rank = rankPrivileged
		status = append(status, "privileged", "live")
		t.Badges = append(t.Badges, htmlBadge{"b-crit", "live · write"})
	case v.Status == string(scanner.Live):
		t.Rank = rankLive
		status = append(status, "live")
		t.Badges = append(t.Badges, htmlBadge{"b-live", "live"})
	case v.Status == string(scanner.Invalid):
		t.invalid = true
		status = append(status, "invalid")
		t.Badges = append(t.Badges, htmlBadge{"b-ok", "invalid"})
	default:
		status = append(status, "unknown", "unverified")
		t.Badges = append(t.Badges, htmlBadge{"b-warn", "unknown"})
	}
	if t.present {
		status = append(status, "present")
		if hist {
			t.Badges = append(t.Badges, htmlBadge{"b-head", "at HEAD"})
		} else {
			t.Badges = append(t.Badges, htmlBadge{"b-head", "in files"})
		}
	} else {
		status = append(status, "history")
		t.Badges = append(t.Badges, htmlBadge{"b-hist", "history only"})
	}
	t.Status = strings.Join(status, " ")
	if k := kindOf(t.Type); t.Environment != "" && k.page {
		t.AccessPage = accessTokensPage(t.Environment)
	}
}

// whereRaw is where() before escaping: htmlText escapes.
func whereRaw(f *scanner.Finding) string {
	switch {
	case f.Path != "":
		return f.Path
	case f.Location != "":
		return string(f.Location)
	case f.Origin.Blob != "":
		return "blob:" + short(f.Origin.Blob)
	}
	return f.Path
}

// htmlText prepares a string from the scan for the page: any token in it is
// redacted to its identifier and "****", and a string a terminal would act
// on is quoted as [Escape] quotes it, so that control characters, invisible
// direction overrides and invalid UTF-8 show as escapes. html/template
// escapes the rest.
func htmlText(s string) string {
	if s == "" {
		return ""
	}
	return Escape(rules.Redact(s))
}

// accessTokensPage returns the Access tokens page of an environment, or ""
// when the environment is not a base URL as the rules write one (scheme,
// host, and /e/<id> for Managed): a page links only to Dynatrace.
func accessTokensPage(env string) string {
	u, err := url.Parse(env)
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || !envPath.MatchString(u.Path) {
		return ""
	}
	return u.String() + "/ui/access-tokens"
}

// envPath is the path of an environment's base URL: none, or /e/<id>.
var envPath = regexp.MustCompile(`^(/e/[A-Za-z0-9-]+)?$`)

// htmlKind says, per token type, where in Dynatrace to revoke it.
type htmlKind struct {
	where string
	page  bool // revoked on the environment's Access tokens page
}

func kindOf(name string) htmlKind {
	switch {
	case name == "classic-access-token", name == "legacy-token", name == "unrecognised-token":
		return htmlKind{"In the environment, open Access tokens, find the token by its identifier, disable it, and delete it once nothing breaks.", true}
	case strings.HasPrefix(name, "activegate-token"):
		return htmlKind{"In the environment, delete the ActiveGate token by its identifier (Access tokens, or the ActiveGate tokens API), then re-register the ActiveGates that used it with a new token.", true}
	case strings.HasPrefix(name, "agent-"):
		return htmlKind{"Agent tokens belong to the environment, not to a user: rotate the environment's tenant token (Dynatrace documents tenant token rotation) and update the agents' configuration.", false}
	case name == "scim-token":
		return htmlKind{"In Account Management, open Identity & access management, revoke the SCIM token and issue a new one to the identity provider.", false}
	case name == "platform-token", name == "platform-token-short":
		return htmlKind{"In Account Management, open Identity & access management > Platform tokens (or ask the token's owner) and delete the token by its identifier.", false}
	case strings.HasPrefix(name, "oauth2-client"):
		return htmlKind{"In Account Management, open Identity & access management > OAuth clients and delete the client whose ID this is; create a new client for what used it.", false}
	case name == "oauth2-refresh-token":
		return htmlKind{"Delete or rotate the OAuth client that issued the refresh token, in Account Management > Identity & access management > OAuth clients.", false}
	case strings.HasPrefix(name, "identity-link"):
		return htmlKind{"Remove the chat or identity link in Dynatrace and link again; the link token then no longer works.", false}
	}
	return htmlKind{"Revoke the token where it was created in Dynatrace.", false}
}

// remedies lists what to do for each token type on the page, in the order
// the most urgent token of each type appears.
func remedies(tokens []*htmlToken) []htmlRemedy {
	var out []htmlRemedy
	index := make(map[string]int)
	links := make(map[string]map[string]bool)
	for _, t := range tokens {
		i, ok := index[t.Type]
		if !ok {
			i = len(out)
			index[t.Type] = i
			k := kindOf(t.Type)
			r := htmlRemedy{Type: t.Type, Description: t.Description, Where: k.where}
			for _, k := range rules.Kinds() {
				if k.Name == t.Type {
					r.Docs = k.URL()
					break
				}
			}
			out = append(out, r)
			links[t.Type] = make(map[string]bool)
		}
		r := &out[i]
		if t.Revoke == "" {
			r.NoID++
		} else {
			r.Commands = append(r.Commands, t.Revoke)
		}
		if t.AccessPage != "" && !links[t.Type][t.AccessPage] {
			links[t.Type][t.AccessPage] = true
			r.Links = append(r.Links, htmlLink{t.AccessPage, t.Environment})
		}
	}
	return out
}

// htmlChart is a bar chart drawn as inline SVG by the template.
type htmlChart struct {
	Width, Height int
	Bars          []htmlBar
	Labels        []htmlAxisLabel
	Max, AxisY    int
	Caption       string
}

type htmlBar struct {
	X, Y, W, H     int
	LabelX, LabelY int
	Label, Title   string
	Count          int
}

type htmlAxisLabel struct {
	X, Y int
	Text string
}

// monthChart counts tokens by the month of the commit that introduced
// them; nil when no token has a commit date.
func monthChart(tokens []*htmlToken) *htmlChart {
	counts := make(map[time.Time]int)
	var lo, hi time.Time
	undated := 0
	for _, t := range tokens {
		if t.first.IsZero() {
			undated++
			continue
		}
		d := t.first.UTC()
		m := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		counts[m]++
		if lo.IsZero() || m.Before(lo) {
			lo = m
		}
		if hi.IsZero() || m.After(hi) {
			hi = m
		}
	}
	if len(counts) == 0 {
		return nil
	}
	// Years, not months, once months would make bars too thin to see.
	step, label := 1, "2006-01"
	if hi.Year()*12+int(hi.Month())-lo.Year()*12-int(lo.Month()) >= 48 {
		step, label = 12, "2006"
		lo = time.Date(lo.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		yearly := make(map[time.Time]int)
		for m, n := range counts {
			yearly[time.Date(m.Year(), 1, 1, 0, 0, 0, 0, time.UTC)] += n
		}
		counts = yearly
	}
	var buckets []time.Time
	for m := lo; !m.After(hi); m = m.AddDate(0, step, 0) {
		buckets = append(buckets, m)
	}
	c := &htmlChart{Width: 640, Height: 180, AxisY: 180 - 28}
	for _, m := range buckets {
		c.Max = max(c.Max, counts[m])
	}
	const left, top, bottom = 8, 16, 28
	plotH := c.Height - top - bottom
	// Slots no wider than 56 units, centred: one month is not a wall.
	slot := min(56, (c.Width-2*left)/len(buckets))
	offset := (c.Width - slot*len(buckets)) / 2
	barW := max(2, slot*7/10)
	every := max(1, (len(buckets)+7)/8) // at most about eight labels
	for i, m := range buckets {
		n := counts[m]
		h := 0
		if n > 0 {
			h = max(2, n*plotH/c.Max)
		}
		x := offset + i*slot + (slot-barW)/2
		b := htmlBar{X: x, Y: top + plotH - h, W: barW, H: h, Count: n,
			Title: fmt.Sprintf("%s: %s", m.Format(label), Plural(int64(n), "token", "tokens"))}
		// Values over the bars while they fit; each bar's title has it.
		if n > 0 && len(buckets) <= 24 {
			b.Label = strconv.Itoa(n)
			b.LabelX, b.LabelY = x+barW/2, top+plotH-h-4
		}
		c.Bars = append(c.Bars, b)
		last := i == len(buckets)-1
		if i%every == 0 || last {
			// The last bucket is always named; a label too close
			// before it gives way.
			if last && i%every != 0 && i%every <= every/2 && len(c.Labels) > 1 {
				c.Labels = c.Labels[:len(c.Labels)-1]
			}
			c.Labels = append(c.Labels, htmlAxisLabel{X: x + barW/2, Y: c.Height - 8, Text: m.Format(label)})
		}
	}
	c.Caption = "Tokens by the month of the commit that introduced them"
	if step == 12 {
		c.Caption = "Tokens by the year of the commit that introduced them"
	}
	if undated > 0 {
		c.Caption += fmt.Sprintf(" (%s without a commit date not shown)", Plural(int64(undated), "token", "tokens"))
	}
	return c
}

// typeChart draws one horizontal bar per token type.
func typeChart(types []htmlTypeCount) *htmlChart {
	if len(types) == 0 {
		return nil
	}
	const row, labelW, countW = 24, 230, 40
	c := &htmlChart{Width: 640, Height: row*len(types) + 8}
	for _, t := range types {
		c.Max = max(c.Max, t.Count)
	}
	barSpace := c.Width - labelW - countW
	for i, t := range types {
		w := max(2, t.Count*barSpace/c.Max)
		y := 4 + i*row
		c.Bars = append(c.Bars, htmlBar{X: labelW, Y: y + 4, W: w, H: row - 8, Count: t.Count,
			Label: strconv.Itoa(t.Count), LabelX: labelW + w + 6, LabelY: y + row/2 + 4,
			Title: t.Name + ": " + Plural(int64(t.Count), "token", "tokens")})
		c.Labels = append(c.Labels, htmlAxisLabel{X: labelW - 8, Y: y + row/2 + 4, Text: t.Name})
	}
	c.Caption = "Tokens by type"
	return c
}
