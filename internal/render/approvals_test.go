package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/approval"
	"github.com/roster-dev/roster/internal/golden"
)

// planApprovals covers every kind of line: met, unmet with approvals that
// do not count, none set, an environment new in the pull request, approvals
// the pull request changes, and a lookup that failed, with hostile text where
// GitHub or a manifest could put it.
func planApprovals() map[string]ApprovalStatus {
	prodRule := approval.Rule{Required: 2, Reviewers: []string{"example-corp/iam-admins", "octocat"}}
	return map[string]ApprovalStatus{
		"production": {
			Result: approval.Result{Rule: prodRule, Approvers: []string{"alice"}, Missing: 1, Uncounted: []approval.Uncounted{
				{Login: "mallory", Reason: approval.ByAuthor},
				{Login: "bob", Reason: approval.OnOldCommit},
				{Reason: approval.DeletedLogin},
			}},
			Changed: true,
			Problem: "is carol a member of example-corp/iam-admins: " + hostileHTML + hostileMention,
		},
		"staging":     {Result: approval.Result{Rule: approval.Rule{Required: 1, Reviewers: []string{"@octocat"}}, Approvers: []string{"octocat"}}, New: true},
		"development": {},
		// No changes and approvals unchanged: left out.
		"testing": {Result: approval.Result{Rule: approval.Rule{Required: 1, Reviewers: []string{"zed"}}, Missing: 1}},
	}
}

// TestApprovalsGolden: the plan comment says, per environment with
// changes, who must approve and what is met so far, mentioning nobody.
func TestApprovalsGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Markdown(&buf, fullPlan(t), MarkdownOptions{Approvals: planApprovals()}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	golden.File(t, "plan-approvals.md.golden", buf.Bytes())
	for _, want := range []string{
		"⏳ **production**: needs 2 approvals from &#64;&#8203;example\\-corp/iam\\-admins or &#64;&#8203;octocat — 1 so far (&#64;&#8203;alice)",
		"✅ **staging**: needs 1 approval from &#64;&#8203;octocat — 1 so far (&#64;&#8203;octocat)",
		"➖ **development**: no approvals",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the comment lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "zed") {
		t.Error("an environment without changes whose approvals did not change is listed")
	}
	section := got[strings.Index(got, "### Approvals"):strings.Index(got, "<details")]
	assertNoMention(t, section)
}

// assertNoMention fails on an @ GitHub would read as a mention.
func assertNoMention(t *testing.T, body string) {
	t.Helper()
	for i := strings.IndexByte(body, '@'); i >= 0; i = strings.IndexByte(body, '@') {
		t.Errorf("a raw @ in the comment: %q", body[max(0, i-20):min(len(body), i+20)])
		body = body[i+1:]
	}
}

// TestApprovalsOnlyAdd: the approvals section is the only difference a
// status map makes, and nil or an empty map adds nothing.
func TestApprovalsOnlyAdd(t *testing.T) {
	t.Parallel()
	render := func(a map[string]ApprovalStatus) string {
		var buf bytes.Buffer
		if err := Markdown(&buf, fullPlan(t), MarkdownOptions{Approvals: a}); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	plain, with := render(nil), render(planApprovals())
	if empty := render(map[string]ApprovalStatus{}); empty != plain {
		t.Error("an empty approvals map changed the comment")
	}
	start := strings.Index(with, "\n### Approvals\n")
	end := strings.Index(with, "\n<details")
	if start < 0 || end < start {
		t.Fatalf("no approvals section before the details:\n%s", with)
	}
	if got := with[:start] + with[end:]; got != plain {
		t.Errorf("the comment without its approvals section differs from the plain one:\n%s", got)
	}
}

// TestApprovalsSurviveCompaction: a comment too long for its details keeps
// the approvals.
func TestApprovalsSurviveCompaction(t *testing.T) {
	t.Parallel()
	var full, compact bytes.Buffer
	if err := Markdown(&full, fullPlan(t), MarkdownOptions{Approvals: planApprovals()}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&compact, fullPlan(t), MarkdownOptions{Approvals: planApprovals(), MaxLength: full.Len() - 1}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(compact.String(), "Details for each environment are left out") || !strings.Contains(compact.String(), "⏳ **production**: needs 2 approvals") {
		t.Errorf("the compacted comment lost the approvals:\n%s", compact.String())
	}
}
