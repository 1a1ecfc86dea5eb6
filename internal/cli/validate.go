package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/roster-dev/roster/internal/action"
	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

// Output formats of roster validate.
const (
	formatText   = "text"
	formatGitHub = "github"
	formatJSON   = "json"
)

func validateCommand() *command {
	return &command{
		name:    "validate",
		usage:   "[--dir DIR] [--format text|github|json]",
		summary: "check the manifests without touching AWS",
		help: `Loads every file under the access directory and reports every problem at
once, each with file, line and column. Exits 0 when the tree is valid
(warnings allowed), 1 when it has errors, 2 on a usage error.

A valid tree is also checked for who must approve: a production environment
without approvals, and a roster block of CODEOWNERS that is missing or stale
(as roster codeowners --check says) are warnings.

Formats:
  text    one line per finding (file:line:col: severity: message), an indented
          hint where there is one, and a summary line, all on stdout
  github  GitHub Actions workflow commands (::error / ::warning) on stdout, so
          findings annotate the pull request; the summary line goes to stderr
  json    {"valid": bool, "summary": {...}, "diagnostics": [...]} on stdout`,
		flags: func(fs *flag.FlagSet) func(context.Context, []string, Env) error {
			dir := dirFlag(fs)
			format := fs.String("format", formatText, "output `format`: text, github or json")
			return func(_ context.Context, args []string, env Env) error {
				if err := noArgs("validate", args); err != nil {
					return err
				}
				switch *format {
				case formatText, formatGitHub, formatJSON:
				default:
					return usageError("unknown --format %q: use text, github or json", *format)
				}
				repo, diags := manifest.Load(*dir, manifest.WithClock(env.now))
				if repo != nil && !diags.HasErrors() {
					diags = append(diags, approvalWarnings(repo, *dir)...)
				}
				sum := summarize(repo, diags)
				name := filepath.ToSlash(*dir)
				var err error
				switch *format {
				case formatText:
					err = writeText(env.Stdout, name, sum, diags)
				case formatGitHub:
					writeGitHub(env, diags)
					_, err = fmt.Fprintln(env.Stderr, summaryLine(name, sum))
				case formatJSON:
					err = writeJSON(env.Stdout, sum, diags)
				}
				if err != nil {
					return fmt.Errorf("write validation result: %w", err)
				}
				if diags.HasErrors() {
					return &exitError{Code: ExitFailure}
				}
				return nil
			}
		},
	}
}

// validateSummary counts what a valid tree holds and what was found. The
// counts of the tree are zero when it has errors.
type validateSummary struct {
	Environments int `json:"environments"`
	// People and ServiceAccounts count distinct names: a person in three
	// environments is one person.
	People          int `json:"people"`
	ServiceAccounts int `json:"service_accounts"`
	// Groups counts the IAM groups of every environment.
	Groups   int `json:"groups"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

func summarize(repo *manifest.Repository, diags diag.List) validateSummary {
	s := validateSummary{Errors: diags.Count(diag.Error), Warnings: diags.Count(diag.Warning)}
	if repo == nil {
		return s
	}
	people, machines := map[string]bool{}, map[string]bool{}
	for _, e := range repo.Environments {
		s.Environments++
		s.Groups += len(e.Groups)
		for _, u := range e.Users {
			if u.Kind == manifest.ServiceAccount {
				machines[strings.ToLower(u.Name)] = true
			} else {
				people[strings.ToLower(u.Name)] = true
			}
		}
	}
	s.People, s.ServiceAccounts = len(people), len(machines)
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// summaryLine is the one line that ends the text output.
func summaryLine(dir string, s validateSummary) string {
	if s.Errors > 0 {
		line := fmt.Sprintf("%s: invalid - %s", dir, plural(s.Errors, "error", "errors"))
		if s.Warnings > 0 {
			line += ", " + plural(s.Warnings, "warning", "warnings")
		}
		return line
	}
	line := fmt.Sprintf("%s: valid - %s, %s, %s, %s", dir,
		plural(s.Environments, "environment", "environments"),
		plural(s.People, "person", "people"),
		plural(s.ServiceAccounts, "service account", "service accounts"),
		plural(s.Groups, "group", "groups"))
	if s.Warnings > 0 {
		line += " (" + plural(s.Warnings, "warning", "warnings") + ")"
	}
	return line
}

// writeText writes one line per finding, an indented hint line where there
// is a hint, and the summary line.
func writeText(w io.Writer, dir string, s validateSummary, diags diag.List) error {
	var b strings.Builder
	printDiagnostics(&b, diags)
	b.WriteString(summaryLine(dir, s))
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// writeGitHub writes each finding as a workflow command, so GitHub shows it
// on the file and line of the pull request.
func writeGitHub(env Env, diags diag.List) {
	getenv := env.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	action.Annotate(githubactions.New(githubactions.WithWriter(env.Stdout), githubactions.WithGetenv(getenv)), diags)
}

// validateJSON is the --format json document.
type validateJSON struct {
	Valid       bool            `json:"valid"`
	Summary     validateSummary `json:"summary"`
	Diagnostics diag.List       `json:"diagnostics"`
}

func writeJSON(w io.Writer, s validateSummary, diags diag.List) error {
	if diags == nil {
		diags = diag.List{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(validateJSON{Valid: !diags.HasErrors(), Summary: s, Diagnostics: diags})
}
