package rules

// Shape is the layout of a token after its prefix: how long the public and
// secret portions are and which characters they hold.
type Shape uint8

// The shapes the matcher knows.
const (
	// Standard is the documented shape: 24 [A-Z0-9], a dot, 64 [A-Z0-9].
	Standard Shape = iota
	// Short is 8 [A-Z0-9], a dot, 64 [A-Z0-9]: ActiveGate tokens, OAuth
	// client secrets and platform tokens.
	Short
	// Agent is 8 [a-z0-9] (the environment ID), a dot, 64 [0-9a-f]: agent
	// connection tokens.
	Agent
	// Legacy is a 21-character token from before the prefixed format,
	// recognised only from its context. It has no prefix and no public
	// portion.
	Legacy
)

// String returns the shape's stable machine name.
func (s Shape) String() string {
	switch s {
	case Standard:
		return "standard"
	case Short:
		return "short"
	case Agent:
		return "agent"
	case Legacy:
		return "legacy"
	}
	return "unknown"
}

// Kind is one row of the catalogue: a token type, named by its prefix and
// shape.
type Kind struct {
	// Prefix is the six-character prefix, such as "dt0c01". It is empty for
	// the row that stands for every prefix the catalogue does not know.
	Prefix string
	// Shape is the layout the row applies to.
	Shape Shape
	// Name is a stable machine name, such as "classic-access-token". Reports
	// and users' scripts rely on it; it never changes once released.
	Name string
	// Description is a one-line human description.
	Description string
	// Source is where Dynatrace documents the prefix or shape.
	Source string
	// Severity is the SARIF security-severity, a score from 0.0 to 10.0
	// written with one decimal ("9.0"), which code scanning maps to
	// critical, high, medium or low.
	Severity string
}

const docPrefixes = "https://docs.dynatrace.com/docs/shortlink/token#token-prefixes"

// catalogue is the table every hit is classified through.
var catalogue = []Kind{
	{Prefix: "dt0c01", Shape: Standard, Name: "classic-access-token", Description: "Classic access token (API, PaaS/installer, personal access, data ingest or Operator token)", Source: docPrefixes},
}

// unknown classifies a token whose shape is valid but whose prefix the
// catalogue does not list: it is still reported.
var unknown = Kind{Name: "unrecognised-token", Description: "Dynatrace token of an unrecognised type", Source: docPrefixes}

// Kinds returns the catalogue, in a stable order, ending with the row for
// unrecognised prefixes.
func Kinds() []Kind {
	out := make([]Kind, 0, len(catalogue)+1)
	out = append(out, catalogue...)
	return append(out, unknown)
}

// Classify returns the catalogue row for a prefix and shape, or the row for
// unrecognised tokens.
func Classify(prefix string, shape Shape) *Kind {
	for i := range catalogue {
		if catalogue[i].Prefix == prefix && catalogue[i].Shape == shape {
			return &catalogue[i]
		}
	}
	return &unknown
}
