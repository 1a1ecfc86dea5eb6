package action_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/testfixture"
)

// keysWorld is the end-to-end world with two managed service accounts in
// development whose access keys roster delivers: ci-deployer to Secrets
// Manager, report-bot to its pgp_key.
func keysWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	// The published plan policy lets the plan role describe roster's secrets.
	w.iam.Account(devAccount).AddRole("roster-plan", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport", "secretsmanager:DescribeSecret")
	for _, name := range []string{"ci-deployer", "report-bot"} {
		w.iam.Account(devAccount).PutUser(iamtest.User{Name: name, Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "roster:owner", Value: "platform-team"}, {Key: "cost-center", Value: "4200"}}})
	}
	w.write("access/development/machines.yaml", `service_accounts:
  - name: ci-deployer
    owner: platform-team
    access_key:
      deliver_to: secretsmanager
      secret_name: roster/ci-deployer
  - name: report-bot
    owner: platform-team
    access_key:
      deliver_to: pgp
      pgp_key: `+testfixture.PGPKey(t).Base64+`
`)
	w.commit(baseSHA)
	return w
}

// issuedSecrets are the secrets of every key the fake issued to the
// development service accounts.
func issuedSecrets(w *world) map[string]string {
	out := map[string]string{}
	for _, name := range []string{"ci-deployer", "report-bot"} {
		u, _ := w.iam.Account(devAccount).User(name)
		for _, k := range u.AccessKeys {
			out[k.ID] = k.Secret
		}
	}
	return out
}

var armored = regexp.MustCompile(`(?s)-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----`)

// The scheduled rotation, run as the runner runs the Action: the first
// run creates and delivers both keys (one to its secret, one encrypted in
// the job summary, which opens to the real key), reports every step in the
// summary and the outputs, and changes nothing else; the second run has
// nothing to do. No secret appears in the log, the summary or the outputs.
func TestRotateScheduled(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	first := w.run("schedule", schedule(), map[string]string{"command": "rotate"}).mustSucceed(t)
	for _, want := range []string{
		"create access key for ci-deployer → Secrets Manager roster/ci-deployer",
		"create access key for report-bot → PGP message in the apply report",
	} {
		if !strings.Contains(first.summary, render.EscapeMarkdown(want)) {
			t.Errorf("job summary lacks %q:\n%s", want, first.summary)
		}
	}
	if got := map[string]string{"command": first.outputs["command"], "result": first.outputs["result"], "has-changes": first.outputs["has-changes"]}; got["command"] != "rotate" || got["result"] != "applied" || got["has-changes"] != "true" {
		t.Errorf("outputs %v, want command rotate, result applied, has-changes true", got)
	}
	bot, _ := w.iam.Account(devAccount).User("report-bot")
	if len(bot.AccessKeys) != 1 {
		t.Fatalf("report-bot has %d keys, want 1", len(bot.AccessKeys))
	}
	messages := armored.FindAllString(first.summary, -1)
	if len(messages) != 1 {
		t.Fatalf("%d encrypted keys in the job summary, want report-bot's once:\n%s", len(messages), first.summary)
	}
	for _, m := range messages {
		var got struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
		}
		if err := json.Unmarshal([]byte(testfixture.PGPKey(t).Decrypt(t, m)), &got); err != nil {
			t.Fatal(err)
		}
		if got.AccessKeyID != bot.AccessKeys[0].ID || got.SecretAccessKey != bot.AccessKeys[0].Secret {
			t.Errorf("the encrypted key opens to %s, not report-bot's key %s with its secret", got.AccessKeyID, bot.AccessKeys[0].ID)
		}
	}
	var delivered string
	for _, tag := range bot.Tags {
		if tag.Key == keys.DeliveredTag {
			delivered = tag.Value
		}
	}
	if delivered != bot.AccessKeys[0].ID {
		t.Errorf("report-bot's delivered record is %q, want %s", delivered, bot.AccessKeys[0].ID)
	}
	for _, c := range w.iam.Writes() {
		if strings.Contains(c.Action, "User") && c.Action != "TagUser" && c.Action != "UntagUser" || strings.Contains(c.Action, "Group") || strings.Contains(c.Action, "Policy") {
			t.Errorf("the rotation wrote %s %v", c.Action, c.Params)
		}
	}

	second := w.run("schedule", schedule(), map[string]string{"command": "rotate"}).mustSucceed(t)
	if second.outputs["result"] != "no-changes" || second.outputs["has-changes"] != "false" {
		t.Errorf("second run outputs %v, want no-changes", second.outputs)
	}
	all := first.log + first.summary + second.log + second.summary
	for _, r := range []result{first, second} {
		for k, v := range r.outputs {
			all += k + "=" + v
		}
	}
	for id, s := range issuedSecrets(w) {
		if strings.Contains(all, s) {
			t.Errorf("the secret of %s appears in a log, summary or output", id)
		}
	}
}

// A rotation writes keys with the apply role, so it runs only from the
// default branch on a schedule or a manual run: a pull request, a push, or
// another branch is refused before anything is read or written.
func TestRotateRefusesUntrustedEvents(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		event   string
		payload map[string]any
	}{
		"pull request": {"pull_request", pullRequestPayload(7, sha(7))},
		"push":         {"push", pushPayload(sha(8))},
		"other branch": {"workflow_dispatch", map[string]any{"ref": "refs/heads/feature", "repository": map[string]any{"full_name": repoName, "default_branch": "main"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := keysWorld(t)
			res := w.run(tt.event, tt.payload, map[string]string{"command": "rotate"})
			if res.code == 0 || res.outputs["result"] != "refused" || !strings.Contains(res.log, "command rotate runs only on a schedule or a workflow_dispatch on the default branch") {
				t.Errorf("exit %d, outputs %v, log:\n%s\nwant a refusal", res.code, res.outputs, res.log)
			}
			if n := len(w.iam.Writes()); n != 0 {
				t.Errorf("%d writes, want none", n)
			}
		})
	}
}

// A merge runs the access key steps after the changes it applies. The
// pull request's plan counts them in its summary line, and the job summary
// holds report-bot's encrypted key exactly once (written the moment the key
// was made; the report then points to it), while the apply report on the
// merged pull request carries it too. No secret reaches the log, the job
// summary, an output, a comment or an issue.
func TestMergeDeliversAccessKeys(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.binary = true // the built binary, as the runner runs it (see runEnv)
	pr := w.reviewAndMerge(1, sha(100))
	plans := w.comments(pr, render.PlanMarker)
	if len(plans) != 1 {
		t.Fatalf("%d plan comments, want 1", len(plans))
	}
	if want := "**Plan: 4 to add, 0 to change, 0 to destroy, 0 to adopt, 8 access key steps.**"; !strings.Contains(plans[0], want) {
		t.Errorf("plan comment lacks %q:\n%s", want, plans[0])
	}

	res := w.run("push", pushPayload(sha(100)), nil).mustSucceed(t)
	if res.outputs["result"] != "applied" || res.outputs["has-changes"] != "true" {
		t.Errorf("outputs %v, want result applied, has-changes true", res.outputs)
	}
	if n := len(armored.FindAllString(res.summary, -1)); n != 1 {
		t.Errorf("%d encrypted keys in the job summary, want report-bot's once:\n%s", n, res.summary)
	}
	reports := w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 {
		t.Fatalf("%d apply reports, want 1", len(reports))
	}
	if n := len(armored.FindAllString(reports[0], -1)); n != 1 {
		t.Errorf("%d encrypted keys in the apply report on the pull request, want 1:\n%s", n, reports[0])
	}
	bot, _ := w.iam.Account(devAccount).User("report-bot")
	if len(bot.AccessKeys) != 1 {
		t.Fatalf("report-bot has %d keys, want 1", len(bot.AccessKeys))
	}
	if got := testfixture.PGPKey(t).Decrypt(t, armored.FindString(reports[0])); !strings.Contains(got, bot.AccessKeys[0].Secret) {
		t.Errorf("the apply report's encrypted key does not open to report-bot's key %s", bot.AccessKeys[0].ID)
	}

	all := res.log + res.summary
	for k, v := range res.outputs {
		all += k + "=" + v
	}
	for _, c := range w.gh.Comments(repoName, pr) {
		all += c.Body
	}
	for _, is := range w.gh.Issues(repoName) {
		all += is.Title + is.Body
	}
	for id, s := range issuedSecrets(w) {
		if strings.Contains(all, s) {
			t.Errorf("the secret of %s appears in a log, summary, output, comment or issue", id)
		}
	}
}

// A pull request whose only effect is a service account's first key has
// changes: the plan says how many access key steps, never "No changes",
// and the has-changes output is true; so does its merge's apply.
func TestOnlyKeyStepsAreChanges(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.iam.Account(devAccount).PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"}})
	w.iam.Account(devAccount).PutUser(iamtest.User{Name: "alice", Groups: []string{"developers"}, Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "team", Value: "payments"}, {Key: "cost-center", Value: "4200"}}})
	pr := w.gh.AddPullRequest(repoName, githubtest.PullRequest{HeadSHA: sha(3), Files: []githubtest.File{{Filename: "access/development/machines.yaml"}},
		Merged: true, MergeCommitSHA: sha(101)})
	res := w.run("pull_request", pullRequestPayload(pr, sha(3)), nil).mustSucceed(t)
	if res.outputs["has-changes"] != "true" || res.outputs["result"] != "changes" {
		t.Errorf("outputs %v, want has-changes true, result changes", res.outputs)
	}
	want := "**Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 8 access key steps.**"
	plans := w.comments(pr, render.PlanMarker)
	if len(plans) != 1 || !strings.Contains(plans[0], want) {
		t.Errorf("plan comments %q, want one with %q", plans, want)
	}
	if !strings.Contains(res.summary, want) {
		t.Errorf("job summary lacks %q:\n%s", want, res.summary)
	}

	merged := w.run("push", pushPayload(sha(101)), nil).mustSucceed(t)
	if merged.outputs["has-changes"] != "true" || merged.outputs["result"] != "applied" {
		t.Errorf("merge outputs %v, want has-changes true, result applied", merged.outputs)
	}
}

// A scheduled rotation that is blocked (someone made a second key for
// ci-deployer by hand, and its delivered key is 95 days old) writes nothing
// for it and does not fail the job, since nothing failed, but says so where
// the platform team looks: a warning annotation on the run and the job
// summary's headline, each naming the service account and the finding.
func TestRotateWarnsWhenAPersonIsNeeded(t *testing.T) {
	t.Parallel()
	w := keysWorld(t)
	w.run("schedule", schedule(), map[string]string{"command": "rotate"}).mustSucceed(t)
	if _, err := iam.NewFromConfig(w.iam.AWSConfig(devAccount)).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("ci-deployer")}); err != nil {
		t.Fatal(err)
	}
	before, _ := w.iam.Account(devAccount).User("ci-deployer")
	res := w.runAt(time.Now().AddDate(0, 0, 95).UTC().Format(time.RFC3339), "schedule", schedule(), map[string]string{"command": "rotate"}).mustSucceed(t)
	for _, want := range []string{
		"::warning::development: the access key of ci-deployer needs a person: rotation blocked: a new key is needed",
		"::warning::development: the access key of ci-deployer needs a person: key made by hand: key ",
	} {
		if !strings.Contains(res.log, want) {
			t.Errorf("log lacks %q:\n%s", want, res.log)
		}
	}
	if want := "1 service account needs a person: **ci\\-deployer** in development (key made by hand, rotation blocked)."; !strings.Contains(res.summary, want) {
		t.Errorf("job summary lacks %q:\n%s", want, res.summary)
	}
	after, _ := w.iam.Account(devAccount).User("ci-deployer")
	if diff := cmp.Diff(before.AccessKeys, after.AccessKeys); diff != "" {
		t.Errorf("ci-deployer's keys changed (-before +after):\n%s", diff)
	}
}
