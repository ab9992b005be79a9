package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set by a release build with the linker (see .goreleaser.yaml):
//
//	-ldflags "-X main.buildVersion=1.2.3 -X main.buildCommit=<sha> -X main.buildDate=<RFC 3339>"
//
// Left empty, they are read from what the go command recorded in the binary.
var (
	buildVersion string
	buildCommit  string
	buildDate    string
)

// versionInfo is what "dtleaks version" prints.
type versionInfo struct {
	Version  string // "1.2.3" from a release, "v1.2.3" from go install, or "devel"
	Commit   string // the VCS revision, "" when unknown
	Date     string // when the release was built, or the commit's time
	Modified bool   // built from a work tree with uncommitted changes
	Go       string // the Go release that built it
	Platform string // GOOS/GOARCH
}

// readVersion returns the version of this binary: the linker's values
// first, then the build information the go command records (the module
// version of "go install ...@v1.2.3"; the vcs.* settings of a build in a
// checkout).
func readVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo()
	return newVersionInfo(buildVersion, buildCommit, buildDate, bi)
}

// newVersionInfo fills in from bi (which may be nil) what the linker flags
// left empty.
func newVersionInfo(version, commit, date string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: version, Commit: commit, Date: date,
		Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	return v
}

// version is the version reported in SARIF and on the first line of
// "dtleaks version".
func version() string { return readVersion().Version }

// writeVersion prints "dtleaks version": the first line, "dtleaks
// <version>", is what scripts read; the lines after it say where the
// binary came from.
func writeVersion(w io.Writer) {
	v := readVersion()
	fmt.Fprintln(w, "dtleaks", v.Version)
	if v.Commit != "" {
		commit := v.Commit
		if v.Modified {
			commit += " (modified)"
		}
		fmt.Fprintln(w, "commit:", commit)
	}
	if v.Date != "" {
		fmt.Fprintln(w, "built:", v.Date)
	}
	fmt.Fprintln(w, "go:", v.Go, v.Platform)
}
