package dynatrace

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenInfo is the metadata Dynatrace keeps of an access token: the ApiToken
// object of the Access tokens API
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token-lookup,
// "The ApiToken object"). Dates are zero when absent.
type TokenInfo struct {
	ID, Name, Owner string
	Enabled         bool
	Scopes          []string
	Created         time.Time
	Expires         time.Time
	LastUsed        time.Time
	LastUsedIP      string
}

// apiToken is the wire form of TokenInfo. Dates are ISO 8601 strings.
type apiToken struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Owner             string   `json:"owner"`
	Enabled           *bool    `json:"enabled"`
	Scopes            []string `json:"scopes"`
	CreationDate      string   `json:"creationDate"`
	ExpirationDate    string   `json:"expirationDate"`
	LastUsedDate      string   `json:"lastUsedDate"`
	LastUsedIPAddress string   `json:"lastUsedIpAddress"`
}

func (a apiToken) info() *TokenInfo {
	return &TokenInfo{
		ID: a.ID, Name: a.Name, Owner: a.Owner,
		// The field is documented; a missing one is taken as enabled,
		// since the lookup authenticated with the token.
		Enabled: a.Enabled == nil || *a.Enabled,
		Scopes:  a.Scopes,
		Created: parseDate(a.CreationDate), Expires: parseDate(a.ExpirationDate),
		LastUsed: parseDate(a.LastUsedDate), LastUsedIP: a.LastUsedIPAddress,
	}
}

func parseDate(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// Lookup asks the environment at base (an API base URL, see
// [Policy.Resolve]) for the metadata of token, authenticated with token
// itself: POST {base}/api/v2/apiTokens/lookup with {"token": …}
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/post-token-lookup:
// "you need an access token with any scope"). The token goes in the body
// and the Authorization header ("Api-Token …", as
// https://docs.dynatrace.com/docs/shortlink/api-authentication shows), never
// in the URL. Any answer but 200 is a *StatusError.
func (c *Client) Lookup(ctx context.Context, base string, token Secret) (*TokenInfo, error) {
	body, _ := json.Marshal(struct {
		Token string `json:"token"`
	}{string(token)})
	resp, err := c.do(ctx, request{
		method: http.MethodPost, url: base + "/api/v2/apiTokens/lookup",
		auth: "Api-Token " + string(token), contentType: "application/json",
		body: body, secrets: []Secret{token},
	})
	if err != nil {
		return nil, err
	}
	if resp.code != http.StatusOK {
		return nil, statusError(resp, []Secret{token})
	}
	var a apiToken
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return nil, fmt.Errorf("lookup answer is not an ApiToken object: %s", Redact(err.Error(), token))
	}
	return a.info(), nil
}

// Token gets a token's metadata by its identifier with an administrator
// token: GET {base}/api/v2/apiTokens/{id}
// (https://docs.dynatrace.com/managed/dynatrace-api/environment-api/tokens-v2/api-tokens/get-token:
// apiTokens.read scope; 404 when there is no such token; the ApiToken
// object has "enabled").
func (c *Client) Token(ctx context.Context, base, id string, admin Secret) (*TokenInfo, error) {
	u, err := idURL(base, "/api/v2/apiTokens/", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, url: u, auth: "Api-Token " + string(admin), secrets: []Secret{admin}})
	if err != nil {
		return nil, err
	}
	if resp.code != http.StatusOK {
		return nil, statusError(resp, []Secret{admin})
	}
	var a apiToken
	if err := json.Unmarshal(resp.body, &a); err != nil {
		return nil, fmt.Errorf("token answer is not an ApiToken object: %s", Redact(err.Error(), admin))
	}
	return a.info(), nil
}

// Disable disables a token by its identifier: PUT {base}/api/v2/apiTokens/{id}
// with {"enabled": false}
// (https://docs.dynatrace.com/managed/dynatrace-api/environment-api/tokens-v2/api-tokens/put-token:
// apiTokens.write scope; 204 on success; "You can't disable the token
// you're using for authentication of the request").
func (c *Client) Disable(ctx context.Context, base, id string, admin Secret) error {
	u, err := idURL(base, "/api/v2/apiTokens/", id)
	if err != nil {
		return err
	}
	return c.expect204(ctx, request{
		method: http.MethodPut, url: u, auth: "Api-Token " + string(admin),
		contentType: "application/json", body: []byte(`{"enabled":false}`), secrets: []Secret{admin},
	})
}

// Delete deletes a token by its identifier: DELETE
// {base}/api/v2/apiTokens/{id}
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/del-token:
// apiTokens.write scope; 204 on success, 404 when there is no such token,
// 400 for the token authenticating the request). The page allows the
// token's secret in place of its ID; only the ID is ever sent.
func (c *Client) Delete(ctx context.Context, base, id string, admin Secret) error {
	u, err := idURL(base, "/api/v2/apiTokens/", id)
	if err != nil {
		return err
	}
	return c.expect204(ctx, request{method: http.MethodDelete, url: u, auth: "Api-Token " + string(admin), secrets: []Secret{admin}})
}

// DeleteActiveGateToken deletes an ActiveGate token by its identifier:
// DELETE {base}/api/v2/activeGateTokens/{id}
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/activegate-tokens/delete-activegate-token:
// activeGateTokenManagement.write scope; 204 on success, 404 when there is
// no such token). ActiveGate tokens cannot be disabled, only deleted.
func (c *Client) DeleteActiveGateToken(ctx context.Context, base, id string, admin Secret) error {
	u, err := idURL(base, "/api/v2/activeGateTokens/", id)
	if err != nil {
		return err
	}
	return c.expect204(ctx, request{method: http.MethodDelete, url: u, auth: "Api-Token " + string(admin), secrets: []Secret{admin}})
}

func (c *Client) expect204(ctx context.Context, r request) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	if resp.code != http.StatusNoContent && resp.code != http.StatusOK {
		return statusError(resp, r.secrets)
	}
	return nil
}

// DisableRequest and the others describe, for a dry run, the request the
// call would send: method and URL, and the body. They send nothing.
func DisableRequest(base, id string) (method, u, body string) {
	s, _ := idURL(base, "/api/v2/apiTokens/", id)
	return http.MethodPut, s, `{"enabled":false}`
}

// DeleteRequest describes the request [Client.Delete] would send.
func DeleteRequest(base, id string) (method, u string) {
	s, _ := idURL(base, "/api/v2/apiTokens/", id)
	return http.MethodDelete, s
}

// DeleteActiveGateTokenRequest describes the request
// [Client.DeleteActiveGateToken] would send.
func DeleteActiveGateTokenRequest(base, id string) (method, u string) {
	s, _ := idURL(base, "/api/v2/activeGateTokens/", id)
	return http.MethodDelete, s
}

// idURL joins base, a path and a token identifier, which must be a prefix
// and a public portion: nothing else ever goes in a URL.
func idURL(base, path, id string) (string, error) {
	if !ValidID(id) {
		return "", fmt.Errorf("%q is not a token identifier (prefix.public)", Redact(id))
	}
	return strings.TrimRight(base, "/") + path + url.PathEscape(id), nil
}

// ValidID reports whether id has the form of a token identifier: a prefix
// "dt0" + letter + two digits, a dot, and a public portion of 8 to 24
// characters [A-Za-z0-9] (no second dot, so no secret).
func ValidID(id string) bool {
	prefix, public, ok := strings.Cut(id, ".")
	if !ok || len(prefix) != 6 || !strings.HasPrefix(prefix, "dt0") ||
		!isLetter(prefix[3]) || !isDigit(prefix[4]) || !isDigit(prefix[5]) ||
		len(public) < 8 || len(public) > 24 {
		return false
	}
	for i := 0; i < len(public); i++ {
		if c := public[i]; !isLetter(c) && !isDigit(c) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }

// ClientCredentials tries an OAuth client's credentials with the client
// credentials grant at an SSO token endpoint (tokenURL, normally
// [SSOTokenURL]): POST application/x-www-form-urlencoded with grant_type,
// client_id and client_secret (https://docs.dynatrace.com/docs/shortlink/oauth,
// "Request a token"). The secret goes in the body only. It returns nil when
// the SSO issued a token (which is dropped unread), and a *StatusError
// otherwise; OAuthError "invalid_client" means the credentials were refused
// (RFC 6749, section 5.2).
//
// No scope is asked for: the page lists scope as a parameter, and the grant
// then covers the scopes the client was created with. That the SSO accepts
// the request without one is not confirmed.
func (c *Client) ClientCredentials(ctx context.Context, tokenURL, clientID string, secret Secret) error {
	if !ValidID(clientID) {
		return fmt.Errorf("%q is not an OAuth client ID", Redact(clientID))
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {string(secret)},
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, url: tokenURL, contentType: "application/x-www-form-urlencoded",
		body: []byte(form.Encode()), secrets: []Secret{secret},
	})
	if err != nil {
		return err
	}
	if resp.code != http.StatusOK {
		return statusError(resp, []Secret{secret})
	}
	return nil
}

// Privileged reports whether a token with these scopes can change the
// environment or its access: a write scope (apiTokens.write, settings.write,
// any "*.write"), WriteConfig, or token and certificate management
// (TenantTokenManagement, ActiveGateCertManagement). Scope names are from
// the ApiToken object's scopes list of the PUT page
// (https://docs.dynatrace.com/docs/dynatrace-api/environment-api/tokens-v2/api-tokens/put-token).
func Privileged(scopes []string) bool {
	for _, s := range scopes {
		switch {
		case strings.HasSuffix(s, ".write"), strings.HasSuffix(s, ":write"),
			s == "WriteConfig", s == "TenantTokenManagement", s == "ActiveGateCertManagement",
			s == "DssFileManagement", s == "RestRequestForwarding":
			return true
		}
	}
	return false
}
