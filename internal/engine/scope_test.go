package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
)

func TestTouched(t *testing.T) {
	t.Parallel()
	repo := &manifest.Repository{Environments: []*manifest.Environment{
		{Name: "development"}, {Name: "staging"}, {Name: "production"},
	}}
	tests := []struct {
		name      string
		dir       string
		files     []string
		wantNames []string
		wantAll   bool
	}{
		{name: "one environment", dir: "access", files: []string{"access/production/people.yaml"}, wantNames: []string{"production"}},
		{name: "subfolder", dir: "access", files: []string{"access/staging/teams/a.yaml", "access/staging/b.yaml"}, wantNames: []string{"staging"}},
		{name: "two environments in the order of the files", dir: "access", files: []string{"access/production/a.yaml", "access/development/a.yaml"}, wantNames: []string{"production", "development"}},
		{name: "roster.yaml", dir: "access", files: []string{"access/production/a.yaml", "access/roster.yaml"}, wantAll: true},
		{name: "file outside the access folder", dir: "access", files: []string{"README.md", "access/production/a.yaml"}, wantNames: []string{"production"}},
		{name: "only files outside the access folder", dir: "access", files: []string{"README.md", ".github/workflows/plan.yml"}},
		{name: "folder that is no environment", dir: "access", files: []string{"access/retired/a.yaml"}, wantAll: true},
		{name: "folder with a similar name", dir: "access", files: []string{"access-old/production/a.yaml"}},
		{name: "other file in the access folder", dir: "access", files: []string{"access/README.md"}, wantAll: true},
		{name: "nested access folder", dir: "iam/access", files: []string{"iam/access/development/a.yaml"}, wantNames: []string{"development"}},
		{name: "access folder at the root", dir: ".", files: []string{"development/a.yaml"}, wantNames: []string{"development"}},
		{name: "no files", dir: "access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			names, all := Touched(repo, tt.dir, tt.files)
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("environments (-want +got):\n%s", diff)
			}
			if all != tt.wantAll {
				t.Errorf("all = %v, want %v", all, tt.wantAll)
			}
		})
	}
}
