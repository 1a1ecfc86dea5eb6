package approval

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/golden"
)

// exampleEnvs are the bundled example's environments in promotion order:
// only staging and production require approvals.
var exampleEnvs = []Owners{
	{Dir: "access/development"},
	{Dir: "access/testing"},
	{Dir: "access/staging", Rule: Rule{Required: 1, Reviewers: []string{"example-corp/platform"}}},
	{Dir: "access/production", Rule: Rule{Required: 2, Reviewers: []string{"octocat", "example-corp/iam-admins"}}},
}

func TestUpdateCodeowners(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string
	}{
		{"new", ""},
		{"keeps-other-rules", "# Platform owns everything by default.\n* @example-corp/platform\n/docs/ @octocat\n"},
		{"moves-stale-block-last", "* @example-corp/platform\n\n" + BlockBegin + "\n/access/production/ @mallory\n" + BlockEnd + "\n/access/ @mallory\n"},
		{"crlf", "* @example-corp/platform\r\n" + BlockBegin + "\r\n/access/production/ @octocat\r\n" + BlockEnd + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := UpdateCodeowners(tt.existing, exampleEnvs)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "codeowners", tt.name+".golden"), got)
			if err := CheckCodeowners(got, exampleEnvs); err != nil {
				t.Errorf("the updated file does not pass the check: %v", err)
			}
			again, err := UpdateCodeowners(got, exampleEnvs)
			if err != nil || again != got {
				t.Errorf("a second update changes the file (err %v):\n%s", err, again)
			}
		})
	}
}

func TestCheckCodeowners(t *testing.T) {
	t.Parallel()
	current, err := UpdateCodeowners("* @example-corp/platform\n", exampleEnvs)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		existing string
		want     string // a fragment of the error; empty means up to date
		stale    bool
	}{
		{"up to date", current, "", false},
		{"up to date, comments after", current + "\n# end of file\n", "", false},
		{"up to date with CRLF", strings.ReplaceAll(current, "\n", "\r\n"), "", false},
		{"missing", "* @example-corp/platform\n", "has no roster block", true},
		{"empty file", "", "has no roster block", true},
		{"attack: reviewers edited by hand", strings.Replace(current, "@octocat", "@mallory", 1), "line 3: the block differs", true},
		{"attack: a rule after the block wins over it", current + "/access/production/ @mallory\n", "line 7: a rule after the roster block", true},
		{"environment gained approvals", strings.Replace(current, "/access/staging/ @example-corp/platform\n", "", 1), "the block differs", true},
		{"two blocks", current + BlockBegin + "\n" + BlockEnd + "\n", "a second roster block", false},
		{"no end", BlockBegin + "\n/access/production/ @octocat\n", "never ends", false},
		{"end without beginning", BlockEnd + "\n", "without its beginning", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckCodeowners(tt.existing, exampleEnvs)
			if tt.want == "" {
				if err != nil {
					t.Errorf("CheckCodeowners: %v, want up to date", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrCodeownersStale) != tt.stale {
				t.Errorf("CheckCodeowners: %v, want an error saying %q (stale: %v)", err, tt.want, tt.stale)
			}
		})
	}
}

func TestCodeownersBlockRefusesWhatCodeownersCannotSay(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"access/prod #1", "access/prod uction", "access/*", "access/../x", "", "access/[a]"} {
		_, err := CodeownersBlock([]Owners{{Dir: dir, Rule: Rule{Required: 1, Reviewers: []string{"octocat"}}}})
		if err == nil {
			t.Errorf("CodeownersBlock(%q) succeeded, want an error", dir)
		}
	}
	if _, err := CodeownersBlock([]Owners{{Dir: "access/production", Rule: Rule{Required: 1, Reviewers: []string{"not/A team"}}}}); err == nil || !strings.Contains(err.Error(), "access/production") {
		t.Errorf("a bad reviewer: %v, want an error naming the environment", err)
	}
}
