package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dtleaks/dtleaks/internal/dynatrace"
	"github.com/dtleaks/dtleaks/rules"
)

const revokeUsage = `Usage: dtleaks revoke [flags] [REPORT.json | ID ...]

Disable leaked tokens in their Dynatrace environment, by identifier: the
tokens listed in a JSON report of dtleaks (--format json), or the token
identifiers (prefix.public, such as dt0c01.ST2EY72KQINMH574WMNVI7YN) given
as arguments. The secret of a leaked token is never needed and never sent.

A dry run unless --yes: it prints exactly which request it would send for
each token, and sends nothing.

  access tokens (dt0c01)      PUT  {env}/api/v2/apiTokens/{id} {"enabled":false}
                              (--delete: DELETE {env}/api/v2/apiTokens/{id})
  ActiveGate tokens (dt0g02)  DELETE {env}/api/v2/activeGateTokens/{id}, with --delete
                              only: they cannot be disabled
  other types                 not revocable through these APIs: revoke them in
                              Dynatrace (Account Management for OAuth clients and
                              platform tokens)

The requests are authenticated with an administrator's access token taken
from the environment variable DT_ADMIN_TOKEN (never a flag, which would
show in the process list and shell history), with the scopes apiTokens.read
and apiTokens.write (activeGateTokenManagement.write for ActiveGate tokens).
It is only sent, over verified HTTPS, to a Dynatrace SaaS environment or one
named with --environment.

The environment of each token is the one the report names (the one that
answered --verify, else the one found next to the token), else the only
--environment given.

Per token it prints: disabled, deleted, already disabled, not found, or the
API's error.

Flags (anywhere among the arguments; "--" ends them):
`

// revokeTarget is one token to revoke in one environment.
type revokeTarget struct {
	id   string
	kind string // "token", "activegate" or "" (not revocable)
	env  string // as found or named; "" when unknown
	// problem says why the token cannot be revoked, before any request.
	problem string
}

func runRevoke(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("dtleaks revoke", flag.ContinueOnError)
	var (
		yes, del bool
		envs     listFlag
		caFile   string
	)
	fs.BoolVar(&yes, "yes", false, "act: send the requests (without it, a dry run that sends nothing)")
	fs.BoolVar(&del, "delete", false, "delete the tokens instead of disabling them: this cannot be undone")
	envFlag(fs, &envs)
	caFlag(fs, &caFile)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), revokeUsage)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nExit status: 0 every token revoked (or, in a dry run, every request known), 2 any not.\n")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "dtleaks revoke: %s\n", message(err.Error()))
		return exitError
	}
	if code, ok := parseFlags(fs, args, stdout, fail, "run 'dtleaks help revoke'"); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return fail(errors.New("name a JSON report or token identifiers; run 'dtleaks help revoke'"))
	}
	client, err := dynatrace.NewClient(dynatrace.Config{Environments: envs, CAFile: caFile, UserAgent: "dtleaks/" + version()})
	if err != nil {
		return fail(err)
	}
	named := client.Policy().Named()
	targets, err := revokeTargets(fs.Args(), named)
	if err != nil {
		return fail(err)
	}
	var admin dynatrace.Secret
	if yes {
		admin = dynatrace.Secret(strings.TrimSpace(getenv("DT_ADMIN_TOKEN")))
		if admin == "" {
			return fail(errors.New("--yes needs an administrator's access token in the environment variable DT_ADMIN_TOKEN"))
		}
	}
	adminID := ""
	if parts := strings.SplitN(string(admin), ".", 3); len(parts) == 3 {
		adminID = parts[0] + "." + parts[1]
	}

	if !yes {
		fmt.Fprintln(stdout, "dry run: nothing is sent; run again with --yes to act")
	}
	if del {
		fmt.Fprintln(stdout, "--delete: deleted tokens are gone for good, which cannot be undone")
	}
	failed := 0
	for _, t := range targets {
		if err := ctx.Err(); err != nil {
			return fail(errors.New("interrupted"))
		}
		line, ok := revokeOne(ctx, client, t, yes, del, admin, adminID)
		if !ok {
			failed++
		}
		fmt.Fprintln(stdout, message(line))
	}
	if !yes && getenv("DT_ADMIN_TOKEN") == "" {
		fmt.Fprintln(stderr, "dtleaks revoke: DT_ADMIN_TOKEN is not set: --yes will need it")
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "dtleaks revoke: %d of %d not revoked\n", failed, len(targets))
		return exitError
	}
	return exitClean
}

// revokeOne handles one target and returns the line to print and whether
// it succeeded (in a dry run: whether the request is known).
func revokeOne(ctx context.Context, client *dynatrace.Client, t revokeTarget, yes, del bool, admin dynatrace.Secret, adminID string) (string, bool) {
	head := t.id
	if t.problem != "" {
		return head + ": not revoked: " + t.problem, false
	}
	base, err := client.Policy().Resolve(t.env)
	if err != nil {
		return head + ": not revoked: " + err.Error(), false
	}
	head += " in " + base
	if t.kind == "activegate" && !del {
		return head + ": not revoked: ActiveGate tokens cannot be disabled, only deleted; run again with --delete", false
	}
	if t.id == adminID {
		return head + ": not revoked: it is the DT_ADMIN_TOKEN itself, which Dynatrace does not let revoke itself", false
	}
	if !yes {
		switch {
		case t.kind == "activegate":
			m, u := dynatrace.DeleteActiveGateTokenRequest(base, t.id)
			return head + ": would delete: " + m + " " + u, true
		case del:
			m, u := dynatrace.DeleteRequest(base, t.id)
			return head + ": would delete: " + m + " " + u, true
		}
		m, u, body := dynatrace.DisableRequest(base, t.id)
		return head + ": would disable: " + m + " " + u + " " + body, true
	}
	var se *dynatrace.StatusError
	outcome := func(err error, done string) (string, bool) {
		switch {
		case err == nil:
			return head + ": " + done, true
		case errors.As(err, &se) && se.Code == 404:
			return head + ": not found", false
		}
		return head + ": error: " + err.Error(), false
	}
	switch {
	case t.kind == "activegate":
		return outcome(client.DeleteActiveGateToken(ctx, base, t.id, admin), "deleted")
	case del:
		return outcome(client.Delete(ctx, base, t.id, admin), "deleted")
	}
	// A token already disabled is said so; when the token may not be
	// read (no apiTokens.read), the PUT is sent anyway.
	info, err := client.Token(ctx, base, t.id, admin)
	switch {
	case err == nil && !info.Enabled:
		return head + ": already disabled", true
	case errors.As(err, &se) && se.Code == 404:
		return head + ": not found", false
	}
	return outcome(client.Disable(ctx, base, t.id, admin), "disabled")
}

// revokeTargets reads the arguments: token identifiers, or JSON reports.
// Each identifier and environment pair is listed once, in the order first
// met.
func revokeTargets(args, named []string) ([]revokeTarget, error) {
	var out []revokeTarget
	seen := make(map[string]bool)
	add := func(t revokeTarget) {
		key := t.id + " " + t.env
		if t.id == "" || !seen[key] {
			seen[key] = true
			out = append(out, t)
		}
	}
	onlyEnv := func() (string, string) {
		switch len(named) {
		case 0:
			return "", "no environment known: name it with --environment"
		case 1:
			return named[0], ""
		}
		return "", "no environment known, and several named: revoke with one --environment at a time"
	}
	for _, a := range args {
		if dynatrace.ValidID(a) {
			t := revokeTarget{id: a, kind: revokeKind(a)}
			t.env, t.problem = onlyEnv()
			if t.kind == "" {
				t.problem = notRevocable(a[:6] + " tokens")
			}
			add(t)
			continue
		}
		if looksLikeToken(a) {
			return nil, fmt.Errorf("%s is a whole token: give only its identifier (prefix.public); revoking never needs the secret, and it should not be typed anywhere", a)
		}
		entries, err := readReport(a)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("%s: neither a token identifier (prefix.public) nor a report file: %w", a, err)
			}
			return nil, err
		}
		for _, e := range entries {
			id := string(e.ID)
			t := revokeTarget{id: id, kind: revokeKind(id), env: e.Environment}
			if e.Verification != nil && e.Verification.Environment != "" {
				t.env = e.Verification.Environment
			}
			switch {
			case id == "":
				t.id = "legacy token " + shortFP(string(e.Fingerprint))
				t.problem = "a legacy token has no identifier: revoke it in Dynatrace (Access tokens) by hand"
			case !dynatrace.ValidID(id):
				t.problem = "not a token identifier"
			case t.kind == "":
				t.problem = notRevocable(e.Kind.Name + " tokens")
			case t.env == "":
				t.env, t.problem = onlyEnv()
			}
			add(t)
		}
	}
	return out, nil
}

// notRevocable says why a kind of token is left to the user.
func notRevocable(what string) string {
	return what + " are not revocable through the tokens API: revoke it in Dynatrace (Account Management for OAuth clients and platform tokens)"
}

// revokeKind says which API revokes a token, by its prefix: "token" for
// access tokens, "activegate" for ActiveGate tokens, "" for none.
func revokeKind(id string) string {
	switch {
	case strings.HasPrefix(id, "dt0c01."):
		return "token"
	case strings.HasPrefix(id, "dt0g02."):
		return "activegate"
	}
	return ""
}

// looksLikeToken reports whether s holds a whole token, secret included.
func looksLikeToken(s string) bool {
	for range (&rules.Matcher{}).All([]byte(s)) {
		return true
	}
	return false
}

func shortFP(fp string) string {
	if len(fp) > 8 {
		return "fingerprint " + fp[:8] + "…"
	}
	return "fingerprint " + fp
}
