package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/dtleaks/dtleaks/internal/gittest"
	"github.com/dtleaks/dtleaks/internal/tokentest"
)

// actionFile is the part of action.yml that GitHub reads to run the action.
type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			Name             string            `yaml:"name"`
			ID               string            `yaml:"id"`
			Uses             string            `yaml:"uses"`
			With             map[string]string `yaml:"with"`
			Shell            string            `yaml:"shell"`
			WorkingDirectory string            `yaml:"working-directory"`
			Env              map[string]string `yaml:"env"`
			Run              string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func readAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	must(t, err)
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return a
}

// git runs the git CLI in dir with a fixed identity and clock (see
// gittest), with dir as HOME.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	needGit(t)
	return gittest.Run(t, dir, dir, gittest.Epoch, "", args...)
}

// commit writes files (nil content removes one) and commits them.
func commit(t *testing.T, dir, msg string, files map[string]*string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if content == nil {
			must(t, os.Remove(p))
			continue
		}
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(*content), 0o644))
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
	return git(t, dir, "rev-parse", "HEAD")
}

func str(s string) *string { return &s }

// actionRun is one local run of the action's shell steps.
type actionRun struct {
	code    int
	stdout  []byte
	outputs map[string]string
	summary []byte
	sarif   []byte
}

// runAction runs the shell steps of action.yml as the runner would: with
// the step's env (expressions filled in from inputs and the github and
// runner contexts), in its working directory, with GITHUB_* variables and
// the event file. It stops at the first failing step, as a job does.
func runAction(t *testing.T, workspace, event string, payload any, inputs map[string]string) actionRun {
	t.Helper()
	a := readAction(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	tmp := t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	data, err := json.Marshal(payload)
	must(t, err)
	must(t, os.WriteFile(eventPath, data, 0o644))
	outputPath := filepath.Join(tmp, "output")
	summaryPath := filepath.Join(tmp, "summary")
	ctxs := map[string]string{
		"github.action_path": root,
		"github.workspace":   workspace,
		"runner.temp":        filepath.Join(tmp, "runner"),
	}
	must(t, os.MkdirAll(ctxs["runner.temp"], 0o755))
	for name, in := range a.Inputs {
		v, ok := inputs[name]
		if !ok {
			v = in.Default
		}
		ctxs["inputs."+name] = v
	}
	expr := regexp.MustCompile(`\$\{\{\s*([a-z._-]+)\s*\}\}`)
	fill := func(s string) string {
		return expr.ReplaceAllStringFunc(s, func(m string) string {
			key := expr.FindStringSubmatch(m)[1]
			v, ok := ctxs[key]
			if !ok {
				t.Fatalf("action.yml uses ${{ %s }}, which this test does not provide", key)
			}
			return v
		})
	}
	var res actionRun
	var stdout bytes.Buffer
	for _, step := range a.Runs.Steps {
		if step.Run == "" {
			continue // a uses: step, such as setup-go; Go is on this machine
		}
		if strings.Contains(step.Run, "${{") {
			t.Errorf("step %q interpolates an expression into its script; pass it through env instead", step.Name)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
		x := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step.Run)
		x.Dir = fill(step.WorkingDirectory)
		x.Env = append(os.Environ(),
			"GITHUB_ACTIONS=true", "CI=true",
			"GITHUB_EVENT_NAME="+event, "GITHUB_EVENT_PATH="+eventPath,
			"GITHUB_WORKSPACE="+workspace, "GITHUB_OUTPUT="+outputPath,
			"GITHUB_STEP_SUMMARY="+summaryPath, "RUNNER_TEMP="+ctxs["runner.temp"],
			"GITHUB_ACTION_PATH="+root)
		for k, v := range step.Env {
			x.Env = append(x.Env, k+"="+fill(v))
		}
		var errb bytes.Buffer
		x.Stdout, x.Stderr = &stdout, &errb
		err := x.Run()
		cancel()
		if ee, ok := err.(*exec.ExitError); ok {
			res.code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("step %q: %v", step.Name, err)
		}
		if res.code != 0 {
			if res.code != 1 {
				t.Logf("step %q exited %d: %s", step.Name, res.code, errb.Bytes())
			}
			break
		}
	}
	res.stdout = stdout.Bytes()
	res.outputs = map[string]string{}
	if data, err := os.ReadFile(outputPath); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				res.outputs[k] = v
			}
		}
	}
	res.summary, _ = os.ReadFile(summaryPath)
	if p := res.outputs["sarif"]; p != "" {
		res.sarif, err = os.ReadFile(filepath.Join(workspace, p))
		must(t, err)
	}
	return res
}

func TestActionDefinition(t *testing.T) {
	a := readAction(t)
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using = %q; want composite", a.Runs.Using)
	}
	setup := false
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/setup-go@") && strings.Contains(s.With["go-version-file"], "go.mod") {
			setup = true
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("step %q has no shell, which composite actions require", s.Name)
		}
	}
	if !setup {
		t.Errorf("no actions/setup-go step with go-version-file from go.mod")
	}
	// Every scan ends dtleaks' flags with "--" before the path input, so a
	// path that starts with "-" is a path, not a flag (issue 11).
	scans := 0
	for _, s := range a.Runs.Steps {
		for _, line := range strings.Split(s.Run, "\n") {
			if strings.Contains(line, `"$DTLEAKS_BIN" "${cmd[@]}"`) {
				scans++
				if !strings.Contains(line, ` -- "$INPUT_PATH"`) {
					t.Errorf("step %q runs dtleaks without \"--\" before the path: %s", s.Name, strings.TrimSpace(line))
				}
			}
		}
	}
	if scans == 0 {
		t.Errorf("no step runs a dtleaks scan")
	}
	// The build is cached, keyed on dtleaks' go.sum (issue 12).
	cached := false
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/cache@") && strings.Contains(s.With["key"], "steps.gocache.outputs.key") {
			cached = true
		}
		if s.ID == "gocache" && !strings.Contains(s.Run, "go.sum") {
			t.Errorf("the cache key step does not hash go.sum")
		}
	}
	if !cached {
		t.Errorf("no actions/cache step keyed on the gocache step's key")
	}
	for _, in := range []string{"mode", "path", "args", "fail-on-findings", "sarif"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("no input %q", in)
		}
	}
	for _, out := range []string{"findings", "sarif"} {
		if !strings.Contains(a.Outputs[out].Value, "steps.scan.outputs."+out) {
			t.Errorf("output %q = %q; want it from the scan step", out, a.Outputs[out].Value)
		}
	}
}

// sarifLog is what the Action tests read of a SARIF report.
type sarifLog struct {
	Runs []struct {
		Results []struct {
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
						EndColumn int `json:"endColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

func TestActionRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dtleaks through the action and runs it on several repositories")
	}
	g := tokentest.New(40)
	leaked, kept := g.Token("dt0c01"), g.Token("dt0s16")
	ws := t.TempDir()
	git(t, ws, "init", "-q", "-b", "main")
	c1 := commit(t, ws, "start", map[string]*string{"README": str("hello\n")})
	c2 := commit(t, ws, "add config", map[string]*string{"app.env": str("DT_API_TOKEN=" + leaked.Text + "\n")})
	// The token leaves app.env, which stays with unrelated code on line 1:
	// no report may point at that line.
	c3 := commit(t, ws, "token from the environment", map[string]*string{"app.env": str("DT_API_TOKEN=${DT_API_TOKEN:?}\n")})
	c4 := commit(t, ws, "docs", map[string]*string{"docs/notes.md": str("nothing\n")})
	toks := []tokentest.Token{leaked, kept}
	historyURI := ".git/dtleaks/commit/" + c2 + "/app.env"

	// A clone of depth 1, as actions/checkout makes by default.
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, ws, "clone", "-q", "--depth", "1", "file://"+ws, shallow)
	const gone = "0123456789abcdef0123456789abcdef01234567" // overwritten by a force-push

	cases := []struct {
		name     string
		ws       string
		event    string
		payload  any
		inputs   map[string]string
		code     int
		findings string
		sarif    int    // results in the SARIF: every token in history
		warning  string // a ::warning that must be printed
	}{
		{"push with the leak", ws, "push", map[string]string{"before": c1, "after": c4}, nil, 1, "1", 1, ""},
		{"push after the leak", ws, "push", map[string]string{"before": c3, "after": c4}, nil, 0, "0", 1, ""},
		{"new branch", ws, "push", map[string]any{"before": strings.Repeat("0", 40), "after": c4, "created": true}, nil, 1, "1", 1, ""},
		{"force-push", ws, "push", map[string]any{"before": gone, "after": c4, "forced": true}, nil, 1, "1", 1, "fetch-depth: 0"},
		{"shallow checkout", shallow, "push", map[string]string{"before": c3, "after": c4}, nil, 0, "0", 0, "shallow"},
		{"pull request with the leak", ws, "pull_request", map[string]any{"pull_request": map[string]any{"base": map[string]string{"sha": c1}, "head": map[string]string{"sha": c3}}}, nil, 1, "1", 1, ""},
		{"pull request without it", ws, "pull_request", map[string]any{"pull_request": map[string]any{"base": map[string]string{"sha": c2}, "head": map[string]string{"sha": c4}}}, nil, 0, "0", 1, ""},
		{"manual run", ws, "workflow_dispatch", map[string]any{"inputs": map[string]string{}}, nil, 1, "1", 1, ""},
		{"findings do not fail", ws, "workflow_dispatch", map[string]any{}, map[string]string{"fail-on-findings": "false"}, 0, "1", 1, ""},
		{"explicit range", ws, "workflow_dispatch", map[string]any{}, map[string]string{"mode": c3 + ".." + c4}, 0, "0", 1, ""},
		{"scan mode", ws, "workflow_dispatch", map[string]any{}, map[string]string{"mode": "scan"}, 0, "0", 0, ""},
		{"bad mode", ws, "workflow_dispatch", map[string]any{}, map[string]string{"mode": "everything"}, 2, "", 0, ""},
		{"failing scan", ws, "workflow_dispatch", map[string]any{}, map[string]string{"args": "--baseline nosuch.json"}, 2, "", 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runAction(t, c.ws, c.event, c.payload, c.inputs)
			if r.code != c.code || r.outputs["findings"] != c.findings {
				t.Fatalf("exit %d, findings output %q; want %d and %q\nstdout: %s", r.code, r.outputs["findings"], c.code, c.findings, r.stdout)
			}
			for name, out := range map[string][]byte{"stdout": r.stdout, "summary": r.summary, "sarif": r.sarif} {
				if where, leak := tokentest.Leak(out, toks...); leak {
					t.Errorf("%s holds a %s", name, where)
				}
			}
			if c.warning != "" && (!bytes.Contains(r.stdout, []byte("::warning ")) || !bytes.Contains(r.stdout, []byte(c.warning))) {
				t.Errorf("no ::warning saying %q in stdout:\n%s", c.warning, r.stdout)
			}
			if c.warning == "" && bytes.Contains(r.stdout, []byte("::warning ")) {
				t.Errorf("an unexpected warning in stdout:\n%s", r.stdout)
			}
			if bytes.Contains(r.stdout, []byte("file=app.env")) {
				t.Errorf("an annotation on app.env, whose line 1 no longer holds the token:\n%s", r.stdout)
			}
			if c.findings == "1" {
				if !bytes.Contains(r.stdout, []byte("::error title=Dynatrace token leaked (classic-access-token)::app.env:1:14 in history")) {
					t.Errorf("no annotation naming app.env:1:14 in history in stdout:\n%s", r.stdout)
				}
				if !bytes.Contains(r.summary, []byte(leaked.ID)) {
					t.Errorf("job summary lacks %s", leaked.ID)
				}
			}
			if c.code >= 2 {
				// A failed run: an error annotation, no output, no report.
				if !bytes.Contains(r.stdout, []byte("::error title=dtleaks")) {
					t.Errorf("no error annotation in %s", r.stdout)
				}
				// The Action's own outputs; the cache step's key and
				// directories are set before any scan, whatever it finds.
				for _, out := range []string{"findings", "sarif"} {
					if v, ok := r.outputs[out]; ok {
						t.Errorf("a failed run set output %s=%q", out, v)
					}
				}
				if _, err := os.Stat(filepath.Join(c.ws, "dtleaks.sarif")); !os.IsNotExist(err) {
					t.Errorf("a failed run left dtleaks.sarif behind (%v)", err)
				}
				return
			}
			if r.outputs["sarif"] != "dtleaks.sarif" {
				t.Fatalf("sarif output %q; want dtleaks.sarif", r.outputs["sarif"])
			}
			var log sarifLog
			if err := json.Unmarshal(r.sarif, &log); err != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != c.sarif {
				t.Fatalf("SARIF output: %v; want one run with %d results (every token in history)\n%s", err, c.sarif, r.sarif)
			}
			for _, res := range log.Runs[0].Results {
				if u := res.Locations[0].PhysicalLocation.ArtifactLocation.URI; u != historyURI {
					t.Errorf("SARIF result at %q; want %q, the file as commit %s holds it", u, historyURI, c2)
				}
			}
		})
	}

	// A token on another branch is not in the history of the scanned
	// commit: the SARIF of a push to main does not report it.
	git(t, ws, "checkout", "-q", "-b", "other")
	commit(t, ws, "elsewhere", map[string]*string{"other.env": str("DT_API_TOKEN=" + kept.Text + "\n")})
	git(t, ws, "checkout", "-q", "main")
	r := runAction(t, ws, "push", map[string]string{"before": c3, "after": c4}, nil)
	var log sarifLog
	must(t, json.Unmarshal(r.sarif, &log))
	if r.code != 0 || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
		t.Errorf("push to main beside another branch's token: exit %d, SARIF %s; want 0 and the one token of main's history", r.code, r.sarif)
	}

	// A token at HEAD is annotated and uploaded on its file and line.
	c5 := commit(t, ws, "new settings", map[string]*string{"conf/k.env": str("# settings\nDT_API_TOKEN=" + kept.Text + "\n")})
	r = runAction(t, ws, "push", map[string]string{"before": c4, "after": c5}, nil)
	if r.code != 1 || r.outputs["findings"] != "1" || !bytes.Contains(r.stdout, []byte("::error file=conf/k.env,line=2,col=14,")) {
		t.Fatalf("token at HEAD: exit %d, findings %q; want 1, 1 and an annotation on conf/k.env:2:14\n%s", r.code, r.outputs["findings"], r.stdout)
	}
	log = sarifLog{}
	must(t, json.Unmarshal(r.sarif, &log))
	got := map[string]int{}
	for _, res := range log.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		got[pl.ArtifactLocation.URI] = pl.Region.StartLine
	}
	if len(got) != 2 || got["conf/k.env"] != 2 || got[historyURI] != 1 {
		t.Errorf("SARIF locations %v; want conf/k.env line 2 and %s line 1", got, historyURI)
	}
}
