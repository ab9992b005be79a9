package rules

// Shape is the layout of a token after its prefix: how long the public and
// secret portions are and which characters they hold.
type Shape uint8

// The shapes the matcher knows.
const (
	// Standard is the documented shape: 24 [A-Z0-9], a dot, 64 [A-Z0-9].
	Standard Shape = iota
)

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
