package action

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
)

func writePlanFile(t *testing.T, name string, envs ...string) {
	t.Helper()
	p := &plan.Plan{}
	for _, e := range envs {
		p.Environments = append(p.Environments, &plan.Environment{Name: e, AccountID: "111122223333", Digest: "sha256:" + e})
	}
	var b bytes.Buffer
	if err := render.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadPlanDir(t *testing.T) {
	t.Parallel()
	repo := &manifest.Repository{Environments: []*manifest.Environment{{Name: "development"}, {Name: "staging"}, {Name: "production"}}}
	tests := []struct {
		name    string
		files   map[string][]string
		want    []string
		wantErr string
	}{
		{
			name:  "promotion order whatever the file names",
			files: map[string][]string{"a.json": {"production"}, "b.json": {"development"}, "c.json": {"staging"}},
			want:  []string{"development", "staging", "production"},
		},
		{
			name:  "artifacts downloaded into one folder each",
			files: map[string][]string{"plan-production/plan.json": {"production"}, "plan-development/plan.json": {"development"}},
			want:  []string{"development", "production"},
		},
		{
			name:  "unknown environments last, alphabetically",
			files: map[string][]string{"a.json": {"zeta", "production", "alpha"}},
			want:  []string{"production", "alpha", "zeta"},
		},
		{
			name:    "an environment planned twice",
			files:   map[string][]string{"a.json": {"production"}, "b.json": {"production"}},
			wantErr: "planned in both",
		},
		{name: "no plans", wantErr: "no plan JSON files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, envs := range tt.files {
				writePlanFile(t, filepath.Join(dir, filepath.FromSlash(name)), envs...)
			}
			p, err := readPlanDir(dir, repo)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("readPlanDir() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range p.Environments {
				got = append(got, e.Name)
				if e.Digest != "sha256:"+e.Name {
					t.Errorf("%s: digest %q was not kept", e.Name, e.Digest)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("environments (-want +got):\n%s", diff)
			}
		})
	}
}
