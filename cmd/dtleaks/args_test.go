package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args       string
		positional string // joined by "|"
		format     string
		noDecode   bool
		jobs       int
		err        string
	}{
		{args: "", format: "text", jobs: 4},
		{args: "src", positional: "src", format: "text", jobs: 4},
		{args: "src --format json", positional: "src", format: "json", jobs: 4},
		{args: "--format json src", positional: "src", format: "json", jobs: 4},
		{args: "a -f json b -j 2 c", positional: "a|b|c", format: "json", jobs: 2},
		{args: "a --format=sarif --no-decode b", positional: "a|b", format: "sarif", noDecode: true, jobs: 4},
		{args: "-f=github -j=3", format: "github", jobs: 3},
		{args: "--no-decode=false a", positional: "a", format: "text", jobs: 4},
		// "-" is standard input before "--", the file "-" after it.
		{args: "-", positional: "-", format: "text", jobs: 4},
		{args: "-- -", positional: "./-", format: "text", jobs: 4},
		// "--" ends the flags, and is not itself an argument.
		{args: "--no-color -- --help --no-decode -f", positional: "--help|--no-decode|-f", format: "text", jobs: 4},
		{args: "a -- b --", positional: "a|b|--", format: "text", jobs: 4},
		// A flag's value may look like a flag or like "--".
		{args: "--output -- a", positional: "a", format: "text", jobs: 4},
		{args: "--formt json", err: "unknown flag --formt (did you mean --format?)"},
		{args: "src --nodecode", err: "unknown flag --nodecode (did you mean --no-decode?)"},
		{args: "-x", err: "unknown flag -x"},
		{args: "--zzzzzz", err: "unknown flag --zzzzzz"},
		{args: "a --format", err: "flag needs an argument: -format"},
		{args: "--jobs many", err: "invalid value"},
		{args: "---format json", err: "bad flag syntax"},
	}
	for _, c := range cases {
		fs, o := newFlagSet(commands[0], io.Discard)
		fs.SetOutput(io.Discard)
		must(t, fs.Set("jobs", "4"))
		got, err := parseArgs(fs, strings.Fields(c.args))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v; want one saying %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if strings.Join(got, "|") != c.positional || o.format != c.format || o.noDecode != c.noDecode || o.jobs != c.jobs {
			t.Errorf("%q: positional %q, format %q, no-decode %v, jobs %d; want %q, %q, %v, %d",
				c.args, got, o.format, o.noDecode, o.jobs, strings.Split(c.positional, "|"), c.format, c.noDecode, c.jobs)
		}
	}
}

func TestParseArgsHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"src", "--help"}, {"-help", "src"}} {
		fs, _ := newFlagSet(commands[0], io.Discard)
		fs.SetOutput(io.Discard)
		if _, err := parseArgs(fs, args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v; want flag.ErrHelp", args, err)
		}
	}
}

func TestClosest(t *testing.T) {
	words := []string{"scan", "history", "staged", "rules", "version", "help"}
	for _, c := range []struct{ in, want string }{
		{"scna", "scan"},
		{"sacn", "scan"},
		{"histroy", "history"},
		{"hist", "history"},
		{"stagd", "staged"},
		{"rule", "rules"},
		{"verison", "version"},
		{"nosuch", ""},
		{"x", ""},
		{"frobnicate", ""},
	} {
		if got := closest(c.in, words); got != c.want {
			t.Errorf("closest(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"scan", "scan", 0},
		{"scna", "scan", 1}, {"formt", "format", 1}, {"kitten", "sitting", 3},
	} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d; want %d", c.a, c.b, got, c.d)
		}
		if got := editDistance(c.b, c.a); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d; want %d", c.b, c.a, got, c.d)
		}
	}
}

// TestColorAllowed: colour follows NO_COLOR (no-color.org) and is off on a
// terminal that says it is dumb.
func TestColorAllowed(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, true},
		{map[string]string{"TERM": "xterm-256color"}, true},
		{map[string]string{"TERM": "dumb"}, false},
		{map[string]string{"NO_COLOR": "1"}, false},
		{map[string]string{"NO_COLOR": "1", "TERM": "xterm"}, false},
	} {
		getenv := func(k string) string { return c.env[k] }
		if got := colorAllowed(getenv); got != c.want {
			t.Errorf("colorAllowed(%v) = %v; want %v", c.env, got, c.want)
		}
	}
}
