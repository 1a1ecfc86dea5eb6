package engine

import (
	"path"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
)

// Touched is the scope of a change: it maps changed files
// (slash-separated, relative to the repository root) to the environments
// whose folders under dir hold them, which a pull request's plan covers.
// all is true
// when a file under dir lies outside every environment folder (roster.yaml,
// or a folder that is not an environment), which may change any
// environment's plan. Files outside dir change no plan.
func Touched(repo *manifest.Repository, dir string, files []string) (names []string, all bool) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	if dir == "." {
		prefix = ""
	}
	for _, f := range files {
		rel, ok := strings.CutPrefix(path.Clean(f), prefix)
		if !ok {
			continue
		}
		env, _, inFolder := strings.Cut(rel, "/")
		if !inFolder || repo.Environment(env) == nil {
			return nil, true
		}
		if !slices.Contains(names, env) {
			names = append(names, env)
		}
	}
	return names, false
}
