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

// driftWithHygiene is an environment with drift, credential hygiene
// findings (one with a hostile name) and an unmanaged user.
func driftWithHygiene() *drift.Report {
	r := &drift.Report{Environment: "staging", AccountID: "333333333333"}
	r.Add(
		drift.Finding{
			ID: "changed/user/alice/tag/team/differs/1", Kind: drift.Changed, Severity: drift.Low,
			SubjectKind: plan.KindUser, Subject: "alice",
			Summary: text("tag ", "team", " of user ", "alice", " is ", "qa", " in AWS but ", "payments", " in the manifests"),
			Restore: text("run apply to set it back to ", "payments"),
			Accept:  text("set ", "team: qa", " in ", "access/staging/people.yaml:3"),
		},
		drift.Finding{
			ID: "no-mfa/user/alice", Kind: hygiene.NoMFA, Severity: drift.High,
			SubjectKind: plan.KindUser, Subject: "alice",
			Summary: text("person ", "alice", " can sign in to the console but has no MFA device"),
			Restore: text("have ", "alice", " assign an MFA device"),
		},
		drift.Finding{
			ID: "key-age/service_account/ci/key-1/2026-01-01", Kind: hygiene.KeyAge, Severity: drift.Medium,
			SubjectKind: plan.KindServiceAccount, Subject: "ci",
			Summary: text("access key 1 of service account ", "ci", " was created on 2026-01-01, 323 days ago, more than the ", "max_access_key_age_days: 90", " of this environment"),
			Restore: text("rotate it"),
			Accept:  text("raise ", "max_access_key_age_days", " in ", "access/staging/environment.yaml"),
		},
		drift.Finding{
			ID: "unused-key/user/@ops|x/key-1/2025-01-01", Kind: hygiene.UnusedKey, Severity: drift.Medium,
			SubjectKind: plan.KindUser, Subject: "@ops|x",
			Summary: text("active access key 1 of user ", "@ops|x", " has not been used for 400 days"),
			Restore: text("deactivate it"),
		},
		drift.Finding{
			ID: "expiring/user/bob/2026-11-27", Kind: hygiene.Expiring, Severity: drift.Low,
			SubjectKind: plan.KindUser, Subject: "bob",
			Summary: text("user ", "bob", " expires on 2026-11-27 (in 7 days)"),
			Accept:  text("move ", "expires", " in ", "access/staging/people.yaml:9", " to a later date"),
		},
		drift.Finding{
			ID: "unmanaged/user/legacy", Kind: drift.Unmanaged, Severity: drift.Medium,
			SubjectKind: plan.KindUser, Subject: "legacy",
			Summary: text("user ", "legacy", " exists in AWS"),
			Accept:  text("add it to ", "unmanaged.ignore"),
		},
	)
	return r
}

// TestDriftHygieneGolden: hygiene findings appear beside the drift with the
// same severities: in the text and JSON lists with a fix (not a restore),
// and in their own Markdown section between the drift and the unmanaged
// users.
func TestDriftHygieneGolden(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		ext    string
		render func(*bytes.Buffer, *drift.Report) error
	}{
		{"txt", func(b *bytes.Buffer, r *drift.Report) error { return DriftText(b, []*drift.Report{r}) }},
		{"md", func(b *bytes.Buffer, r *drift.Report) error { return DriftMarkdown(b, r, driftOpts) }},
		{"json", func(b *bytes.Buffer, r *drift.Report) error { return DriftJSON(b, []*drift.Report{r}) }},
	} {
		t.Run(f.ext, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := f.render(&buf, driftWithHygiene()); err != nil {
				t.Fatal(err)
			}
			golden.File(t, "drift-hygiene."+f.ext+".golden", buf.Bytes())
		})
	}
}

// TestDriftHygieneSections: in the issue body, every hygiene finding is in
// the hygiene section and none in the drift table.
func TestDriftHygieneSections(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := DriftMarkdown(&buf, driftWithHygiene(), driftOpts); err != nil {
		t.Fatal(err)
	}
	body := buf.String()
	findings, rest, ok := strings.Cut(body, "### Credential hygiene")
	if !ok {
		t.Fatalf("no hygiene section:\n%s", body)
	}
	hyg, _, _ := strings.Cut(rest, "### Unmanaged users")
	for _, k := range hygiene.Kinds {
		if strings.Contains(findings, "| "+string(k)+" |") {
			t.Errorf("%s finding in the drift table", k)
		}
	}
	for _, k := range []drift.Kind{hygiene.NoMFA, hygiene.KeyAge, hygiene.UnusedKey, hygiene.Expiring} {
		if !strings.Contains(hyg, "| "+string(k)+" |") {
			t.Errorf("%s finding missing from the hygiene section:\n%s", k, hyg)
		}
	}
	if strings.Contains(hyg, "| changed |") {
		t.Error("drift finding in the hygiene section")
	}
}
