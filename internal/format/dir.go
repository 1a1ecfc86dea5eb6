package format

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
)

// File is one file of an access tree and its canonical form.
type File struct {
	// Path is the file's path, as found under the directory given to Dir.
	Path      string
	Kind      Kind
	Original  []byte
	Formatted []byte
}

// Changed reports whether formatting changes the file.
func (f *File) Changed() bool { return !bytes.Equal(f.Original, f.Formatted) }

// Dir formats every file of the access tree dir in memory: roster.yaml,
// and in each environment folder environment.yaml and every manifest
// (*.yaml and *.yml in any subfolder; names starting with "." are skipped,
// as the loader skips them). Files are in path order. A file that cannot
// be parsed is an error naming it; the others are still returned.
func Dir(dir string) ([]*File, error) {
	var files []*File
	var errs []error
	add := func(path string, k Kind) {
		data, err := os.ReadFile(path) //nolint:gosec // the user names the directory
		if err != nil {
			errs = append(errs, err)
			return
		}
		out, err := Source(k, data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			return
		}
		files = append(files, &File{Path: path, Kind: k, Original: data, Formatted: out})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case !e.IsDir() && name == manifest.ConfigFile:
			add(filepath.Join(dir, name), Config)
		case e.IsDir():
			err := filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				base := d.Name()
				if strings.HasPrefix(base, ".") && p != filepath.Join(dir, name) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() || !d.Type().IsRegular() || !isYAML(base) {
					return nil
				}
				k := Manifest
				if filepath.Dir(p) == filepath.Join(dir, name) && base == manifest.EnvironmentFile {
					k = Environment
				}
				add(p, k)
				return nil
			})
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	slices.SortFunc(files, func(a, b *File) int { return strings.Compare(a.Path, b.Path) })
	return files, errors.Join(errs...)
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// Write rewrites the file with its canonical form, keeping its mode.
func (f *File) Write() error {
	info, err := os.Stat(f.Path)
	if err != nil {
		return err
	}
	return os.WriteFile(f.Path, f.Formatted, info.Mode().Perm())
}
