package rules

import (
	"bytes"
	"cmp"
	"slices"
	"strings"
)

// This file finds the Dynatrace environments a text names, so that a finding
// can say which environment its token opens. The forms are those Dynatrace
// documents and its own tooling (github.com/Dynatrace-ESA/platform-constants,
// dynatraceUrlRegex) accepts:
//
//   - SaaS: https://<env-id>.live.dynatrace.com and
//     https://<env-id>.apps.dynatrace.com, with or without the scheme;
//   - Dynatrace's own test stages: any host under dynatracelabs.com with at
//     least one label before it (<id>.dev.dynatracelabs.com,
//     <id>.sprint.apps.dynatracelabs.com);
//   - Managed: https://<host>/e/<env-id>;
//   - Environment ActiveGate: https://<host>:9999/e/<env-id>.
//
// For the /e/ forms the host can be anything, so the environment ID must
// look like one: a UUID (Managed) or 8 to 12 lower-case letters and digits
// (SaaS, through an ActiveGate). http:// is accepted as well as https://,
// since Managed clusters and ActiveGates are sometimes reached without TLS
// inside a network; the scheme is kept as written.

// Environment is a Dynatrace environment URL found in a text.
type Environment struct {
	// Start and End are the byte offsets of the URL as written, up to the
	// end of its base.
	Start, End int
	// URL is the base URL: scheme, host, the port unless it is the
	// scheme's default, and for Managed and ActiveGate URLs /e/<env-id>;
	// lower case except the environment ID, no user information, path,
	// query or trailing slash. A host written without a scheme gets
	// https://.
	URL string
}

// Environments returns the Dynatrace environment URLs in b, in order of
// Start. It is meant for the few windows of a file that hold a finding, not
// for every byte scanned.
func Environments(b []byte) []Environment {
	var out []Environment
	// URLs with a scheme.
	lo := 0 // where the last URL found ends: the next one's scheme starts here or later
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("://"))
		if j < 0 {
			break
		}
		p := i + j
		i = p + 3
		if env, ok := envURL(b, p, lo); ok {
			out = append(out, env)
			i, lo = env.End, env.End
		}
	}
	// SaaS hosts without one.
	n := len(out)
	words := envFoldFinder{b: b, w: "dynatrace", lower: -2, upper: -2}
	for i := 0; ; {
		p := words.next(i)
		if p < 0 {
			break
		}
		i = p + len("dynatrace")
		s := p
		for s > 0 && envHostChar(b[s-1]) {
			s--
		}
		// Every other "dynatrace" in this host name has the same start:
		// the search goes on after the name, so that a long one is
		// walked once.
		e := envHostEnd(b, p)
		i = max(i, e)
		if s >= 3 && string(b[s-3:s]) == "://" || s > 0 && (b[s-1] == '@' || b[s-1] == '/') {
			continue // part of a URL, found above or rejected there
		}
		host := envTrimDots(strings.ToLower(string(b[s:e])))
		if envValidHost(host) && envSaaS(host) {
			out = append(out, Environment{Start: s, End: s + len(host), URL: "https://" + host})
		}
	}
	if n > 0 && len(out) > n {
		slices.SortStableFunc(out, func(a, b Environment) int { return cmp.Compare(a.Start, b.Start) })
	}
	return out
}

// NearestEnvironment returns the base URL of the environment in b nearest to
// offset by lines: the one whose line is closest to offset's line, and on a
// tie the one before. It reports false when b names no environment.
func NearestEnvironment(b []byte, offset int) (string, bool) {
	return Nearest(b, Environments(b), offset)
}

// Nearest is NearestEnvironment with the environments of b already found,
// for a caller that places several findings in the same text.
func Nearest(b []byte, envs []Environment, offset int) (string, bool) {
	offset = max(0, min(offset, len(b)))
	return NearestOnLine(envs, EnvironmentLines(b, envs), bytes.Count(b[:offset], []byte("\n")), offset)
}

// EnvironmentLines returns, for each of envs (found in b, in order), the
// number of '\n' in b before its Start: its line, counted from 0, in the
// numbering NearestOnLine takes.
func EnvironmentLines(b []byte, envs []Environment) []int {
	lines := make([]int, len(envs))
	line, from := 0, 0
	for i, env := range envs {
		line += bytes.Count(b[from:env.Start], []byte("\n"))
		from = env.Start
		lines[i] = line
	}
	return lines
}

// NearestOnLine is Nearest for an offset whose line, the number of '\n'
// before it, is at; lines are those EnvironmentLines returns for envs. It
// costs a binary search, not a count from the start of the text, so that
// placing many findings in one text costs the text once.
//
// The nearest is the environment whose line is closest to at: on at's own
// line, the last one that starts at or before offset, or else the first one
// after it; on other lines, the first environment of the nearest line, the
// line before on a tie.
func NearestOnLine(envs []Environment, lines []int, at, offset int) (string, bool) {
	if len(envs) == 0 {
		return "", false
	}
	// i is the first environment on at's line or after it.
	i, _ := slices.BinarySearch(lines, at)
	if i < len(envs) && lines[i] == at {
		best := i
		for j := i + 1; j < len(envs) && lines[j] == at && envs[j].Start <= offset; j++ {
			best = j
		}
		return envs[best].URL, true
	}
	best, dist := -1, 0
	if i > 0 {
		// The first environment of the line before at.
		best, _ = slices.BinarySearch(lines, lines[i-1])
		dist = at - lines[i-1]
	}
	if i < len(envs) && (best < 0 || lines[i]-at < dist) {
		best = i
	}
	return envs[best].URL, true
}

// envURL parses the URL whose "://" is at b[p:] and whose scheme starts at
// lo or later: the letters before lo belong to the URL before it.
func envURL(b []byte, p, lo int) (Environment, bool) {
	s := p
	for s > lo && p-s < 5 && envLetter(b[s-1]) {
		s--
	}
	scheme := strings.ToLower(string(b[s:p]))
	if scheme != "https" && scheme != "http" || s > 0 && envLetter(b[s-1]) {
		return Environment{}, false
	}
	// The authority runs to the path, query, fragment or the end of the
	// URL; user information, if any, ends at the last '@' and is dropped.
	a := p + 3
	e := a
	for e < len(b) && envAuthorityChar(b[e]) {
		e++
	}
	hs := a
	if k := bytes.LastIndexByte(b[a:e], '@'); k >= 0 {
		hs = a + k + 1
	}
	hostPort := b[hs:e]
	port := ""
	if k := bytes.LastIndexByte(hostPort, ':'); k >= 0 {
		port = string(hostPort[k+1:])
		hostPort = hostPort[:k]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return Environment{}, false
		}
		if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
			port = ""
		}
	}
	host := strings.ToLower(string(hostPort))
	if port == "" {
		// A sentence may end right after the host.
		trimmed := envTrimDots(host)
		e -= len(host) - len(trimmed)
		host = trimmed
	}
	if !envValidHost(host) {
		return Environment{}, false
	}
	base := scheme + "://" + host
	if port != "" {
		base += ":" + port
	}
	if envSaaS(host) {
		return Environment{Start: s, End: e, URL: base}, true
	}
	if id, n := envPathID(b[e:]); n > 0 {
		return Environment{Start: s, End: e + n, URL: base + "/e/" + id}, true
	}
	return Environment{}, false
}

// envPathID parses "/e/<env-id>" at the start of a path, and returns the ID
// and the length it spans.
func envPathID(b []byte) (string, int) {
	if !bytes.HasPrefix(b, []byte("/e/")) {
		return "", 0
	}
	i := 3
	for i < len(b) && i-3 <= 36 && (envHostChar(b[i]) && b[i] != '.') {
		i++
	}
	if i < len(b) && (envHostChar(b[i]) || b[i] == '_') {
		return "", 0 // longer than any ID
	}
	id := string(b[3:i])
	if !envUUID(id) && !envShortID(id) {
		return "", 0
	}
	return id, i
}

// envSaaS reports whether host is a SaaS or Dynatrace test-stage
// environment host.
func envSaaS(host string) bool {
	for _, suffix := range []string{".live.dynatrace.com", ".apps.dynatrace.com"} {
		if id, ok := strings.CutSuffix(host, suffix); ok {
			return id != "" && !strings.Contains(id, ".")
		}
	}
	if rest, ok := strings.CutSuffix(host, ".dynatracelabs.com"); ok {
		return rest != ""
	}
	return false
}

// envValidHost reports whether host is a DNS name or IPv4 address: labels
// of letters, digits and '-', not starting or ending with '-'.
func envValidHost(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := range len(label) {
			if !envHostChar(label[i]) || label[i] == '.' {
				return false
			}
		}
	}
	return true
}

// envUUID reports whether id is a UUID in its usual hex-and-dash form.
func envUUID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// envShortID reports whether id looks like a SaaS environment ID: 8 to 12
// lower-case letters and digits, with at least one letter.
func envShortID(id string) bool {
	if len(id) < 8 || len(id) > 12 {
		return false
	}
	letter := false
	for i := range len(id) {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// envHostEnd returns where the host name that holds b[p] ends.
func envHostEnd(b []byte, p int) int {
	for p < len(b) && envHostChar(b[p]) {
		p++
	}
	return p
}

// envTrimDots drops the dots a sentence may have put after a host name.
func envTrimDots(host string) string { return strings.TrimRight(host, ".") }

func envLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func envHostChar(c byte) bool {
	return envLetter(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

// envAuthorityChar reports whether c can stand in the authority of a URL as
// written in text: host, port and user information, but not the quotes,
// brackets and spaces around a URL, nor the '/', '?' and '#' after it.
func envAuthorityChar(c byte) bool {
	return envHostChar(c) || c == ':' || c == '@' || c == '_' || c == '~' || c == '%' || c == '!' || c == '$' || c == '&' || c == '+' || c == '=' || c == '*'
}

// envFoldFinder finds a lower-case ASCII word in b in any case. Its first
// letter is searched for in each case with bytes.IndexByte, which is
// vectorised, and the next offset of each is kept, so that neither is
// searched for twice over the same bytes however often that letter occurs.
type envFoldFinder struct {
	b            []byte
	w            string
	lower, upper int // the next w[0] in each case not yet looked at, -1 for none, -2 before the first search
}

// next returns the offset of the first w at or after i, or -1.
func (f *envFoldFinder) next(i int) int {
	n := len(f.b) - len(f.w) + 1 // w can start before n
	find := func(c byte) int {
		if i >= n {
			return -1
		}
		if j := bytes.IndexByte(f.b[i:n], c); j >= 0 {
			return i + j
		}
		return -1
	}
	for {
		if f.lower == -2 || f.lower >= 0 && f.lower < i {
			f.lower = find(f.w[0])
		}
		if f.upper == -2 || f.upper >= 0 && f.upper < i {
			f.upper = find(f.w[0] - 'a' + 'A')
		}
		j := f.lower
		if j < 0 || f.upper >= 0 && f.upper < j {
			j = f.upper
		}
		if j < 0 {
			return -1
		}
		if envEqualFold(f.b[j:j+len(f.w)], f.w) {
			return j
		}
		i = j + 1
	}
}

// envEqualFold reports whether b is the lower-case ASCII word w in any case.
func envEqualFold(b []byte, w string) bool {
	for k := range len(w) {
		if b[k]|0x20 != w[k] {
			return false
		}
	}
	return true
}
