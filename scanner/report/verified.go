package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/dtleaks/dtleaks/scanner"
)

// This file renders what --verify found (a finding's Verification) in
// every format. A finding that was not verified renders exactly as before.

// privilegedSeverity is the SARIF security-severity of a live token with a
// write or admin scope: the highest there is.
const privilegedSeverity = "10.0"

// verifiedExtra is the fact a text line, a workflow command and the
// Markdown table add for a verified finding, already escaped: "LIVE",
// "LIVE, PRIVILEGED" with the token's metadata, "verified invalid", or
// "unverified: reason". It is empty for a finding nobody verified.
func verifiedExtra(f *scanner.Finding) string {
	v := f.Verification
	if v == nil {
		return ""
	}
	switch v.Status {
	case scanner.Live:
		s := "LIVE"
		if v.Privileged {
			s += ", PRIVILEGED"
		}
		if d := liveDetails(v); len(d) > 0 {
			s += " (" + strings.Join(d, "; ") + ")"
		}
		return s
	case scanner.Invalid:
		return "verified invalid"
	}
	if v.Reason == "" {
		return "unverified"
	}
	return "unverified: " + Escape(v.Reason)
}

// liveDetails lists a live token's metadata, each part escaped: it comes
// from the environment, not from us.
func liveDetails(v *scanner.Verification) []string {
	var out []string
	if len(v.Scopes) > 0 {
		out = append(out, "scopes "+Escape(strings.Join(v.Scopes, " ")))
	}
	if v.Name != "" {
		out = append(out, "name "+Escape(v.Name))
	}
	if v.Owner != "" {
		out = append(out, "owner "+Escape(v.Owner))
	}
	if !v.Expires.IsZero() {
		out = append(out, "expires "+v.Expires.Format(time.DateOnly))
	}
	if !v.LastUsed.IsZero() {
		out = append(out, "last used "+v.LastUsed.Format(time.DateOnly))
	}
	return out
}

// jsonVerification holds the json format's verification fields, inlined
// into a finding's object when it was verified.
type jsonVerification struct {
	Verified            string   `json:"verified"`
	VerifiedReason      string   `json:"verified_reason,omitempty"`
	VerifiedEnvironment string   `json:"verified_environment,omitempty"`
	Privileged          bool     `json:"privileged,omitempty"`
	TokenName           string   `json:"token_name,omitempty"`
	TokenOwner          string   `json:"token_owner,omitempty"`
	TokenScopes         []string `json:"token_scopes,omitempty"`
	Created             string   `json:"created,omitempty"`
	Expires             string   `json:"expires,omitempty"`
	LastUsed            string   `json:"last_used,omitempty"`
}

func newJSONVerification(v *scanner.Verification) *jsonVerification {
	if v == nil {
		return nil
	}
	j := &jsonVerification{
		Verified:            string(v.Status),
		VerifiedReason:      validUTF8(v.Reason),
		VerifiedEnvironment: validUTF8(v.Environment),
		Privileged:          v.Privileged,
		TokenName:           validUTF8(v.Name),
		TokenOwner:          validUTF8(v.Owner),
		Created:             date(v.Created),
		Expires:             date(v.Expires),
		LastUsed:            date(v.LastUsed),
	}
	for _, s := range v.Scopes {
		j.TokenScopes = append(j.TokenScopes, validUTF8(s))
	}
	return j
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sarifVerification holds a SARIF result's verification properties.
type sarifVerification struct {
	Verified            string   `json:"verified"`
	VerifiedReason      string   `json:"verifiedReason,omitempty"`
	VerifiedEnvironment string   `json:"verifiedEnvironment,omitempty"`
	Privileged          bool     `json:"privileged,omitempty"`
	TokenName           string   `json:"tokenName,omitempty"`
	TokenOwner          string   `json:"tokenOwner,omitempty"`
	TokenScopes         []string `json:"tokenScopes,omitempty"`
	Expires             string   `json:"expires,omitempty"`
	LastUsed            string   `json:"lastUsed,omitempty"`
	// SecuritySeverity raises a live token with a write or admin scope
	// above its rule's severity.
	SecuritySeverity string `json:"security-severity,omitempty"`
}

func newSARIFVerification(v *scanner.Verification) *sarifVerification {
	if v == nil {
		return nil
	}
	j := newJSONVerification(v)
	s := &sarifVerification{
		Verified: j.Verified, VerifiedReason: j.VerifiedReason, VerifiedEnvironment: j.VerifiedEnvironment,
		Privileged: j.Privileged, TokenName: j.TokenName, TokenOwner: j.TokenOwner, TokenScopes: j.TokenScopes,
		Expires: j.Expires, LastUsed: j.LastUsed,
	}
	if v.Status == scanner.Live && v.Privileged {
		s.SecuritySeverity = privilegedSeverity
	}
	return s
}

// sarifVerifiedMessage is what a SARIF message says first of a verified
// live token.
func sarifVerifiedMessage(f *scanner.Finding) string {
	v := f.Verification
	switch {
	case v == nil:
		return ""
	case v.Status == scanner.Live && v.Privileged:
		return "LIVE token with write or admin scopes (" + strings.Join(v.Scopes, " ") + "): "
	case v.Status == scanner.Live:
		return "LIVE token: "
	}
	return ""
}

// verifiedColumn is the Markdown table's Verified cell.
func verifiedColumn(f *scanner.Finding) string {
	v := f.Verification
	if v == nil {
		return ""
	}
	switch v.Status {
	case scanner.Live:
		s := "**LIVE**"
		if v.Privileged {
			s = "**LIVE, PRIVILEGED**"
		}
		if len(v.Scopes) > 0 {
			s += " " + markdown(Escape(strings.Join(v.Scopes, " ")))
		}
		return s
	case scanner.Invalid:
		return "invalid"
	}
	return "unknown: " + markdown(Escape(v.Reason))
}

// anyVerified reports whether any finding was verified.
func anyVerified(fs []scanner.Finding) bool {
	for i := range fs {
		if fs[i].Verification != nil {
			return true
		}
	}
	return false
}

// verifiedSummary counts the distinct tokens by verdict, for the summary
// line's parenthesis: ": 2 live (1 privileged), 1 invalid, 0 unknown".
func verifiedSummary(fs []scanner.Finding) string {
	if !anyVerified(fs) {
		return ""
	}
	seen := make(map[string]bool)
	var live, priv, invalid, unknown int
	for i := range fs {
		v := fs[i].Verification
		if v == nil || seen[string(fs[i].Fingerprint)] {
			continue
		}
		seen[string(fs[i].Fingerprint)] = true
		switch v.Status {
		case scanner.Live:
			live++
			if v.Privileged {
				priv++
			}
		case scanner.Invalid:
			invalid++
		default:
			unknown++
		}
	}
	s := fmt.Sprintf(": %d live", live)
	if priv > 0 {
		s += fmt.Sprintf(" (%d privileged)", priv)
	}
	return s + fmt.Sprintf(", %d invalid, %d unknown", invalid, unknown)
}
