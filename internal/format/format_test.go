package format_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/format"
	"github.com/roster-dev/roster/internal/golden"
)

// TestSourceGolden formats one file of each kind and compares the result
// with its golden file; formatting the result again must change nothing.
func TestSourceGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		kind format.Kind
	}{
		{"manifest", format.Manifest},
		{"environment", format.Environment},
		{"roster", format.Config},
		{"aliases", format.Manifest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", c.name+".in.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := format.Source(c.kind, in)
			if err != nil {
				t.Fatal(err)
			}
			golden.File(t, c.name+".golden.yaml", got)
			again, err := format.Source(c.kind, got)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(got), string(again)); diff != "" {
				t.Errorf("formatting twice changes the file (-once +twice):\n%s", diff)
			}
			// Every comment of the input survives, word for word.
			for _, line := range strings.Split(string(in), "\n") {
				if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(line, `"#`) {
					if c := strings.TrimSpace(line[i:]); !strings.Contains(string(got), c) {
						t.Errorf("comment %q lost", c)
					}
				}
			}
		})
	}
}

// TestSourceKeepsValues checks that formatting changes no value: the
// document decodes to the same data before and after, apart from order.
func TestSourceKeepsValues(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"nothing to do":       "groups:\n  - name: a\n",
		"empty":               "",
		"only comments":       "# nothing here\n",
		"not a mapping":       "- a\n- b\n",
		"flow root":           "{users: [{name: b}, {name: a}]}\n",
		"multi-line flow":     "users:\n  - name: a\n    groups: [b,\n      a]\n",
		"quoted commas":       "users:\n  - name: a\n    tags: { b: \"x, y\", a: 'it''s' }\n",
		"dash on its own":     "users:\n  -\n    path: /p/\n    name: a\n",
		"indentless":          "users:\n- name: b\n- name: a\n",
		"deep indent":         "users:\n      -   name: b\n          path: /x/\n      -   name: a\n",
		"crlf":                "users:\r\n  - name: b\r\n  - name: a\r\n",
		"comment after flow":  "users:\n  - name: a\n    groups: [z, y] # two\n",
		"block scalar blanks": "users:\n  - pgp_key: |\n      a\n\n      b\n    name: x\n",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := format.Source(format.Manifest, []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			again, err := format.Source(format.Manifest, got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, again) {
				t.Errorf("not idempotent:\n--- once\n%s--- twice\n%s", got, again)
			}
			if name == "not a mapping" || name == "flow root" || name == "empty" {
				if string(got) != in {
					t.Errorf("changed a file it should leave alone:\n%s", got)
				}
			}
			if diff := cmp.Diff(canonical(t, in), canonical(t, string(got))); diff != "" {
				t.Errorf("values changed (-before +after):\n%s\n%s", diff, got)
			}
		})
	}
}

func TestSourceErrors(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"bad yaml":      "users: [\n",
		"two documents": "users: []\n---\ngroups: []\n",
	} {
		if _, err := format.Source(format.Manifest, []byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestSourceQuotesDates: an unquoted date is a timestamp to most YAML
// parsers, and so an error to an editor checking the file against the JSON
// Schema; fmt quotes it, keeping everything else on the line.
func TestSourceQuotesDates(t *testing.T) {
	t.Parallel()
	cases := map[string]struct{ in, want string }{
		"expires": {
			"users:\n  - name: a\n    expires: 2027-03-31 # last day\n",
			"users:\n  - name: a\n    expires: \"2027-03-31\" # last day\n",
		},
		"policy version in flow": {
			"groups:\n  - name: g\n    inline_policies:\n      p: {Version: 2012-10-17, Statement: [{Effect: Allow, Action: \"s3:*\", Resource: \"*\"}]}\n",
			"groups:\n  - name: g\n    inline_policies:\n      p: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Action: \"s3:*\", Resource: \"*\"}]}\n",
		},
		"two on a line": {
			"users:\n  - name: a\n    tags: {from: 2026-01-01, to: 2027-03-31}\n",
			"users:\n  - name: a\n    tags: {from: \"2026-01-01\", to: \"2027-03-31\"}\n",
		},
		"already quoted": {
			"users:\n  - name: a\n    expires: '2027-03-31'\n",
			"users:\n  - name: a\n    expires: '2027-03-31'\n",
		},
		"not a date": {
			"users:\n  - name: a\n    tags: {build: 2027-03-31x}\n",
			"users:\n  - name: a\n    tags: {build: 2027-03-31x}\n",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := format.Source(format.Manifest, []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
