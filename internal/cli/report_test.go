package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/golden"
)

func runReport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), append([]string{"report"}, args...), Env{
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return exampleNow },
	})
	return code, out.String(), errOut.String()
}

// TestReportExample: the bundled example renders the matrix the docs show,
// from the manifests alone and with the example snapshots.
func TestReportExample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		golden string
		args   []string
	}{
		{"report-example.md.golden", nil},
		{"report-example.html.golden", []string{"--format", "html"}},
		{"report-example-live.md.golden", []string{"--live", exampleLive}},
		{"report-example-live.html.golden", []string{"--live", exampleLive, "--format", "html"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runReport(t, append([]string{"--dir", exampleDir}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
			golden.File(t, tt.golden, stdout)
		})
	}
}

// TestReportMaxLength: --max-length keeps the Markdown within the limit.
func TestReportMaxLength(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runReport(t, "--dir", exampleDir, "--max-length", "2000")
	if code != ExitOK {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	if len(stdout) > 2000 || !strings.Contains(stdout, "was cut short") {
		t.Errorf("got %d bytes, want at most 2000 ending in the cut note:\n%s", len(stdout), stdout)
	}
}

// TestReportOut: --out writes the report to a file and nothing to stdout;
// --env limits the columns.
func TestReportOut(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "matrix.html")
	code, stdout, stderr := runReport(t, "--dir", exampleDir, "--env", "production", "--format", "html", "--out", out)
	if code != ExitOK || stdout != "" {
		t.Fatalf("exit code %d, stdout %q\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "production") {
		t.Errorf("%s is not the production matrix:\n%.300s", out, page)
	}
	for _, other := range []string{">development", ">staging", ">testing"} {
		if strings.Contains(page, other) {
			t.Errorf("--env production shows column %q", other)
		}
	}
}

func TestReportExitCodes(t *testing.T) {
	t.Parallel()
	invalid := writeAccess(t, trickyTree)
	tests := []struct {
		name string
		args []string
		want int
		// stderr holds this, so the user knows what to fix.
		stderr string
	}{
		{"unknown format", []string{"--dir", exampleDir, "--format", "pdf"}, ExitUsage, "must be one of markdown, html"},
		{"unknown environment", []string{"--dir", exampleDir, "--env", "qa"}, ExitUsage, "qa"},
		{"arguments", []string{"--dir", exampleDir, "extra"}, ExitUsage, "report takes no arguments"},
		{"invalid manifests", []string{"--dir", invalid}, ExitFailure, "is invalid"},
		{"no snapshots", []string{"--dir", exampleDir, "--live", t.TempDir()}, ExitFailure, "no snapshot"},
		{"negative max length", []string{"--dir", exampleDir, "--max-length", "-1"}, ExitUsage, "--max-length"},
		{"unwritable output", []string{"--dir", exampleDir, "--out", filepath.Join(t.TempDir(), "missing", "m.md")}, ExitFailure, "write report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runReport(t, tt.args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr)
			}
		})
	}
}
