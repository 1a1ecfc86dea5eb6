package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/testfixture"
)

const keysAccount = "111122223333"

// keysRepo is an access tree with one service account whose key roster
// delivers to roster/ci-deployer.
func keysRepo(t *testing.T, now time.Time) *manifest.Repository {
	t.Helper()
	return keysRepoWith(t, now, smAccessKey, "")
}

const smAccessKey = `    access_key:
      deliver_to: secretsmanager
      secret_name: roster/ci-deployer
      rotate_after_days: 90
      overlap_days: 7
`

// pgpAccessKey is an access_key block delivering to the test key pair.
func pgpAccessKey(t *testing.T) string {
	t.Helper()
	return "    access_key:\n      deliver_to: pgp\n      pgp_key: " + testfixture.PGPKey(t).Base64 + "\n      rotate_after_days: 90\n      overlap_days: 7\n"
}

// keysRepoWith is an access tree with the service account ci-deployer
// whose access_key block is accessKey, and more manifest files.
func keysRepoWith(t *testing.T, now time.Time, accessKey, more string) *manifest.Repository {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "access")
	files := map[string]string{
		"development/environment.yaml": "account_id: \"" + keysAccount + "\"\nrole_arn: arn:aws:iam::" + keysAccount + ":role/roster-apply\n",
		"development/machines.yaml":    "service_accounts:\n  - name: ci-deployer\n    owner: platform-team\n" + accessKey,
	}
	if more != "" {
		files["development/more.yaml"] = more
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return now }))
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return repo
}

// The whole life of a delivered key through Apply, run day by day with
// the apply role allowed exactly docs/permissions.md's apply policy: the
// first apply creates and delivers one key; day 89 nothing; day 90 a second
// key is delivered and both are active; day 97 the old key is inactive; day
// 98 it is deleted. The secret is in the secret and nowhere else: not in
// the plan or the apply report, in any format.
func TestApplyAccessKeyLifecycle(t *testing.T) {
	t.Parallel()
	day0 := time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)
	var mu sync.Mutex
	now := day0
	srv := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	srv.Account(keysAccount).AddRole("roster-apply", policyActions(t, "<!-- roster:apply-policy -->")...)
	base := srv.AWSConfig(iamtest.DefaultAccountID)
	base.Retryer = testRetryer
	src := &awsiam.Source{Base: base, Purpose: awsiam.ForApply}
	writers := awsiam.Writers(base, awsiam.WriterOptions{})
	repo := keysRepo(t, day0)
	env := repo.Environments[0]

	var outputs bytes.Buffer // every plan and report, in every format
	type keyState struct{ ID, Status string }
	for _, step := range []struct {
		day     int
		summary string
		keys    int
		active  int
		current string // which of the keys seen so far the secret holds: "first" or "second"
	}{
		{day: 0, summary: "create access key for ci-deployer → Secrets Manager roster/ci-deployer", keys: 1, active: 1, current: "first"},
		{day: 89, keys: 1, active: 1, current: "first"},
		{day: 90, summary: "rotate: new key for ci-deployer → Secrets Manager roster/ci-deployer, old key %FIRST% deactivated on 2026-04-12, deleted on 2026-04-13", keys: 2, active: 2, current: "second"},
		{day: 96, keys: 2, active: 2, current: "second"},
		{day: 97, summary: "deactivate old access key %FIRST% of ci-deployer (deleted on 2026-04-13)", keys: 2, active: 1, current: "second"},
		{day: 98, summary: "delete old access key %FIRST% of ci-deployer", keys: 1, active: 1, current: "second"},
		{day: 99, keys: 1, active: 1, current: "second"},
	} {
		mu.Lock()
		now = day0.AddDate(0, 0, step.day)
		at := now
		mu.Unlock()
		ctx := context.Background()
		p, err := Plan(ctx, repo, repo.Environments, src, at)
		if err != nil {
			t.Fatalf("day %d: plan: %v", step.day, err)
		}
		res, err := Apply(ctx, repo, repo.Environments, src, writers, at, ApplyOptions{})
		if err != nil {
			t.Fatalf("day %d: apply: %v", step.day, err)
		}
		writeAll(t, &outputs, p, res)
		if res.Failed() {
			t.Fatalf("day %d: apply failed: %s", step.day, outputs.String())
		}
		live, err := src.Read(ctx, env, plan.Needs(repo.Config, env, at))
		if err != nil {
			t.Fatal(err)
		}
		u := live.Users["ci-deployer"]
		var ks []keyState
		active := 0
		for _, k := range u.AccessKeys {
			ks = append(ks, keyState{k.ID, k.Status})
			if k.Status == "Active" {
				active++
			}
		}
		if len(ks) != step.keys || active != step.active {
			t.Fatalf("day %d: keys %v, want %d keys, %d active", step.day, ks, step.keys, step.active)
		}
		sec := live.Secrets["roster/ci-deployer"]
		firstID := firstKey(t, srv, base.Region)
		var got string
		for _, a := range p.Environments[0].AccessKeys {
			got = a.Summary
		}
		want := strings.ReplaceAll(step.summary, "%FIRST%", firstID)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("day %d: plan summary (-want +got):\n%s", step.day, diff)
		}
		if (step.current == "first") != (sec.Current == firstID) {
			t.Errorf("day %d: the secret holds %s; the first key was %s, want the %s", step.day, sec.Current, firstID, step.current)
		}
		if strings.Contains(string(mustJSON(t, u.Tags)), "pending") {
			t.Errorf("day %d: the pending mark stayed: %v", step.day, u.Tags)
		}
	}
	s, ok := srv.Secret(keysAccount, base.Region, "roster/ci-deployer")
	if !ok || len(s.Versions) != 2 {
		t.Fatalf("secret %+v, want two versions", s)
	}
	for _, v := range s.Versions {
		var val struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
		}
		if err := json.Unmarshal([]byte(v.String), &val); err != nil || val.SecretAccessKey == "" {
			t.Fatalf("secret version %s: %v", v.ID, err)
		}
		if strings.Contains(outputs.String(), val.SecretAccessKey) {
			t.Errorf("the secret of %s appears in a plan or an apply report", val.AccessKeyID)
		}
	}
	t.Logf("plans and reports:\n%s", outputs.String())
}

func firstKey(t *testing.T, srv *iamtest.Server, region string) string {
	t.Helper()
	s, ok := srv.Secret(keysAccount, region, "roster/ci-deployer")
	if !ok || len(s.Versions) == 0 {
		return ""
	}
	return strings.TrimPrefix(s.Versions[0].ID, "roster-access-key-")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeAll renders the plan and the apply result in every format to out.
func writeAll(t *testing.T, out *bytes.Buffer, p *plan.Plan, res *apply.Result) {
	t.Helper()
	for _, f := range []func() error{
		func() error { return render.Text(out, p) },
		func() error { return render.Markdown(out, p, render.MarkdownOptions{}) },
		func() error { return render.JSON(out, p) },
		func() error { return render.ApplyText(out, res) },
		func() error { return render.ApplyMarkdown(out, res) },
		func() error { return json.NewEncoder(out).Encode(res) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
}
