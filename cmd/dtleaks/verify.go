package main

import (
	"context"
	"errors"
	"flag"

	"github.com/dtleaks/dtleaks/internal/dynatrace"
	"github.com/dtleaks/dtleaks/rules"
	"github.com/dtleaks/dtleaks/scanner"
	"github.com/dtleaks/dtleaks/scanner/verify"
)

// verifyFlags adds --verify, --environment and --ca-file to scan and
// history. staged has none of them: a pre-commit hook never sends a token
// anywhere.
func verifyFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.verify, "verify", false, "ask Dynatrace whether each token found is live, and what it may do: sends each checkable token,\nover verified HTTPS, to its Dynatrace SaaS environment or to one named with --environment, never elsewhere")
	envFlag(fs, &o.environments)
	caFlag(fs, &o.caFile)
}

func envFlag(fs *flag.FlagSet, l *listFlag) {
	fs.Var(l, "environment", "trust the Dynatrace environment at `URL` (https://…, repeatable): a Managed cluster (https://host/e/ENV-ID)\nor an ActiveGate; tokens found with no environment next to them are checked there")
}

func caFlag(fs *flag.FlagSet, s *string) {
	fs.StringVar(s, "ca-file", "", "also trust the CA certificates in `FILE` (PEM), for a Managed cluster with a private CA")
}

// verifier runs --verify: it wraps the scan's source to collect the
// secrets, and verifies the findings after the scan. A nil *verifier (no
// --verify) does nothing.
type verifier struct {
	opts    verify.Options
	matcher *rules.Matcher
	col     *verify.Collector
}

// newVerifier checks the verification flags and returns nil when --verify
// was not given.
func newVerifier(o *options) (*verifier, error) {
	if !o.verify {
		if len(o.environments) > 0 || o.caFile != "" {
			return nil, errors.New("--environment and --ca-file need --verify")
		}
		return nil, nil
	}
	client, err := dynatrace.NewClient(dynatrace.Config{Environments: o.environments, CAFile: o.caFile, UserAgent: "dtleaks/" + version()})
	if err != nil {
		return nil, err
	}
	return &verifier{
		opts:    verify.Options{Client: client},
		matcher: &rules.Matcher{NoDecode: o.noDecode},
	}, nil
}

func (v *verifier) wrap(src scanner.Source) scanner.Source {
	if v == nil {
		return src
	}
	v.col = verify.Collect(src, v.matcher)
	return v.col
}

func (v *verifier) run(ctx context.Context, fs []scanner.Finding) error {
	if v == nil {
		return nil
	}
	return verify.Verify(ctx, fs, v.col, v.opts)
}
