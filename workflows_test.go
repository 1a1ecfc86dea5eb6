package roster_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestWorkflowsPinActions checks that every third-party action the repository's
// and the example workflows use is pinned to a full commit SHA with the
// version in a comment, so a moved tag cannot change what runs with the
// workflows' credentials. roster's own Action may be referenced by tag.
func TestWorkflowsPinActions(t *testing.T) {
	t.Parallel()
	var files []string
	for _, glob := range []string{".github/workflows/*.yml", "examples/workflows/*.yml"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, filepath.FromSlash(glob)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no workflows found")
	}
	uses := regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllSubmatch(data, -1) {
			ref, comment := string(m[1]), strings.TrimSpace(string(m[2]))
			switch {
			case strings.HasPrefix(ref, "./"), strings.HasPrefix(ref, "roster-dev/roster@"):
			case !pinned.MatchString(ref):
				t.Errorf("%s: %s is not pinned to a full commit SHA", filepath.Base(f), ref)
			case !regexp.MustCompile(`^# v\d+`).MatchString(comment):
				t.Errorf("%s: %s has no '# vX.Y.Z' comment naming the pinned version", filepath.Base(f), ref)
			}
		}
	}
}

// TestWorkflowPermissionsAreExplicit checks that every workflow states its
// token permissions, so none runs with the repository's default (possibly
// write-all) token.
func TestWorkflowPermissionsAreExplicit(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(repoRoot, ".github", "workflows", "release.yml"))
	for _, f := range files {
		var wf struct {
			On          any `yaml:"on"`
			Permissions any `yaml:"permissions"`
			Jobs        map[string]struct {
				Permissions any `yaml:"permissions"`
			} `yaml:"jobs"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if wf.Permissions == nil {
			t.Errorf("%s: no top-level permissions:", filepath.Base(f))
		}
		for name, job := range wf.Jobs {
			if job.Permissions == nil {
				t.Errorf("%s: job %s states no permissions:", filepath.Base(f), name)
			}
		}
		if triggers(wf.On)["pull_request_target"] {
			t.Errorf("%s: runs on pull_request_target, which gives a pull request's code the base repository's secrets and write token", filepath.Base(f))
		}
	}
}

// triggers returns the event names of a workflow's on: value, which may be a
// string, a list or a map.
func triggers(on any) map[string]bool {
	events := map[string]bool{}
	switch on := on.(type) {
	case string:
		events[on] = true
	case []any:
		for _, e := range on {
			if s, ok := e.(string); ok {
				events[s] = true
			}
		}
	case map[string]any:
		for e := range on {
			events[e] = true
		}
	}
	return events
}
