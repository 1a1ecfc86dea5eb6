package action

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
)

// Run takes everything from Env: variables, the log, the clock and the
// HTTP client, so it runs in-process without the real environment.
func TestRunUsesInjectedEnvironment(t *testing.T) {
	t.Parallel()
	iam := iamtest.NewServer(t)
	iam.Account("111111111111").AddRole("roster-plan")
	iam.Account("222222222222").AddRole("roster-plan")
	gh := githubtest.NewServer(t)
	pr := gh.AddPullRequest("acme/access", githubtest.PullRequest{HeadSHA: "abcdef1234", Files: []githubtest.File{{Filename: "access/production/people.yaml"}}})

	ws := t.TempDir()
	if err := os.CopyFS(ws, os.DirFS("testdata/e2e")); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.json")
	b, _ := json.Marshal(map[string]any{"number": pr, "pull_request": map[string]any{"number": pr, "head": map[string]any{"sha": "abcdef1234"}}})
	if err := os.WriteFile(event, b, 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"GITHUB_EVENT_NAME":  "pull_request",
		"GITHUB_EVENT_PATH":  event,
		"GITHUB_REPOSITORY":  "acme/access",
		"GITHUB_API_URL":     gh.APIURL(),
		"GITHUB_WORKSPACE":   ws,
		"INPUT_GITHUB-TOKEN": "t",
	}
	for k, v := range iam.Env("999999999999") {
		vars[k] = v
	}
	var log bytes.Buffer
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := Run(context.Background(), Env{
		Getenv:     func(k string) string { return vars[k] },
		Stdout:     &log,
		Now:        func() time.Time { return now },
		HTTPClient: gh.Client(),
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, log.String())
	}
	comments := gh.Comments("acme/access", pr)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "Updated 2026-03-01 12:00 UTC") {
		t.Errorf("comment does not carry the injected clock's time: %+v", comments)
	}
	// Without GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, outputs and the summary
	// go to the log.
	for _, want := range []string{"output has-changes=true", "output result=changes", "## roster plan"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if _, err := os.Stat(filepath.Join(ws, ".roster", "plan.json")); err != nil {
		t.Errorf("the plan JSON was not written to .roster/plan.json in the workspace: %v", err)
	}
}
