// Package tokentest makes token-shaped test fixtures from a fixed seed, so
// that no test file has to hold a token-shaped literal, and checks outputs
// for leaked secrets without ever printing one.
package tokentest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
)

// Token is a generated, token-shaped fake.
type Token struct {
	// Text is the whole token.
	Text string
	// ID is the token identifier: the prefix and the public portion.
	ID string
	// Secret is the secret portion. Never print it in a failure message:
	// use [Token.ID] or an offset.
	Secret string
	// Fingerprint is the hex SHA-256 of Text.
	Fingerprint string
}

const upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Gen generates tokens from a fixed seed.
type Gen struct{ r *rand.Rand }

// New returns a generator seeded with seed; the same seed gives the same
// tokens on every run.
func New(seed uint64) *Gen { return &Gen{r: rand.New(rand.NewPCG(seed, 0x64746c65616b73))} }

// String returns n characters drawn from alphabet.
func (g *Gen) String(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// Token returns a documented-shape token with the given prefix: a
// 24-character public portion and a 64-character secret portion of [A-Z0-9].
func (g *Gen) Token(prefix string) Token {
	return g.Shaped(prefix, g.String(upperDigits, 24), g.String(upperDigits, 64))
}

// Shaped returns a token made of the given parts.
func (g *Gen) Shaped(prefix, public, secret string) Token {
	text := prefix + "." + public + "." + secret
	sum := sha256.Sum256([]byte(text))
	return Token{Text: text, ID: prefix + "." + public, Secret: secret, Fingerprint: hex.EncodeToString(sum[:])}
}

// Rand exposes the generator's source for fixtures that need more
// randomness from the same seed.
func (g *Gen) Rand() *rand.Rand { return g.r }

// LeakRun is how many consecutive characters of a secret count as a leak.
const LeakRun = 12

// Leak reports whether out holds any LeakRun-character run of any of the
// secrets. The description it returns names the token by ID and the offset in
// out, never the secret, so it is safe in a test failure message.
func Leak(out []byte, tokens ...Token) (string, bool) {
	for _, t := range tokens {
		for i := 0; i+LeakRun <= len(t.Secret); i++ {
			if j := bytes.Index(out, []byte(t.Secret[i:i+LeakRun])); j >= 0 {
				return fmt.Sprintf("secret of %s (chars %d-%d) at output offset %d", t.ID, i, i+LeakRun, j), true
			}
		}
	}
	return "", false
}
