package rules

import "strings"

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
	// the row that stands for every prefix the catalogue does not know, and
	// for legacy tokens, which have none.
	Prefix string
	// Shape is the layout the row applies to.
	Shape Shape
	// Name is a stable machine name, such as "classic-access-token". Reports
	// and users' scripts rely on it; it never changes once released. No two
	// rows share a name.
	Name string
	// Description is a one-line human description.
	Description string
	// Source says where Dynatrace documents the prefix and shape: a URL when
	// the documentation shows them, or a sentence starting "observed in" that
	// names where the shape was seen (with a URL) when Dynatrace does not
	// document it. [Kind.URL] extracts the address.
	Source string
	// Severity is the SARIF security-severity, a score from 0.0 to 10.0
	// written with one decimal ("9.0"), which code scanning maps to
	// critical, high, medium or low.
	Severity string
}

// URL returns the web address in the row's Source, for a report's help link.
func (k *Kind) URL() string {
	i := strings.Index(k.Source, "https://")
	if i < 0 {
		return ""
	}
	u := k.Source[i:]
	if j := strings.IndexAny(u, " )"); j >= 0 {
		u = u[:j]
	}
	return u
}

// Where Dynatrace documents tokens. The "Token prefixes" table lists the
// dt0s prefixes; the API authentication page shows dt0c01 in its examples.
const (
	docPrefixes   = "https://docs.dynatrace.com/docs/shortlink/token#token-prefixes"
	docAPIAuth    = "https://docs.dynatrace.com/docs/shortlink/api-authentication"
	docAGTokens   = "https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/activegate-tokens/get-activegate-token"
	docOAuth      = "https://docs.dynatrace.com/docs/shortlink/oauth"
	docSSOClient  = "https://docs.dynatrace.com/managed/managed-cluster/mission-control-api/cluster-sso-client-registration/post-generate-sso-client-credentials"
	docPlatform   = "https://docs.dynatrace.com/docs/manage/identity-access-management/access-tokens-and-oauth-clients/platform-tokens"
	seenAgentAuth = "https://community.dynatrace.com/t5/Cloud-platforms/Scope-and-management-of-auth-tokens-with-ID-dt0a01-lt-tenantUUID/td-p/230811"
)

// catalogue is the table every hit is classified through. Order is the order
// of [Kinds]; append new rows, never rename one.
//
// Severities: 9.0 (critical) for credentials that open an account or an
// environment's APIs with arbitrary scopes; 8.0 for ActiveGate tokens (a
// rogue ActiveGate joins the environment); 7.x (high) for narrower or
// short-lived credentials.
var catalogue = []Kind{
	// Standard shape: the documented prefix.public24.secret64.
	{Prefix: "dt0c01", Shape: Standard, Name: "classic-access-token", Severity: "9.0",
		Description: "Classic access token (API, PaaS/installer, personal access, data ingest or Operator token)",
		Source:      docAPIAuth},
	{Prefix: "dt0s01", Shape: Standard, Name: "scim-token", Severity: "9.0",
		Description: "SCIM API token for account user management",
		Source:      docPrefixes},
	{Prefix: "dt0s02", Shape: Standard, Name: "oauth2-client-dt0s02", Severity: "9.0",
		Description: "OAuth2 client credentials created in Account Management (Dynatrace Apps, Account Management API)",
		Source:      docPrefixes},
	{Prefix: "dt0s03", Shape: Standard, Name: "oauth2-client-dt0s03", Severity: "9.0",
		Description: "OAuth2 client credentials for internal and external services and integrations",
		Source:      docPrefixes},
	{Prefix: "dt0s04", Shape: Standard, Name: "identity-link-dt0s04", Severity: "7.0",
		Description: "Chat and identity linking token",
		Source:      docPrefixes},
	{Prefix: "dt0s06", Shape: Standard, Name: "oauth2-refresh-token", Severity: "7.5",
		Description: "OAuth2 refresh token (retrieves new access tokens)",
		Source:      docPrefixes},
	{Prefix: "dt0s08", Shape: Standard, Name: "oauth2-client-dt0s08", Severity: "9.0",
		Description: "OAuth2 client credentials for internal and external services and integrations",
		Source:      docPrefixes},
	{Prefix: "dt0s09", Shape: Standard, Name: "identity-link-dt0s09", Severity: "7.0",
		Description: "Chat and identity linking token",
		Source:      docPrefixes},
	{Prefix: "dt0s16", Shape: Standard, Name: "platform-token", Severity: "9.0",
		Description: "Platform token (programmatic access to Dynatrace platform services)",
		Source:      docPrefixes},
	{Prefix: "dt0g02", Shape: Standard, Name: "activegate-token", Severity: "8.0",
		Description: "ActiveGate token",
		Source:      "not documented for this prefix: the generic format at " + docPrefixes + " with the ActiveGate prefix of " + docAGTokens},
	{Prefix: "dt0a01", Shape: Standard, Name: "agent-connection-token", Severity: "7.0",
		Description: "Agent connection token (OneAgent and serverless data ingest)",
		Source:      "not documented for this prefix: the generic format at " + docPrefixes + " with the agent prefix observed in " + seenAgentAuth},

	// Short shape: prefix.public8.secret64.
	{Prefix: "dt0g02", Shape: Short, Name: "activegate-token-short", Severity: "8.0",
		Description: "ActiveGate token (8-character public portion)",
		Source:      docAGTokens + " (the identifier, dt0g02 and 8 characters; the 64-character secret is observed)"},
	{Prefix: "dt0s02", Shape: Short, Name: "oauth2-client-secret-dt0s02", Severity: "9.0",
		Description: "OAuth2 client secret created in Account Management (the client ID is its identifier)",
		Source:      "observed in OAuth client secrets, whose page " + docOAuth + " does not show the layout; Dynatrace shows the same layout for dt0s04 SSO client secrets at " + docSSOClient},
	{Prefix: "dt0s03", Shape: Short, Name: "oauth2-client-secret-dt0s03", Severity: "9.0",
		Description: "OAuth2 client secret for internal and external services and integrations",
		Source:      "observed in OAuth client secrets, whose page " + docOAuth + " does not show the layout; Dynatrace shows the same layout for dt0s04 SSO client secrets at " + docSSOClient},
	{Prefix: "dt0s08", Shape: Short, Name: "oauth2-client-secret-dt0s08", Severity: "9.0",
		Description: "OAuth2 client secret for internal and external services and integrations",
		Source:      "observed in OAuth client secrets, whose page " + docOAuth + " does not show the layout; Dynatrace shows the same layout for dt0s04 SSO client secrets at " + docSSOClient},
	{Prefix: "dt0s16", Shape: Short, Name: "platform-token-short", Severity: "9.0",
		Description: "Platform token (8-character public portion)",
		Source:      "observed in platform tokens, whose page " + docPlatform + " does not show the layout"},

	// Agent shape: dt0a01.envid8.hex64.
	{Prefix: "dt0a01", Shape: Agent, Name: "agent-auth-token", Severity: "7.0",
		Description: "Agent connection auth token bound to an environment ID (AWS Lambda, Azure and Google Cloud Functions configuration)",
		Source:      "observed in serverless agent configuration snippets (AWS Lambda, Azure, Google Cloud Functions), described at " + seenAgentAuth + "; not documented by Dynatrace"},

	// Legacy: 21 characters, no prefix; found from context by the legacy
	// detector, never by the matcher.
	{Prefix: "", Shape: Legacy, Name: "legacy-token", Severity: "9.0",
		Description: "Access token in the format from before prefixed tokens (21 characters), found from its context",
		Source:      "https://docs.dynatrace.com/docs/shortlink/token (says tokens of the old format stay valid; their 21-character length is observed)"},
}

// unknown classifies a token whose shape is valid but whose prefix the
// catalogue does not list: it is still reported.
var unknown = Kind{Name: "unrecognised-token", Description: "Dynatrace token of an unrecognised type",
	Source: docPrefixes, Severity: "8.0"}

// Kinds returns the catalogue, in a stable order, ending with the row for
// unrecognised prefixes. The slice is a copy; the rows' addresses are not
// those [Classify] returns.
func Kinds() []Kind {
	out := make([]Kind, 0, len(catalogue)+1)
	out = append(out, catalogue...)
	return append(out, unknown)
}

// Classify returns the catalogue row for a prefix and shape, or the row for
// unrecognised tokens. Classify("", Legacy) is the row for legacy tokens.
// The returned row is shared: do not modify it.
func Classify(prefix string, shape Shape) *Kind {
	for i := range catalogue {
		if catalogue[i].Prefix == prefix && catalogue[i].Shape == shape {
			return &catalogue[i]
		}
	}
	return &unknown
}
