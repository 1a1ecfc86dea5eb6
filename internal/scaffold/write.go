package scaffold

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/roster-dev/roster/schema"
)

// Role names of deploy/cloudformation/roster-roles.yaml (its PlanRoleName
// and ApplyRoleName defaults).
const (
	DefaultPlanRole  = "roster-plan"
	DefaultApplyRole = "roster-apply"
)

// Options are the settings every environment.yaml gets.
type Options struct {
	// Region is the region roster calls STS in.
	Region string
	// PlanRole and ApplyRole are the role names in every account.
	PlanRole, ApplyRole string
}

// File is one file to write, relative to the access directory.
type File struct {
	Name string
	Data []byte
	// Keep leaves an existing file as it is instead of refusing to write:
	// roster.yaml of a tree that gets one more environment.
	Keep bool
}

// ErrExists is matched by Write's error when a file is already there.
var ErrExists = errors.New("files already exist")

// Files renders roster.yaml and each environment's environment.yaml.
func Files(envs []Environment, o Options) []File {
	names := make([]string, len(envs))
	for i, e := range envs {
		names[i] = e.Name
	}
	files := []File{{Name: "roster.yaml", Data: []byte(fmt.Sprintf(`# yaml-language-server: $schema=%s
# Repository-wide settings (docs/manifests.md), written by roster init.

# Merged changes go out environment by environment in this order and stop at
# the first failure.
order: [%s]
`, schema.Config.URL(), strings.Join(names, ", "))), Keep: true}}
	for _, e := range envs {
		files = append(files, File{Name: filepath.Join(e.Name, "environment.yaml"), Data: environmentYAML(e, o)})
	}
	return files
}

func environmentYAML(e Environment, o Options) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", schema.Environment.URL())
	what := "account " + e.AccountID
	if e.Account != "" {
		what += " (" + comment(e.Account) + ")"
	}
	if e.From != "" && e.From != "--env" {
		what += ", from " + comment(e.From)
	}
	fmt.Fprintf(&b, "# The %s environment: %s.\n", e.Name, what)
	fmt.Fprintf(&b, "# Written by roster init. The roles are those of deploy/cloudformation/roster-roles.yaml:\n# deploy it in this account before the first plan.\n\n")
	fmt.Fprintf(&b, "account_id: %q\n", e.AccountID)
	fmt.Fprintf(&b, "role_arn: arn:aws:iam::%s:role/%s\n", e.AccountID, o.ApplyRole)
	fmt.Fprintf(&b, "plan_role_arn: arn:aws:iam::%s:role/%s\n", e.AccountID, o.PlanRole)
	fmt.Fprintf(&b, "region: %s\n", o.Region)
	fmt.Fprintf(&b, "production: %t\n", e.Production())
	b.WriteString(`
guardrails:
  forbidden_managed_policies:
    - arn:aws:iam::aws:policy/AdministratorAccess
  console_requires_mfa: true
  max_access_key_age_days: 90
  max_deletions: 5
`)
	return []byte(b.String())
}

// comment makes text from AWS safe inside a one-line YAML comment.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// Write writes the files under dir, creating folders, and returns the
// files written and the existing files kept (File.Keep). It never replaces
// a file unless force is set: when any other file exists, nothing is
// written.
func Write(dir string, files []File, force bool) (written, kept []string, err error) {
	var exist []string
	var todo []File
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if _, err := os.Lstat(p); err == nil {
			if f.Keep && !force {
				kept = append(kept, filepath.ToSlash(p))
				continue
			}
			exist = append(exist, filepath.ToSlash(p))
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, err
		}
		todo = append(todo, f)
	}
	if len(exist) > 0 && !force {
		return nil, nil, fmt.Errorf("%w: %s; roster init never overwrites a file: move it away, or pass --force to replace it", ErrExists, strings.Join(exist, ", "))
	}
	for _, f := range todo {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil { //nolint:gosec // the access tree is meant to be read
			return written, kept, err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil { //nolint:gosec // manifests are meant to be read
			return written, kept, fmt.Errorf("write %s: %w", p, err)
		}
		written = append(written, filepath.ToSlash(p))
	}
	return written, kept, nil
}
