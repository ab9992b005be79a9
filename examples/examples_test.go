// Package examples holds the ready-made configurations of the README's
// "Audit an organisation" section; its test checks them.
package examples

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

func readYAML(t *testing.T, name string) any {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		t.Fatalf("%s holds more than one document", name)
	}
	return doc
}

func jobSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/job.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("job.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("job.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shardFlag is how the Job's command picks its shard from the completion
// index, which counts from 0 while shards count from 1.
var shardFlag = regexp.MustCompile(`--shard "\$\(\(JOB_COMPLETION_INDEX \+ 1\)\)/(\d+)"`)

// TestKubernetesJob checks the Indexed Job strictly against the API's
// field names and types, and that its pods cover every shard exactly once.
func TestKubernetesJob(t *testing.T) {
	doc := readYAML(t, "kubernetes/org-audit.yaml")
	if err := jobSchema(t).Validate(doc); err != nil {
		t.Fatalf("org-audit.yaml is not a valid Job: %v", err)
	}
	spec := doc.(map[string]any)["spec"].(map[string]any)
	if spec["completionMode"] != "Indexed" {
		t.Error("completionMode is not Indexed: pods get no completion index")
	}
	completions, parallelism := spec["completions"].(int), spec["parallelism"].(int)
	container := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	script := fmt.Sprint(container["args"])
	m := shardFlag.FindStringSubmatch(script)
	if m == nil {
		t.Fatalf("the command does not pass --shard \"$((JOB_COMPLETION_INDEX + 1))/N\":\n%s", script)
	}
	if n, _ := strconv.Atoi(m[1]); n != completions || parallelism > completions {
		t.Errorf("--shard .../%s with %d completions and parallelism %d: some shards would never run or run twice", m[1], completions, parallelism)
	}
	if !strings.Contains(script, "--format json") || !strings.Contains(script, "--github-org") {
		t.Errorf("the command writes no JSON report of an organisation:\n%s", script)
	}

	// The strict check must catch a misspelt field.
	bad := readYAML(t, "kubernetes/org-audit.yaml").(map[string]any)
	bad["spec"].(map[string]any)["completionmode"] = "Indexed"
	if jobSchema(t).Validate(bad) == nil {
		t.Error("the schema accepts a misspelt field")
	}
}

// TestWorkflow checks that the workflow's matrix runs every shard once, and
// runs actionlint on it when it is installed (.ci/run installs it).
func TestWorkflow(t *testing.T) {
	const name = "github-actions/org-audit.yml"
	doc := readYAML(t, name).(map[string]any)
	shards, _ := strconv.Atoi(fmt.Sprint(doc["env"].(map[string]any)["SHARDS"]))
	matrix := doc["jobs"].(map[string]any)["scan"].(map[string]any)["strategy"].(map[string]any)["matrix"].(map[string]any)["shard"].([]any)
	if len(matrix) != shards {
		t.Errorf("matrix of %d shards, SHARDS=%d", len(matrix), shards)
	}
	for i, k := range matrix {
		if k != i+1 {
			t.Errorf("matrix shard %d is %v, want %d", i+1, k, i+1)
		}
	}
	lint, err := exec.LookPath("actionlint")
	if err != nil {
		t.Skip("actionlint not installed (go install github.com/rhysd/actionlint/cmd/actionlint@latest)")
	}
	if out, err := exec.Command(lint, name).CombinedOutput(); err != nil {
		t.Errorf("actionlint %s: %v\n%s", name, err, out)
	}
}
