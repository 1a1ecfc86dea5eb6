package request

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

var now = time.Date(2026, 12, 3, 9, 30, 15, 0, time.UTC)

// The issue form in examples/ parses as YAML, applies IssueLabel, and has
// exactly the fields Parse reads, each required.
func TestIssueFormMatchesParse(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../examples/.github/ISSUE_TEMPLATE/access-request.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The keys of GitHub's issue form syntax; any other key is an error.
	var form struct {
		Name        string   `yaml:"name"`
		Description string   `yaml:"description"`
		Title       string   `yaml:"title"`
		Labels      []string `yaml:"labels"`
		Assignees   []string `yaml:"assignees"`
		Projects    []string `yaml:"projects"`
		Body        []struct {
			Type       string `yaml:"type"`
			ID         string `yaml:"id"`
			Attributes struct {
				Label       string   `yaml:"label"`
				Description string   `yaml:"description"`
				Placeholder string   `yaml:"placeholder"`
				Value       string   `yaml:"value"`
				Options     []string `yaml:"options"`
				Multiple    bool     `yaml:"multiple"`
				Render      string   `yaml:"render"`
			} `yaml:"attributes"`
			Validations struct {
				Required bool `yaml:"required"`
			} `yaml:"validations"`
		} `yaml:"body"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&form); err != nil {
		t.Fatalf("the form does not parse: %v", err)
	}
	if form.Name == "" || form.Description == "" || !slices.Contains(form.Labels, IssueLabel) {
		t.Errorf("form name %q, description %q, labels %v: GitHub needs name and description; want label %s", form.Name, form.Description, form.Labels, IssueLabel)
	}
	var got []string
	for _, f := range form.Body {
		if f.Type == "markdown" {
			continue
		}
		if !f.Validations.Required || f.ID == "" {
			t.Errorf("field %q: want an id and required: true", f.Attributes.Label)
		}
		got = append(got, f.Attributes.Label)
	}
	want := []string{LabelEnvironment, LabelUser, LabelGroups, LabelDuration, LabelReason}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("form field labels (-Parse reads +form has):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body   string
		want         Form
		wantProblems int
	}{
		{"form", "### Environment\n\nproduction\n\n### IAM user\n\nalice\n\n### Groups\n\nops, prod-operators\nops\n\n### Duration\n\n8h\n\n### Reason\n\nline one\nline two\n",
			Form{Environment: "production", User: "alice", Groups: []string{"ops", "prod-operators"}, Duration: "8h", Reason: "line one\nline two"}, 0},
		{"crlf and no response", "### Environment\r\n\r\nproduction\r\n\r\n### IAM user\r\n\r\nalice\r\n\r\n### Groups\r\n\r\nops\r\n\r\n### Duration\r\n\r\n_No response_\r\n\r\n### Reason\r\n\r\nx",
			Form{Environment: "production", User: "alice", Groups: []string{"ops"}, Reason: "x"}, 1},
		{"blank issue", "please give me admin", Form{}, 5},
		{"repeated heading keeps the first", "### Environment\n\ndevelopment\n\n### IAM user\n\nalice\n\n### Groups\n\nops\n\n### Duration\n\n1\n\n### Reason\n\nx\n\n### Environment\n\nproduction",
			Form{Environment: "development", User: "alice", Groups: []string{"ops"}, Duration: "1", Reason: "x"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, problems := Parse(tt.body)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if len(problems) != tt.wantProblems {
				t.Errorf("problems = %q, want %d", problems, tt.wantProblems)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    manifest.Expiry
		wantErr string
	}{
		{"8h", manifest.At(time.Date(2026, 12, 3, 17, 30, 0, 0, time.UTC)), ""},
		{"8 hours", manifest.At(time.Date(2026, 12, 3, 17, 30, 0, 0, time.UTC)), ""},
		{"1", manifest.At(time.Date(2026, 12, 3, 10, 30, 0, 0, time.UTC)), ""},
		{"2026-12-04", manifest.EndOfDay(time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)), ""},
		{"2026-12-03T18:00:00Z", manifest.At(time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)), ""},
		{"0h", manifest.Expiry{}, "at least one hour"},
		{"2026-12-02", manifest.Expiry{}, "has passed"},
		{"a week", manifest.Expiry{}, "is not a number of hours"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in, now)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseDuration(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
		case got != tt.want:
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Edit adds exactly the entries, keeps comments and the rest of the file,
// and keeps a file that is not canonical as written apart from them.
func TestEdit(t *testing.T) {
	t.Parallel()
	req := &Request{User: "alice", Groups: []string{"b-ops"}, Expires: manifest.At(time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)), File: "production/people.yaml"}
	tests := []struct{ name, src, want string }{
		{"block list, sorted into place",
			"users:\n  # on call\n  - name: alice\n    groups:\n      - a-ops\n      - c-ops # why\n    tags: { team: x }\n  - name: bob\n",
			"users:\n  # on call\n  - name: alice\n    groups:\n      - a-ops\n      - name: b-ops\n        expires: \"2026-12-03T18:00:00Z\"\n      - c-ops # why\n    tags: { team: x }\n  - name: bob\n"},
		{"no groups yet",
			"users:\n  - name: alice\n    tags: { team: x }\n",
			"users:\n  - name: alice\n    groups:\n      - name: b-ops\n        expires: \"2026-12-03T18:00:00Z\"\n    tags: { team: x }\n"},
		{"flow list",
			"users:\n  - name: alice\n    groups: [a-ops] # keep\n",
			"users:\n  - name: alice\n    groups: [a-ops, {name: b-ops, expires: \"2026-12-03T18:00:00Z\"}] # keep\n"},
		{"not canonical: only the entry is added",
			"users:\n- tags: {team: x}\n  name: alice\n  groups:\n  - c-ops\n",
			"users:\n- tags: {team: x}\n  name: alice\n  groups:\n  - c-ops\n  - name: b-ops\n    expires: \"2026-12-03T18:00:00Z\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Edit([]byte(tt.src), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Edit (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := Edit([]byte("users:\n  - name: bob\n"), req); err == nil {
		t.Errorf("Edit of a file without alice: no error")
	}
}

// A membership the user already has with an earlier end is extended in
// place: the expires moves, quoted or not, block or flow, and nothing else
// changes; a request may join one group and extend another.
func TestEditExtends(t *testing.T) {
	t.Parallel()
	end := manifest.At(time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC))
	was := manifest.At(time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC))
	tests := []struct {
		name, src, want string
		groups          []string
	}{
		{"block, quoted", "users:\n  - name: alice\n    groups:\n      - a-ops\n      - name: b-ops\n        expires: \"2026-12-03T18:00:00Z\" # INC-1\n",
			"users:\n  - name: alice\n    groups:\n      - a-ops\n      - name: b-ops\n        expires: \"2026-12-03T22:00:00Z\" # INC-1\n", []string{"b-ops"}},
		{"block, plain", "users:\n- name: alice\n  groups:\n  - name: b-ops\n    expires: 2026-12-03T18:00:00Z\n",
			"users:\n- name: alice\n  groups:\n  - name: b-ops\n    expires: \"2026-12-03T22:00:00Z\"\n", []string{"b-ops"}},
		{"flow", "users:\n  - name: alice\n    groups: [a-ops, {name: b-ops, expires: '2026-12-03T18:00:00Z'}]\n",
			"users:\n  - name: alice\n    groups: [a-ops, {name: b-ops, expires: \"2026-12-03T22:00:00Z\"}]\n", []string{"b-ops"}},
		{"extend one, join another", "users:\n  - name: alice\n    groups:\n      - name: b-ops\n        expires: \"2026-12-03T18:00:00Z\"\n",
			"users:\n  - name: alice\n    groups:\n      - name: b-ops\n        expires: \"2026-12-03T22:00:00Z\"\n      - name: c-ops\n        expires: \"2026-12-03T22:00:00Z\"\n", []string{"b-ops", "c-ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := &Request{User: "alice", Groups: tt.groups, Extends: map[string]manifest.Expiry{"b-ops": was}, Expires: end, File: "production/people.yaml"}
			got, err := Edit([]byte(tt.src), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Edit (-want +got):\n%s", diff)
			}
		})
	}
}

// Check: asking for a group the user is in until earlier extends it; until
// later or for good is refused, saying why.
func TestCheckExtends(t *testing.T) {
	t.Parallel()
	at := func(h int) manifest.Expiry { return manifest.At(time.Date(2026, 12, 3, h, 0, 0, 0, time.UTC)) }
	repo := func() *manifest.Repository {
		alice := &manifest.User{Kind: manifest.Person, Name: "alice", Groups: []string{"ops", "prod-operators"},
			GroupExpires: map[string]manifest.Expiry{"prod-operators": at(18)}, Pos: diag.Pos{File: "access/production/people.yaml", Line: 3}}
		return &manifest.Repository{Dir: "access", Environments: []*manifest.Environment{{
			Name: "production", Users: []*manifest.User{alice},
			Groups: []*manifest.Group{{Name: "ops"}, {Name: "prod-operators"}},
		}}}
	}
	form := func(groups, duration string) Form {
		return Form{Environment: "production", User: "alice", Groups: strings.Split(groups, ","), Duration: duration, Reason: "INC-1"}
	}
	req, problems := Check(repo(), form("prod-operators", "2026-12-03T22:00:00Z"), now)
	if len(problems) > 0 {
		t.Fatalf("extension refused: %q", problems)
	}
	if diff := cmp.Diff(map[string]manifest.Expiry{"prod-operators": at(18)}, req.Extends); diff != "" {
		t.Errorf("Extends (-want +got):\n%s", diff)
	}
	if got, want := req.Summary(), "alice extends prod-operators in production until 2026-12-03 22:00 UTC"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	for _, tt := range []struct{ groups, duration, want string }{
		{"prod-operators", "2026-12-03T17:00:00Z", "alice is already in prod-operators until 2026-12-03 18:00 UTC, which is not before the end asked (2026-12-03 17:00 UTC): there is nothing to extend"},
		{"ops", "8h", "alice is already in ops, without an end"},
	} {
		if _, problems := Check(repo(), form(tt.groups, tt.duration), now); !slices.Contains(problems, tt.want) {
			t.Errorf("Check(%s, %s) problems = %q, want %q", tt.groups, tt.duration, problems, tt.want)
		}
	}
}
