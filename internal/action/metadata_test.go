package action

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// readRepoFile returns a file of the repository (whose root is two folders
// up from this package) as text.
func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// actionMetadata is the part of action.yml this package checks.
type actionMetadata struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
		Required    bool    `yaml:"required"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

// TestActionMetadataIsDocumented keeps action.yml and docs/action.md in step:
// every input and output has a description and a row in the reference, and
// the reference documents nothing the Action does not declare.
func TestActionMetadataIsDocumented(t *testing.T) {
	t.Parallel()
	var meta actionMetadata
	if err := yaml.Unmarshal([]byte(readRepoFile(t, "action.yml")), &meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if meta.Runs.Using != "docker" || meta.Runs.Image != "Dockerfile" {
		t.Errorf("action.yml runs %q image %q, want docker with the repository's Dockerfile", meta.Runs.Using, meta.Runs.Image)
	}
	doc := readRepoFile(t, "docs/action.md")
	documented := func(section string) []string {
		start := strings.Index(doc, "\n## "+section+"\n")
		if start < 0 {
			t.Fatalf("docs/action.md has no %q section", section)
		}
		body := doc[start+len(section)+5:]
		if end := strings.Index(body, "\n#"); end >= 0 {
			body = body[:end]
		}
		var names []string
		for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|").FindAllStringSubmatch(body, -1) {
			names = append(names, m[1])
		}
		slices.Sort(names)
		return names
	}
	var inputs, outputs []string
	for name, in := range meta.Inputs {
		inputs = append(inputs, name)
		if strings.TrimSpace(in.Description) == "" {
			t.Errorf("action.yml: input %s has no description", name)
		}
		if in.Default == nil && !in.Required {
			t.Errorf("action.yml: optional input %s has no default", name)
		}
	}
	for name, out := range meta.Outputs {
		outputs = append(outputs, name)
		if strings.TrimSpace(out.Description) == "" {
			t.Errorf("action.yml: output %s has no description", name)
		}
	}
	slices.Sort(inputs)
	slices.Sort(outputs)
	if diff := cmp.Diff(inputs, documented("Inputs")); diff != "" {
		t.Errorf("inputs: action.yml (-) vs docs/action.md (+):\n%s", diff)
	}
	if diff := cmp.Diff(outputs, documented("Outputs")); diff != "" {
		t.Errorf("outputs: action.yml (-) vs docs/action.md (+):\n%s", diff)
	}
}
