package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/plan"
)

// encryptedPassword stands in for an armored OpenPGP message.
const encryptedPassword = `-----BEGIN PGP MESSAGE-----

wV4DAAAAAAAAAAASAQdAexampleexampleexampleexampleexampleexample
=AbCd
-----END PGP MESSAGE-----
`

func done(op plan.Op) apply.OpResult { return apply.OpResult{Op: op, Status: apply.Done} }

func skipped(op plan.Op, reason string) apply.OpResult {
	return apply.OpResult{Op: op, Status: apply.Skipped, Reason: reason}
}

func changeResult(action plan.Action, kind plan.Kind, name string, ops ...apply.OpResult) apply.ChangeResult {
	ch := plan.Change{Action: action, Kind: kind, Name: name}
	for _, o := range ops {
		ch.Ops = append(ch.Ops, o.Op)
	}
	return apply.ChangeResult{Change: ch, Ops: ops}
}

// withReason gives the change the plan's reason (an expiry, a tombstone).
func withReason(c apply.ChangeResult, reason string) apply.ChangeResult {
	c.Change.Reason = reason
	return c
}

// fullApply is an apply over five environments: development applied (with a
// new console user, an adoption, an offboarding and a write IAM found
// already done), testing without changes, staging failed on a missing
// permission, production not attempted, and sandbox refused.
func fullApply(t *testing.T) *apply.Result {
	t.Helper()
	alice := readKey(t, "alice.asc")
	created := done(plan.Op{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: alice})
	created.Outcome.EncryptedPassword = encryptedPassword
	already := done(plan.Op{Type: plan.OpAttachUserPolicy, User: "alice", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	already.Outcome.AlreadyDone = true
	failed := apply.OpResult{
		Op:     plan.Op{Type: plan.OpAttachUserPolicy, User: "bob", PolicyARN: "arn:aws:iam::333333333333:policy/deploy"},
		Status: apply.Failed,
		Error:  "environment staging: role arn:aws:iam::333333333333:role/roster-apply is not allowed to call iam:AttachUserPolicy; grant iam:AttachUserPolicy to it",
	}
	const earlier = "an earlier operation of this change failed"
	const refusal = "This plan deletes 7 users, more than max_deletions (5) allows in sandbox, so roster will not apply it."
	return &apply.Result{Environments: []*apply.EnvironmentResult{
		{
			Name: "development", AccountID: "111111111111", Status: apply.EnvApplied, Digest: "sha256:1111",
			Changes: []apply.ChangeResult{
				changeResult(plan.Create, plan.KindGroup, "auditors",
					done(plan.Op{Type: plan.OpCreateGroup, Group: "auditors", Path: "/"}),
					done(plan.Op{Type: plan.OpAttachGroupPolicy, Group: "auditors", PolicyARN: "arn:aws:iam::aws:policy/SecurityAudit"})),
				changeResult(plan.Adopt, plan.KindUser, "carol",
					done(plan.Op{Type: plan.OpTagUser, User: "carol", Tags: map[string]string{"roster:managed": "true"}}),
					done(plan.Op{Type: plan.OpAddUserToGroup, User: "carol", Group: "auditors"})),
				changeResult(plan.Create, plan.KindUser, "alice",
					done(plan.Op{Type: plan.OpCreateUser, User: "alice", Path: "/people/", Tags: map[string]string{"roster:managed": "true", "team": "payments"}}),
					already,
					created),
				withReason(changeResult(plan.Delete, plan.KindUser, "dave",
					done(plan.Op{Type: plan.OpDeleteAccessKey, User: "dave", ID: "AKIADAVE0000000001"}),
					done(plan.Op{Type: plan.OpUntagUser, User: "dave", TagKeys: []string{"team"}}),
					done(plan.Op{Type: plan.OpDeleteUser, User: "dave"})), "expired on 2026-03-31"),
				withReason(changeResult(plan.Update, plan.KindUser, "priya",
					done(plan.Op{Type: plan.OpRemoveUserFromGroup, User: "priya", Group: "prod-operators"})),
					"membership of prod-operators ended at 2026-12-03 18:00 UTC"),
			},
			AccessKeys: []apply.KeyResult{{
				ServiceAccount: "ci-deployer", Destination: "Secrets Manager roster/ci-deployer", Steps: []apply.KeyStepResult{},
				Notes: []plan.AccessKeyIssue{
					{Kind: plan.KeyHandMade, KeyID: "AKIAHAND0000000001", Detail: "key AKIAHAND0000000001 (created 2026-02-04) was not made by roster: the destination does not hold it"},
					{Kind: plan.KeyBlocked, Detail: "a new key is needed (key AKIACURR0000000001 is 90 days old (rotate_after_days 90)) but the user already has two keys (AKIACURR0000000001 AKIAHAND0000000001): delete the one not in use"},
				},
			}},
		},
		{Name: "testing", AccountID: "222222222222", Status: apply.EnvNoChanges, Digest: "sha256:2222"},
		{
			Name: "staging", AccountID: "333333333333", Status: apply.EnvFailed, Digest: "sha256:3333",
			Reason: "1 of 4 operations failed, 2 skipped",
			Changes: []apply.ChangeResult{
				changeResult(plan.Create, plan.KindServiceAccount, "bob",
					done(plan.Op{Type: plan.OpCreateUser, User: "bob", Path: "/"}),
					failed,
					skipped(plan.Op{Type: plan.OpPutUserPolicy, User: "bob", PolicyName: "scratch", PolicyDocument: `{"Version":"2012-10-17"}`}, earlier)),
				changeResult(plan.Create, plan.KindUser, "erin",
					skipped(plan.Op{Type: plan.OpCreateUser, User: "erin", Path: "/"}, "the apply was cancelled before this operation started")),
			},
		},
		{
			Name: "production", AccountID: "444444444444", Production: true, Status: apply.EnvNotAttempted,
			Reason: "not attempted because staging failed; environments are applied in promotion order and stop at the first failure",
		},
		{
			Name: "sandbox", AccountID: "555555555555", Status: apply.EnvRefused, Digest: "sha256:5555", Reason: refusal,
			Changes: []apply.ChangeResult{
				changeResult(plan.Delete, plan.KindUser, "old", skipped(plan.Op{Type: plan.OpDeleteUser, User: "old"}, "the plan was refused")),
			},
		},
	}}
}

// hostileApply carries names and errors that try to break out of the
// report: HTML, mentions, table pipes, code fences and terminal escapes.
func hostileApply() *apply.Result {
	name := "eve<script>|@admins #1 ```\x1b[2J"
	pw := done(plan.Op{Type: plan.OpCreateLoginProfile, User: name})
	pw.Outcome.EncryptedPassword = "-----BEGIN PGP MESSAGE-----\n````\n<!-- roster:apply -->\n-----END PGP MESSAGE-----\n"
	return &apply.Result{Environments: []*apply.EnvironmentResult{{
		Name: "dev|<b>x</b>", AccountID: "111111111111", Status: apply.EnvFailed, Reason: "reason with <img src=x> and @team",
		Changes: []apply.ChangeResult{
			withReason(changeResult(plan.Create, plan.KindUser, name,
				done(plan.Op{Type: plan.OpCreateUser, User: name}),
				pw,
				apply.OpResult{Op: plan.Op{Type: plan.OpAddUserToGroup, User: name, Group: "g"}, Status: apply.Failed, Error: "NoSuchEntity: <!-- roster:apply --> | @x\n## heading"}),
				"membership of <b>@admins</b>|x ended on 2026-03-31"),
		},
		AccessKeys: []apply.KeyResult{{
			ServiceAccount: name, Destination: "Secrets Manager roster/x", Steps: []apply.KeyStepResult{},
			Notes: []plan.AccessKeyIssue{
				{Kind: "<b>x</b>|@admins", Detail: "detail <img src=x> @team | ```\x1b[2J\n## heading"},
				{Kind: plan.KeyHandMade, KeyID: name, Detail: "key " + name + " was not made by roster"},
			},
		}},
	}}}
}

var applyFormats = []struct {
	ext    string
	render func(*bytes.Buffer, *apply.Result) error
}{
	{"txt", func(b *bytes.Buffer, r *apply.Result) error { return ApplyText(b, r) }},
	{"md", func(b *bytes.Buffer, r *apply.Result) error { return ApplyMarkdown(b, r) }},
	{"json", func(b *bytes.Buffer, r *apply.Result) error { return ApplyJSON(b, r) }},
}

func TestApplyGolden(t *testing.T) {
	t.Parallel()
	results := []struct {
		name   string
		result func(t *testing.T) *apply.Result
	}{
		{"apply-full", fullApply},
		{"apply-hostile", func(*testing.T) *apply.Result { return hostileApply() }},
		{"apply-nothing", func(*testing.T) *apply.Result {
			return &apply.Result{Environments: []*apply.EnvironmentResult{{Name: "development", AccountID: "111111111111", Status: apply.EnvNoChanges}}}
		}},
		{"apply-empty", func(*testing.T) *apply.Result { return &apply.Result{} }},
		{"apply-refused", func(t *testing.T) *apply.Result {
			dev := fullApply(t).Environments[0]
			return &apply.Result{Environments: []*apply.EnvironmentResult{dev, {
				Name: "production", AccountID: "444444444444", Production: true, Status: apply.EnvRefused, Digest: "sha256:4444",
				Reason: "the plan reviewed on pull request #7 (sha256:1111) differs from the plan of live IAM now (sha256:4444): live IAM or the manifests changed since review; re-run the plan",
				Changes: []apply.ChangeResult{
					changeResult(plan.Create, plan.KindUser, "alice", skipped(plan.Op{Type: plan.OpCreateUser, User: "alice", Path: "/"}, "the plan was refused")),
				},
			}}}
		}},
	}
	for _, r := range results {
		for _, f := range applyFormats {
			t.Run(r.name+"."+f.ext, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				if err := f.render(&buf, r.result(t)); err != nil {
					t.Fatal(err)
				}
				golden.File(t, r.name+"."+f.ext+".golden", buf.Bytes())
			})
		}
	}
}

// TestApplyMarkdownContained: nothing from a manifest or AWS can open HTML,
// mention anyone, split the table, or pose as the marker.
func TestApplyMarkdownContained(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := ApplyMarkdown(&buf, hostileApply()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, ApplyMarker+"\n") {
		t.Errorf("report does not start with the marker %q", ApplyMarker)
	}
	if n := strings.Count(out, ApplyMarker); n != 1 {
		t.Errorf("marker appears %d times, want once (only roster's own)", n)
	}
	for _, bad := range []string{"<script>", "<img", "<b>x", "@admins", "@team", "\x1b", "\n## heading"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains %q unescaped:\n%s", bad, out)
		}
	}
	if strings.Contains(out, "BEGIN PGP MESSAGE") {
		t.Errorf("a password field that is not an armored message reached the report:\n%s", out)
	}
}

// TestApplyJSONShape: programs read status, counts and every operation's
// result; keys appear only as fingerprints.
func TestApplyJSONShape(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := fullApply(t)
	if err := ApplyJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Failed bool `json:"failed"`
		Counts struct {
			Done, Failed, Skipped int
		} `json:"counts"`
		Environments []struct {
			Name, Status string
		} `json:"environments"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Failed || got.Counts.Done != 12 || got.Counts.Failed != 1 || got.Counts.Skipped != 3 {
		t.Errorf("failed %v, counts %+v; want failed with 12 done, 1 failed, 3 skipped", got.Failed, got.Counts)
	}
	var statuses []string
	for _, e := range got.Environments {
		statuses = append(statuses, e.Name+"="+e.Status)
	}
	want := []string{"development=applied", "testing=no_changes", "staging=failed", "production=not_attempted", "sandbox=refused"}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if strings.Contains(buf.String(), "BEGIN PGP PUBLIC KEY") {
		t.Error("JSON report holds a PGP public key; want its fingerprint only")
	}
	if !strings.Contains(buf.String(), aliceFingerprint) {
		t.Errorf("JSON report lacks the fingerprint %s of the key the password is encrypted to", aliceFingerprint)
	}
}
