package action_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/render"
)

// GitHub's primary and secondary rate limits during a run are waited out:
// the run succeeds with the one comment it would have written anyway.
func TestRateLimitedRunWaits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}})
	w.gh.Inject(githubtest.Fault{Kind: githubtest.PrimaryRateLimit, Method: "GET", Path: "/repos/acme/access/pulls/*/files", Times: 1, Reset: time.Now().Add(time.Second)})
	w.gh.Inject(githubtest.Fault{Kind: githubtest.SecondaryRateLimit, Method: "POST", Path: "/repos/acme/access/issues/*/comments", Times: 1, RetryAfter: time.Second})

	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)

	if n := len(w.gh.Comments(repoName, pr)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
	var limited []string
	for _, r := range w.gh.Requests() {
		if r.Status == http.StatusForbidden {
			limited = append(limited, r.Method+" "+r.Path)
		}
	}
	if len(limited) != 2 {
		t.Errorf("rate-limited requests = %v, want the two injected", limited)
	}
}

// hostileManifest puts Markdown and HTML where a manifest can: a tag value
// with a mention, and a policy condition with backticks, HTML and mentions.
const hostileManifest = `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
    tags: { team: "@org/team" }
    inline_policies:
      evil:
        Version: "2012-10-17"
        Statement:
          - Sid: Conditional
            Effect: Allow
            Action: "s3:GetObject"
            Resource: "*"
            Condition: { StringEquals: { "aws:PrincipalTag/x": "` + "```" + `\n</details><img src=y onerror=alert(2)> @org/admins" } }
`

// hostileLive is what live IAM can carry that a manifest cannot: a tag
// value that closes a details element and injects an image, and a policy
// Sid with backticks.
const (
	hostileTag    = "</details><img src=x onerror=alert(1)> @org/team"
	hostilePolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Break` + "```" + `out","Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// Strings from manifests and from AWS render inert in the plan comment and
// in the drift issue: no HTML, no mentions, no escape from code blocks or
// details sections.
func TestMarkdownInjectionIsInert(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.write(devPeople, hostileManifest)
	w.seedInSync()
	w.iam.Account(devAccount).PutUser(iamtest.User{
		Name:           "alice",
		Groups:         []string{"developers"},
		Tags:           []iamtest.Tag{{Key: "cost-center", Value: "4200"}, {Key: "roster:managed", Value: "true"}, {Key: "team", Value: hostileTag}},
		InlinePolicies: map[string]string{"evil": hostilePolicy},
	})

	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(1), Files: []githubtest.File{{Filename: devPeople}}})
	w.run("pull_request", pullRequestPayload(pr, sha(1)), nil).mustSucceed(t)
	comments := w.gh.Comments(repoName, pr)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	assertInert(t, "plan comment", comments[0].Body)
	if _, err := render.ParseDigests(comments[0].Body); err != nil {
		t.Errorf("plan comment: the digests cannot be read back: %v", err)
	}

	w.run("schedule", schedule(), nil).mustSucceed(t)
	issues := w.issues("roster:drift")
	if len(issues) != 1 {
		t.Fatalf("drift issues = %+v, want one", issues)
	}
	assertInert(t, "drift issue", issues[0].Body)
}

// assertInert checks that body, as GitHub renders Markdown, holds the
// hostile strings only as text: every code fence closes, no raw <img> or
// @mention outside code, and every <details> that roster opened is closed
// by roster.
func assertInert(t *testing.T, what, body string) {
	t.Helper()
	if !strings.Contains(body, "onerror") {
		t.Fatalf("%s does not show the hostile strings at all, so the test proves nothing:\n%s", what, body)
	}
	var outside strings.Builder
	fence := 0
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		ticks := len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
		switch {
		case fence == 0 && indent <= 3 && ticks >= 3 && !strings.Contains(trimmed[ticks:], "`"):
			fence = ticks
		case fence == 0:
			outside.WriteString(line + "\n")
		case indent <= 3 && ticks >= fence && strings.TrimSpace(trimmed[ticks:]) == "":
			fence = 0
		}
	}
	if fence != 0 {
		t.Errorf("%s: a code block is never closed:\n%s", what, body)
	}
	text := outside.String()
	for _, bad := range []string{"<img", "@org"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s: %q outside code blocks:\n%s", what, bad, body)
		}
	}
	if open, closed := strings.Count(text, "<details"), strings.Count(text, "</details>"); open != closed {
		t.Errorf("%s: %d <details> but %d </details> outside code blocks:\n%s", what, open, closed, body)
	}
}
