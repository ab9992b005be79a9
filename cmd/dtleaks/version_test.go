package main

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionInfo(t *testing.T) {
	installed := &debug.BuildInfo{GoVersion: "go1.24.0", Main: debug.Module{Path: "github.com/dtleaks/dtleaks/v2", Version: "v1.2.3"}}
	checkout := &debug.BuildInfo{GoVersion: "go1.24.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  versionInfo
	}{
		{"no build info", "", "", "", nil, versionInfo{Version: "devel", Go: runtime.Version()}},
		{"go install @v1.2.3", "", "", "", installed, versionInfo{Version: "v1.2.3", Go: "go1.24.0"}},
		{"go build in a checkout", "", "", "", checkout,
			versionInfo{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-01-02T03:04:05Z", Modified: true, Go: "go1.24.0"}},
		{"release: the linker wins", "1.4.0", "feedface", "2026-02-03T00:00:00Z", checkout,
			versionInfo{Version: "1.4.0", Commit: "feedface", Date: "2026-02-03T00:00:00Z", Modified: true, Go: "go1.24.0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := newVersionInfo(c.version, c.commit, c.date, c.bi)
			c.want.Platform = runtime.GOOS + "/" + runtime.GOARCH
			if got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out, errOut bytes.Buffer
		if code := run(t.Context(), []string{arg}, strings.NewReader(""), &out, &errOut, func(string) string { return "" }); code != exitClean {
			t.Fatalf("%s: exit %d, stderr %q", arg, code, errOut.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if want := "dtleaks " + version(); lines[0] != want {
			t.Errorf("%s: first line %q, want %q", arg, lines[0], want)
		}
		if last := lines[len(lines)-1]; !strings.HasPrefix(last, "go: go") {
			t.Errorf("%s: last line %q, want the Go release", arg, last)
		}
	}
}

// TestReleaseBinaryVersion runs a binary built by goreleaser (.ci/run builds
// a snapshot and names it) and checks that it says the version stamped in.
func TestReleaseBinaryVersion(t *testing.T) {
	bin, want := os.Getenv("DTLEAKS_RELEASE_BIN"), os.Getenv("DTLEAKS_RELEASE_VERSION")
	if bin == "" || want == "" {
		t.Skip("DTLEAKS_RELEASE_BIN and DTLEAKS_RELEASE_VERSION not set: no release build to check (.ci/run sets them)")
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	lines := strings.Split(string(out), "\n")
	if lines[0] != "dtleaks "+want {
		t.Errorf("first line %q, want %q", lines[0], "dtleaks "+want)
	}
	for _, prefix := range []string{"commit: ", "built: "} {
		if !strings.Contains(string(out), "\n"+prefix) {
			t.Errorf("no %q line in:\n%s", prefix, out)
		}
	}
}
