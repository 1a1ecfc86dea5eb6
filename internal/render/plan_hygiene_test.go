package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/hygiene"
	"github.com/roster-dev/roster/internal/plan"
)

func planHygiene() map[string]hygiene.Excerpt {
	return map[string]hygiene.Excerpt{
		"production": {Findings: []drift.Finding{{
			ID: "expiring/user/" + hostileMention + "/2026-11-27", Kind: hygiene.Expiring, Severity: drift.Low,
			SubjectKind: plan.KindUser, Subject: hostileMention,
			Summary: text("user ", hostileMention, " expires on 2026-11-27 (in 7 days)"),
			Accept:  text("move ", "expires", " in ", "access/production/people.yaml:4", " to a later date"),
		}}},
		"development": {Findings: []drift.Finding{{
			ID: "no-mfa/user/alice", Kind: hygiene.NoMFA, Severity: drift.Medium,
			SubjectKind: plan.KindUser, Subject: "alice",
			Summary: text("person ", "alice", " can sign in to the console but has no MFA device"),
			Restore: text("have ", "alice", " assign an MFA device"),
		}}},
		// Not in the plan: left out.
		"staging": {Findings: []drift.Finding{{ID: "no-mfa/user/zed", Kind: hygiene.NoMFA, Severity: drift.High, SubjectKind: plan.KindUser, Subject: "zed", Summary: text("zed")}}},
	}
}

// TestPlanHygieneGolden: the plan comment lists the hygiene findings of
// the planned environments in a collapsed section after the guardrails,
// escaped like every other string from a manifest or AWS.
func TestPlanHygieneGolden(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := Markdown(&buf, quietPlan(), MarkdownOptions{Hygiene: planHygiene()}); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "plan-hygiene.md.golden", buf.Bytes())
}

// TestPlanHygieneOnlyAdds: with hygiene findings, the comment is the one
// without them plus the hygiene section; without findings it is unchanged.
func TestPlanHygieneOnlyAdds(t *testing.T) {
	t.Parallel()
	var plain, none, with bytes.Buffer
	if err := Markdown(&plain, quietPlan(), MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&none, quietPlan(), MarkdownOptions{Hygiene: map[string]hygiene.Excerpt{"development": {}}}); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&with, quietPlan(), MarkdownOptions{Hygiene: planHygiene()}); err != nil {
		t.Fatal(err)
	}
	if plain.String() != none.String() {
		t.Error("an empty hygiene map changed the comment")
	}
	start := strings.Index(with.String(), "\n<details>\n<summary><b>Credential hygiene</b>")
	if start < 0 {
		t.Fatalf("no hygiene section:\n%s", with.String())
	}
	end := strings.Index(with.String()[start:], "</details>\n") + start + len("</details>\n")
	if got := with.String()[:start] + with.String()[end:]; got != plain.String() {
		t.Errorf("the comment without its hygiene section differs from the plain one:\n%s", got)
	}
	if strings.Contains(with.String(), "zed") {
		t.Error("a finding of an environment outside the plan is listed")
	}
}

// TestPlanHygieneLeftOut: findings an excerpt leaves out are counted in the
// section's summary and in a row of their environment, which says where
// they are all reported.
func TestPlanHygieneLeftOut(t *testing.T) {
	t.Parallel()
	hyg := planHygiene()
	dev := hyg["development"]
	dev.More = map[drift.Severity]int{drift.Medium: 2224, drift.Low: 1}
	hyg["development"] = dev
	var buf bytes.Buffer
	if err := Markdown(&buf, quietPlan(), MarkdownOptions{Hygiene: hyg}); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "plan-hygiene-more.md.golden", buf.Bytes())
	if !strings.Contains(buf.String(), "2227 findings: 0 high, 2225 medium, 2 low") {
		t.Errorf("the summary does not count the findings left out:\n%s", buf.String())
	}
}
