package roster_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestThreatModelNamesRealTests binds docs/design.md's threat model table to
// the code: every test it names as proof exists, in the package it names
// (internal/action when unqualified, or the repository root).
func TestThreatModelNamesRealTests(t *testing.T) {
	t.Parallel()
	doc := readRepoFile(t, "docs/design.md")
	start := strings.Index(doc, "### Threat model, as tested")
	if start < 0 {
		t.Fatal("docs/design.md has no threat model section")
	}
	section := doc[start:]
	if end := strings.Index(section[1:], "\n### "); end >= 0 {
		section = section[:end+1]
	}
	names := regexp.MustCompile("`(?:([a-z]+)\\.)?(Test[A-Za-z0-9_]+)`").FindAllStringSubmatch(section, -1)
	if len(names) < 10 {
		t.Fatalf("the threat model names %d tests; want every row proven", len(names))
	}
	for _, m := range names {
		dirs := []string{filepath.Join("internal", "action"), "."}
		if m[1] != "" {
			dirs = []string{filepath.Join("internal", m[1])}
		}
		if !definedIn(t, dirs, m[2]) {
			t.Errorf("docs/design.md's threat model names %s, which is not a test in %v", m[0], dirs)
		}
	}
}

// definedIn reports whether a _test.go file directly in one of dirs
// defines the test function name.
func definedIn(t *testing.T, dirs []string, name string) bool {
	t.Helper()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "\nfunc "+name+"(t *testing.T)") {
				return true
			}
		}
	}
	return false
}
