package rules_test

import (
	"encoding/base64"
	"testing"

	"github.com/dtleaks/dtleaks/internal/tokentest"
	"github.com/dtleaks/dtleaks/rules"
)

func TestRedact(t *testing.T) {
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
			got := rules.Redact(tc.in)
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
