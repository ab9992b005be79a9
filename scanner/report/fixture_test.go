package report_test

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
)

// Paths that a hostile repository could hold. They must come out escaped in
// every format and never break the JSON, the terminal or a workflow command.
const (
	hostilePath  = "dir with space/new\nline\x1b[31mred\xff.env"
	markdownPath = "docs/a|b`c <x> [y](z).md"
	hostileName  = "Eve\r\n::error file=x::fake \x1b[2J"
)

var (
	commitA = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	commitB = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c"
	blobA   = "0badc0de0badc0de0badc0de0badc0de0badc0de"
	blobB   = "feedfacefeedfacefeedfacefeedfacefeedface"
	when    = time.Date(2024, 3, 5, 14, 7, 9, 0, time.FixedZone("", 2*60*60))
)

// fixture returns one result that covers every shape of finding the formats
// must render, and the tokens behind it, for the leak checks. The tokens
// come from a fixed seed; only their IDs and fingerprints reach the
// findings, as in a real scan.
func fixture() (scanner.Result, []tokentest.Token) {
	g := tokentest.New(7)
	var toks []tokentest.Token
	tok := func(prefix string) tokentest.Token {
		t := g.Token(prefix)
		toks = append(toks, t)
		return t
	}
	finding := func(t tokentest.Token, path string, line, col int) scanner.Finding {
		return scanner.Finding{
			ID:          rules.ID(t.ID),
			Kind:        rules.Classify(t.ID[:6], rules.Standard),
			Fingerprint: rules.Fingerprint(t.Fingerprint),
			Path:        path,
			Line:        line,
			Column:      col,
		}
	}

	plain := finding(tok("dt0c01"), "config/app.env", 3, 14)

	encoded := finding(tok("dt0c01"), "k8s/secret.yaml", 7, 9)
	encoded.Encoding = "base64"

	env := finding(tok("dt0c01"), "deploy/values.yaml", 12, 11)
	env.Environment = "https://abc12345.live.dynatrace.com"

	hist := finding(tok("dt0c01"), "old/creds.txt", 1, 1)
	hist.Origin = scanner.Origin{
		Commit:      commitA,
		AuthorName:  "Jane Doe",
		AuthorEmail: "jane@example.com",
		Date:        when,
		Blob:        blobA,
		AtHead:      true,
	}

	lost := finding(tok("dt0c01"), "lost.env", 2, 5)
	lost.Origin = scanner.Origin{Blob: blobB, Unreachable: true}

	msg := finding(tok("dt0c01"), "", 4, 7)
	msg.Location = "commit-message"
	msg.Origin = scanner.Origin{
		Commit:      commitB,
		AuthorName:  hostileName,
		AuthorEmail: "eve@example.com",
		Date:        when,
	}

	// A legacy token has no public portion: the whole token is secret.
	legacyText := g.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 21)
	sum := sha256.Sum256([]byte(legacyText))
	legacyTok := tokentest.Token{Text: legacyText, ID: "legacy", Secret: legacyText, Fingerprint: hex.EncodeToString(sum[:])}
	toks = append(toks, legacyTok)
	legacy := scanner.Finding{
		Kind:        rules.Classify("", rules.Legacy),
		Fingerprint: rules.Fingerprint(legacyTok.Fingerprint),
		Path:        "scripts/deploy.sh",
		Line:        9,
		Column:      22,
	}

	hostile := finding(tok("dt0c01"), hostilePath, 2, 3)
	md := finding(tok("dt0s01"), markdownPath, 5, 1)

	fs := []scanner.Finding{msg, plain, env, hostile, md, encoded, lost, hist, legacy}
	scanner.Sort(fs)
	return scanner.Result{
		Findings: fs,
		Stats:    scanner.Stats{Items: 1520, Bytes: 270_123_456, Findings: len(fs), Duration: 1234567 * time.Microsecond},
	}, toks
}

// verifiedFixture is a result after --verify: a live token with write
// scopes and all its metadata, the same token found again, a live token
// that may not look itself up, an invalid one, and unknown ones whose
// reasons hold text from outside (an environment URL with a control
// character).
func verifiedFixture() (scanner.Result, []tokentest.Token) {
	g := tokentest.New(8)
	var toks []tokentest.Token
	finding := func(t tokentest.Token, path string, line int) scanner.Finding {
		return scanner.Finding{
			ID:          rules.ID(t.ID),
			Kind:        rules.Classify(t.ID[:6], rules.Standard),
			Fingerprint: rules.Fingerprint(t.Fingerprint),
			Path:        path,
			Line:        line,
			Column:      10,
			Environment: "https://abc12345.live.dynatrace.com",
		}
	}
	tok := func() tokentest.Token { t := g.Token("dt0c01"); toks = append(toks, t); return t }
	admin, reader, dead, far := tok(), tok(), tok(), tok()
	agent := g.Token("dt0a01")
	toks = append(toks, agent)

	live := &scanner.Verification{
		Status: scanner.Live, Reason: "looked up", Environment: "https://abc12345.live.dynatrace.com",
		Name: "ci | deploy", Owner: "ci@example.com", Scopes: []string{"apiTokens.write", "metrics.read"},
		Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Expires: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC),
		LastUsed: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC), LastUsedIP: "192.0.2.7", Privileged: true,
	}
	a1 := finding(admin, "deploy/a.env", 2)
	a1.Verification = live
	a2 := finding(admin, "deploy/b.env", 7)
	a2.Verification = live
	r := finding(reader, "deploy/c.env", 1)
	r.Verification = &scanner.Verification{Status: scanner.Live, Reason: "the token authenticates but may not look itself up (403)", Environment: "https://abc12345.live.dynatrace.com"}
	d := finding(dead, "old/d.env", 3)
	d.Verification = &scanner.Verification{Status: scanner.Invalid, Reason: "the environment rejected the token (401)", Environment: "https://abc12345.live.dynatrace.com"}
	f := finding(far, "x/e.env", 4)
	f.Environment = "https://evil.example:9999/e/abcdefgh"
	f.Verification = &scanner.Verification{Status: scanner.Unknown, Reason: "environment https://evil.example:9999/e/abcdefgh\x1b[2J is not a Dynatrace SaaS domain and was not named with --environment: not contacted"}
	ag := scanner.Finding{
		ID: rules.ID(agent.ID), Kind: rules.Classify("dt0a01", rules.Standard), Fingerprint: rules.Fingerprint(agent.Fingerprint),
		Path: "agent.yaml", Line: 1, Column: 1,
		Verification: &scanner.Verification{Status: scanner.Unknown, Reason: "no safe check for agent-connection-token"},
	}
	fs := []scanner.Finding{a1, a2, r, d, f, ag}
	scanner.Sort(fs)
	return scanner.Result{
		Findings: fs,
		Stats:    scanner.Stats{Items: 6, Bytes: 1234, Findings: len(fs), Duration: 1500 * time.Millisecond},
	}, toks
}
