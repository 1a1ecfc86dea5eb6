package manifest_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
)

// Where FuzzLoad puts the fuzzed bytes.
const (
	fuzzManifest    = iota // access/production/people.yaml
	fuzzEnvironment        // access/production/environment.yaml
	fuzzConfig             // access/roster.yaml
	fuzzModes
)

// FuzzLoad writes arbitrary bytes as a manifest, an environment.yaml or a
// roster.yaml into an otherwise valid tree and loads it: the loader must
// never panic, must report every finding with a file and a line, and must
// return a repository exactly when there is no error.
func FuzzLoad(f *testing.F) {
	for _, root := range []string{filepath.Join("testdata", "bad"), filepath.Join("testdata", "good")} {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !e.Type().IsRegular() {
				return err
			}
			name := e.Name()
			if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil || len(data) > 64<<10 {
				return err
			}
			mode := uint8(fuzzManifest)
			switch name {
			case manifest.EnvironmentFile:
				mode = fuzzEnvironment
			case manifest.ConfigFile:
				mode = fuzzConfig
			}
			f.Add(data, mode)
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		files := map[string]string{
			"production/environment.yaml": `account_id: "111122223333"` + "\n",
			"production/people.yaml":      "groups:\n  - name: developers\nusers:\n  - name: alice\n    groups: [developers]\n",
		}
		switch mode % fuzzModes {
		case fuzzManifest:
			files["production/team/fuzz.yaml"] = string(data)
		case fuzzEnvironment:
			files["production/environment.yaml"] = string(data)
		case fuzzConfig:
			files["roster.yaml"] = string(data)
		}
		dir := writeTree(t, files)
		repo, diags := manifest.Load(dir, manifest.WithClock(clock))
		for _, d := range diags {
			if d.File == "" || d.Line < 1 {
				t.Errorf("finding without file and line: %+v", d)
			}
			if d.Rule == "" || d.Message == "" {
				t.Errorf("finding without rule or message: %+v", d)
			}
		}
		if (repo == nil) != diags.HasErrors() {
			t.Errorf("repository nil = %v, but errors = %v: %v", repo == nil, diags.HasErrors(), diags)
		}
		repo2, diags2 := manifest.Load(dir, manifest.WithClock(clock))
		if diff := cmp.Diff(diags, diags2); diff != "" {
			t.Errorf("a second Load reports differently (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(repo, repo2); diff != "" {
			t.Errorf("a second Load loads differently (-first +second):\n%s", diff)
		}
	})
}
