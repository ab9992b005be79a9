// Package rules knows what a Dynatrace access token looks like: the token
// shapes, the catalogue of prefixes that name a token's type, and the matcher
// that finds tokens in arbitrary bytes.
//
// A token is three parts joined by dots: a six-character prefix that names
// its type (dt0c01, dt0s01, ...), a public portion and a secret portion. The
// prefix and the public portion together are the token identifier, which
// Dynatrace allows to be shown and logged and which its tokens API accepts as
// the token's ID. The secret portion is never allowed to leave this package:
// a [Match] holds offsets, the identifier and a one-way fingerprint, and no
// field that could hold a secret byte.
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// Pattern is the documented expression for a Dynatrace access token. The
// matcher does not use it; it is the oracle the tests and the fuzzer check the
// matcher against.
const Pattern = `dt0[a-zA-Z]{1}[0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}`

// MaxSpan bounds the number of input bytes a single match can cover,
// including encoded forms and the context a legacy token needs. A reader that
// feeds the matcher in pieces keeps this many bytes of overlap between pieces
// so that no match is cut in two.
const MaxSpan = 1024

// ID is a token identifier: the prefix and the public portion joined by a
// dot, such as "dt0c01.ST2EY72KQINMH574WMNVI7YN". It is safe to print.
// Every value of this type is built in this package from the public part of
// a token, never from its secret portion.
type ID string

// Fingerprint is the lower-case hex SHA-256 of a whole token. It identifies a
// token across files, commits and runs without revealing it: SHA-256 is
// one-way, and the 64-character secret portion carries far too much entropy
// (over 300 bits) for the hash to be reversed by guessing.
type Fingerprint string

// FingerprintOf returns the [Fingerprint] of a whole token: the one a [Match]
// of that token carries.
func FingerprintOf(token []byte) Fingerprint {
	sum := sha256.Sum256(token)
	return Fingerprint(hex.EncodeToString(sum[:]))
}

// Match is one token found by the [Matcher]. It holds where the token is and
// what identifies it, and nothing from which the secret could be read back:
// no field holds a byte of the secret portion, so printing a Match, logging
// it or encoding it as JSON cannot leak one.
type Match struct {
	// Start and End are the byte offsets of the match in the input given to
	// the matcher: the token itself, or its encoded form when Encoding is
	// not empty.
	Start, End int
	// Kind is the catalogue row the token's prefix and shape select.
	Kind *Kind
	// ID is the token identifier. It is empty for a legacy token, which has
	// no public portion.
	ID ID
	// Fingerprint is the hex SHA-256 of the whole (decoded) token.
	Fingerprint Fingerprint
	// Encoding names how the token was encoded in the input; EncodingNone
	// when the token stood there as it is.
	Encoding Encoding
	// Lead is how many bytes before Start the match depends on: the name
	// or header that makes a legacy token recognisable (at most MaxLead),
	// and 0 for every other match. A reader of the input in windows must
	// give a match to the window that holds its context, Start-Lead.
	Lead int
}

// Encoding names how a token was encoded in the input it was found in. Its
// values are written in reports, so they never change.
type Encoding string

// The encodings a Matcher decodes (unless NoDecode is set).
const (
	EncodingNone   Encoding = ""       // the token stood there as it is
	EncodingBase64 Encoding = "base64" // in base64 text (see Decoded)
	EncodingUTF16  Encoding = "utf-16" // in UTF-16 text, either byte order (see UTF16)
)

// MaxLead bounds Match.Lead.
const MaxLead = 128

// String describes the match by identifier, kind and offsets, such as
// "dt0c01.ST2EY72KQINMH574WMNVI7YN (classic-access-token) at 10-106".
func (m Match) String() string {
	id := string(m.ID)
	if id == "" {
		id = "fingerprint " + string(m.Fingerprint)
	}
	name := "?"
	if m.Kind != nil {
		name = m.Kind.Name
	}
	s := id + " (" + name + ") at " + strconv.Itoa(m.Start) + "-" + strconv.Itoa(m.End)
	if m.Encoding != EncodingNone {
		s += ", " + string(m.Encoding)
	}
	return s
}
