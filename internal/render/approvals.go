package render

import (
	"fmt"
	"strings"

	"github.com/roster-dev/roster/internal/approval"
)

// ApprovalStatus is one environment's approvals as the plan comment shows
// them: the rule in force and what the pull request's reviews meet.
type ApprovalStatus struct {
	// Result holds the rule in force (the pull request's base branch's,
	// never its own) and the approvals that count; Result.Rule.Required 0
	// means the environment sets no approvals.
	Result approval.Result
	// Changed is set when the pull request changes the environment's
	// approvals: the rule shown still applies to it.
	Changed bool
	// New is set when the environment is new in the pull request, so its
	// own approvals apply.
	New bool
	// Problem, when set, says what could not be read (plain text, escaped
	// here): the count may be short of what a merge would find.
	Problem string
}

// approvalItem is one environment's line of the approvals section and the
// notes under it, all escaped.
type approvalItem struct {
	Icon, Name, Line string
	Notes            []string
}

// ApprovalItems returns the approvals section of MarkdownOptions.Approvals:
// every planned environment with changes, or whose approvals the pull
// request changes, in review order. Nil when the caller gave no approvals.
func (v *planView) ApprovalItems() []approvalItem {
	if v.Opts.Approvals == nil {
		return nil
	}
	var out []approvalItem
	for _, e := range v.ReviewOrder {
		st, ok := v.Opts.Approvals[e.Name]
		if !ok || (!e.HasChanges && !st.Changed) {
			continue
		}
		out = append(out, approvalLine(e.Name, st))
	}
	return out
}

// noApprovals is what the comment says of an environment without approvals.
const noApprovals = "no approvals in its environment.yaml: roster applies it on merge, so the default branch's protection (required reviews, code owners) decides who may merge"

func approvalLine(name string, st ApprovalStatus) approvalItem {
	res := st.Result
	it := approvalItem{Name: EscapeMarkdown(name), Icon: "➖", Line: noApprovals}
	if res.Rule.Required > 0 {
		it.Icon = "⏳"
		if res.Met() {
			it.Icon = "✅"
		}
		it.Line = fmt.Sprintf("needs %s from %s — %d so far", plural(res.Rule.Required, "approval"), reviewerList(res.Rule), len(res.Approvers))
		if len(res.Approvers) > 0 {
			it.Line += " (" + mentions(res.Approvers) + ")"
		}
	}
	if len(res.Uncounted) > 0 {
		parts := make([]string, len(res.Uncounted))
		for i, u := range res.Uncounted {
			if u.Login == "" {
				parts[i] = EscapeMarkdown(string(approval.DeletedLogin))
				continue
			}
			parts[i] = mentions([]string{u.Login}) + " (" + EscapeMarkdown(string(u.Reason)) + ")"
		}
		it.Notes = append(it.Notes, "not counted: "+strings.Join(parts, ", "))
	}
	if st.New {
		it.Notes = append(it.Notes, "new in this pull request: its own approvals apply")
	}
	if st.Changed {
		it.Notes = append(it.Notes, "this pull request changes these approvals: the ones in force before it (shown) must approve it, even with no change in IAM")
	}
	if st.Problem != "" {
		it.Notes = append(it.Notes, "⚠️ "+EscapeMarkdown(st.Problem))
	}
	return it
}

// reviewerList is "@octocat, @alice or @example-corp/iam-admins", escaped so
// nobody is notified.
func reviewerList(r approval.Rule) string {
	list := make([]string, len(r.Reviewers))
	for i, s := range r.Reviewers {
		list[i] = EscapeMarkdown("@" + strings.TrimPrefix(strings.TrimSpace(s), "@"))
	}
	if len(list) < 2 {
		return strings.Join(list, "")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

// mentions writes logins as "@login, @other", escaped: they read as
// mentions but notify nobody.
func mentions(logins []string) string {
	out := make([]string, len(logins))
	for i, l := range logins {
		out[i] = EscapeMarkdown("@" + l)
	}
	return strings.Join(out, ", ")
}
