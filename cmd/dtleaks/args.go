package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// shortFlags are the one-letter spellings of common flags, as other
// scanners and most command-line tools spell them.
var shortFlags = []struct{ short, long string }{
	{"f", "format"},
	{"o", "output"},
	{"j", "jobs"},
}

// addShortFlags defines each short flag whose long flag fs has, sharing the
// long flag's value, so "-f json" and "--format json" set the same thing.
func addShortFlags(fs *flag.FlagSet) {
	for _, s := range shortFlags {
		if long := fs.Lookup(s.long); long != nil && fs.Lookup(s.short) == nil {
			fs.Var(long.Value, s.short, "short for --"+s.long)
		}
	}
}

// shortOf returns the short spelling of the flag named long, or "".
func shortOf(long string) string {
	for _, s := range shortFlags {
		if s.long == long {
			return s.short
		}
	}
	return ""
}

// isShort reports whether name is the short spelling of another flag.
func isShort(name string) bool {
	for _, s := range shortFlags {
		if s.short == name {
			return true
		}
	}
	return false
}

// errUnknownFlag is a flag the command does not define; the message names
// the closest one it does.
type errUnknownFlag struct{ name, suggestion string }

func (e *errUnknownFlag) Error() string {
	msg := "unknown flag " + dashes(e.name)
	if e.suggestion != "" {
		msg += " (did you mean " + dashes(e.suggestion) + "?)"
	}
	return msg
}

// dashes spells a flag name as a user types it: "-f", "--format".
func dashes(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parseArgs parses args with fs, taking flags wherever they stand among the
// positional arguments ("scan src --format json"), as the flag package alone
// does not: it stops at the first argument that is not a flag. "--" ends the
// flags: everything after it is a positional argument, so a file named
// "--help" or "-" given after "--" is that file (which is what a pre-commit
// hook passes after its own flags). A "-" after "--" is returned as "./-",
// so it names the file "-" and never standard input. It returns the
// positional arguments in order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, p := range args[i+1:] {
				if p == "-" {
					p = "./-"
				}
				positional = append(positional, p)
			}
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		name, _, hasValue := strings.Cut(name, "=")
		if name == "" || name[0] == '-' || name[0] == '=' {
			continue // bad syntax: fs.Parse says so
		}
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				continue // fs.Parse returns flag.ErrHelp
			}
			return nil, &errUnknownFlag{name: name, suggestion: suggestFlag(fs, name)}
		}
		if !hasValue && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, err
	}
	return positional, nil
}

// parseFlags parses args with fs as parseArgs does, flags anywhere among
// the operands and "--" ending them, for the commands (merge, revoke) that
// read their operands from fs.Args(): it leaves fs.Args() the operands. ok
// is false when the command ends here, with the exit status code: --help
// printed the usage on stdout, or a bad flag was reported through fail
// with hint (such as "run 'dtleaks help revoke'") rather than with the
// whole usage, as the flag package would print it.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, fail func(error) int, hint string) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	operands, err := parseArgs(fs, args)
	if err == nil {
		// The flags are set; parsing "--" and the operands only makes
		// them fs.Args(), each taken as it is.
		err = fs.Parse(append([]string{"--"}, operands...))
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitClean, false
		}
		return fail(fmt.Errorf("%w; %s", err, hint)), false
	}
	return 0, true
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// suggestFlag returns the name of fs's flag closest to name, or "" when
// none is close enough to be what the user meant.
func suggestFlag(fs *flag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if !isShort(f.Name) {
			names = append(names, f.Name)
		}
	})
	return closest(name, names)
}

// closest returns the candidate nearest to s in edit distance, when it is
// near enough to be a slip of the fingers (at most a third of the longer
// word, and at most 3 edits), or a candidate s is a prefix of; else "".
func closest(s string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(s, c)
		limit := min(3, max(1, max(len(s), len(c))/3))
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	if best == "" && len(s) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, s) {
				return c
			}
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment) between a and b, in bytes: a swap of two neighbours is one
// edit, as in "scna" for "scan".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// printFlags writes fs's flags as "-f, --format FORMAT", one flag with its
// short spelling per entry, as the usage of a command shows them.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if isShort(f.Name) {
			return
		}
		var b strings.Builder
		b.WriteString("  ")
		if s := shortOf(f.Name); s != "" && fs.Lookup(s) != nil {
			b.WriteString("-" + s + ", ")
		}
		b.WriteString("--" + f.Name)
		arg, usage := flag.UnquoteUsage(f)
		if arg != "" && !isBoolFlag(f) {
			b.WriteString(" " + arg)
		}
		b.WriteString("\n    \t")
		b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			if _, ok := f.Value.(*listFlag); !ok {
				if fmt.Sprintf("%T", f.Value) == "*flag.stringValue" {
					def = fmt.Sprintf("%q", def)
				}
				fmt.Fprintf(&b, " (default %s)", def)
			}
		}
		fmt.Fprintln(w, b.String())
	})
}

// unknownCommand reports name as no command of dtleaks, with the nearest
// one, and returns the exit status of a usage error.
func unknownCommand(stderr io.Writer, name string) int {
	names := []string{"help", "version", "rules"}
	for _, c := range commands {
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("dtleaks: unknown command %q", name)
	if s := closest(name, names); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	fmt.Fprintln(stderr, message(msg+"; run 'dtleaks help'"))
	return exitError
}

// colorAllowed reports whether the environment lets the text format use
// colour: not when NO_COLOR is set (no-color.org) nor when TERM is "dumb",
// the terminal that says it understands no escape sequences.
func colorAllowed(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}
