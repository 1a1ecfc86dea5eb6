package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/manifest"
)

func TestReadBase(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"production/environment.yaml": "account_id: \"222222222222\"\nusers: this is not read\n",
		"production/people.yaml": `users:
  - name: alice
    console: true
    pgp_key: not a key the base reader checks
    groups:
      - developers
      - name: prod-operators
        expires: 2026-12-03T18:00:00Z
  - name: bob
    expires: 2027-03-31
  - name: carol
    absent: true
`,
		"production/teams/ci.yml":   "service_accounts:\n  - name: ci\n    owner: platform\n    expires: \"2027-01-01T00:00:00+01:00\"\n    future_field: ignored\n",
		"production/.hidden/x.yaml": "users: [{name: ghost}]\n",
		"production/README.md":      "not a manifest",
		"development/people.yaml":   "users:\n  - name: dave\n",
	})
	got, err := manifest.ReadBase(manifest.DirTree(dir), "base", []string{"production", "staging"})
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	want := map[string][]*manifest.User{"production": {
		{Kind: manifest.Person, Name: "alice", Groups: []string{"developers", "prod-operators"},
			GroupExpires: map[string]manifest.Expiry{"prod-operators": {End: at(2026, 12, 3, 18)}}},
		{Kind: manifest.Person, Name: "bob", Expires: &manifest.Expiry{End: at(2027, 4, 1, 0), Day: true}},
		{Kind: manifest.Person, Name: "carol", Absent: true},
		{Kind: manifest.ServiceAccount, Name: "ci", Expires: &manifest.Expiry{End: at(2026, 12, 31, 23)}},
	}}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(manifest.User{}, "Pos")); diff != "" {
		t.Errorf("ReadBase (-want +got):\n%s", diff)
	}
}

func TestReadBaseRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		link  string // a symbolic link production/link.yaml to this target
		want  string
	}{
		{name: "bad expires", files: map[string]string{"production/a.yaml": "users:\n  - name: alice\n    expires: tomorrow\n"},
			want: "a.yaml:3:14: error: expires must be a date or an RFC 3339 time"},
		{name: "YAML syntax", files: map[string]string{"production/a.yaml": "users: [\n"}, want: "production/a.yaml"},
		{name: "user twice", files: map[string]string{"production/a.yaml": "users: [{name: alice}]\n", "production/b.yaml": "users: [{name: Alice}]\n"},
			want: `production declares user "Alice" twice`},
		{name: "no name", files: map[string]string{"production/a.yaml": "users:\n  - groups: [x]\n"}, want: "a user has no name"},
		{name: "symbolic link", files: map[string]string{"shared.yaml": "users: []\n", "production/a.yaml": "users: []\n"}, link: "../shared.yaml",
			want: "production/link.yaml in base is a symbolic link, which the comparison does not follow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, tt.files)
			if tt.link != "" {
				if err := os.Symlink(tt.link, filepath.Join(dir, "production", "link.yaml")); err != nil {
					t.Fatal(err)
				}
			}
			got, err := manifest.ReadBase(manifest.DirTree(dir), "base", []string{"production"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadBase = %v, %v; want an error containing %q", got, err, tt.want)
			}
		})
	}
}
