package rules

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
)

func TestRedact(t *testing.T) {
	g := tokentest.New(11)
	a, b := g.Token("dt0c01"), g.Token("dt0s16")
	b64 := base64.StdEncoding.EncodeToString([]byte("key=" + a.Text + "\n"))
	tests := []struct {
		name, in, want string
		toks           []tokentest.Token
	}{
		{"empty", "", "", nil},
		{"no token", "Ann Author <ann@example.com>", "Ann Author <ann@example.com>", nil},
		{"whole", a.Text, a.ID + ".****", []tokentest.Token{a}},
		{"in a name", "Ann " + a.Text + " <ann@example.com>", "Ann " + a.ID + ".**** <ann@example.com>", []tokentest.Token{a}},
		{"two", "refs/heads/" + a.Text + "/" + b.Text, "refs/heads/" + a.ID + ".****/" + b.ID + ".****", []tokentest.Token{a, b}},
		// The encoded span of the token goes; "key=" before it stays.
		{"base64", "x " + b64 + " y", "x a2V5**** y", []tokentest.Token{a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.in)
			if where, leak := tokentest.Leak([]byte(got), tt.toks...); leak {
				t.Fatalf("Redact leaks the %s", where)
			}
			if got != tt.want {
				t.Errorf("Redact = %q, want %q", got, tt.want)
			}
			if strings.Count(got, "****") != len(tt.toks) {
				t.Errorf("Redact = %q: want %d redactions", got, len(tt.toks))
			}
		})
	}
}
func TestRedactNames(t *testing.T) {
	g := tokentest.New(11)
	a, b := g.Token("dt0c01"), g.Token("dt0s16")
	b64 := base64.StdEncoding.EncodeToString([]byte("token=" + b.Text + "\n"))
	tests := []struct {
		name, in, want string
		tokens         []tokentest.Token
	}{
		{"empty", "", "", nil},
		{"no token", "d/cache.txt", "d/cache.txt", nil},
		{"file name", "d/cache-" + a.Text + ".txt", "d/cache-" + a.ID + ".****.txt", []tokentest.Token{a}},
		{"whole", a.Text, a.ID + ".****", []tokentest.Token{a}},
		{"two", a.Text + "/" + b.Text, a.ID + ".****/" + b.ID + ".****", []tokentest.Token{a, b}},
		{"base64 has no ID to show", "x " + b64 + " y", "x " + b64[:8] + "****" + b64[len(b64)-4:] + " y", []tokentest.Token{b}},
		{"non-UTF-8 kept", "\xff" + a.Text + "\xfe", "\xff" + a.ID + ".****\xfe", []tokentest.Token{a}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Redact(tc.in)
			if where, leak := tokentest.Leak([]byte(got), tc.tokens...); leak {
				t.Fatalf("Redact leaks the %s", where)
			}
			if got != tc.want {
				// Safe to print: the want holds no secret, and got
				// was checked for leaks above.
				t.Errorf("Redact = %q, want %q", got, tc.want)
			}
		})
	}
}
