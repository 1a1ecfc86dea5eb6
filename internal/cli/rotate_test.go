package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/testfixture"
)

// ciDeployerAccess writes a development environment whose service account
// ci-deployer delivers its key to Secrets Manager, followed by more YAML in
// the same file, and returns the access folder.
func ciDeployerAccess(t *testing.T, more string) string {
	t.Helper()
	return writeAccess(t, map[string]string{
		"development/environment.yaml": `account_id: "111111111111"
role_arn: arn:aws:iam::111111111111:role/roster-apply
`,
		"development/machines.yaml": `service_accounts:
  - name: ci-deployer
    owner: platform-team
    access_key:
      deliver_to: secretsmanager
      secret_name: roster/ci-deployer
` + more,
	})
}

// A plan whose only effect is access key steps has changes: its summary
// line and its JSON count them and --detailed-exitcode says so. roster
// rotate runs them (a pgp key printed once to stderr, and in the report),
// after which the plan has nothing to do. No secret is printed.
func TestPlanCountsAccessKeySteps(t *testing.T) {
	t.Parallel()
	dir := ciDeployerAccess(t, `  - name: report-bot
    owner: platform-team
    access_key:
      deliver_to: pgp
      pgp_key: `+testfixture.PGPKey(t).Base64+`
`)
	srv := iamtest.NewServer(t)
	dev := srv.Account(devAccount)
	dev.AddRole("roster-apply")
	for _, name := range []string{"ci-deployer", "report-bot"} {
		dev.PutUser(iamtest.User{Name: name, Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "roster:owner", Value: "platform-team"}}})
	}

	planned := runRoster(t, srv, "", false, "plan", "--dir", dir, "--detailed-exitcode")
	want := "Plan: 0 to add, 0 to change, 0 to destroy, 0 to adopt, 8 access key steps."
	if planned.code != ExitUsage || !strings.Contains(planned.stdout, want) {
		t.Errorf("plan: exit %d, want %d (changes) and %q:\n%s%s", planned.code, ExitUsage, want, planned.stdout, planned.stderr)
	}
	asJSON := runRoster(t, srv, "", false, "plan", "--dir", dir, "--format", "json")
	var doc struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(asJSON.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Counts["access_key_steps"]; got != 8 {
		t.Errorf("plan JSON counts.access_key_steps = %d, want 8", got)
	}

	rotated := runRoster(t, srv, "", false, "rotate", "--dir", dir)
	if rotated.code != ExitOK || !strings.Contains(rotated.stdout, "Apply complete: 0 operations and 8 access key steps done in development.") {
		t.Fatalf("rotate: exit %d\n%s%s", rotated.code, rotated.stdout, rotated.stderr)
	}
	if n := len(armoredMessage.FindAllString(rotated.stderr, -1)); n != 1 {
		t.Errorf("%d encrypted keys on stderr, want report-bot's once:\n%s", n, rotated.stderr)
	}
	again := runRoster(t, srv, "", false, "plan", "--dir", dir, "--detailed-exitcode")
	if again.code != ExitOK || !strings.Contains(again.stdout, "No changes.") {
		t.Errorf("plan after rotate: exit %d, want 0 and no changes:\n%s%s", again.code, again.stdout, again.stderr)
	}
	all := planned.stdout + planned.stderr + asJSON.stdout + asJSON.stderr + rotated.stdout + rotated.stderr + again.stdout + again.stderr
	for _, name := range []string{"ci-deployer", "report-bot"} {
		u, _ := dev.User(name)
		if len(u.AccessKeys) != 1 {
			t.Fatalf("%s has %d keys, want 1", name, len(u.AccessKeys))
		}
		if strings.Contains(all, u.AccessKeys[0].Secret) {
			t.Errorf("the secret of %s's key is printed", name)
		}
	}
}

// A rotation with no access key step due says so, in every format, and
// names the plan's other changes as left for a reviewed apply: it never
// claims live IAM matches the repository while they are pending.
func TestRotateWithNothingDue(t *testing.T) {
	t.Parallel()
	dir := ciDeployerAccess(t, "users:\n  - name: bob\n")
	srv := iamtest.NewServer(t)
	dev := srv.Account(devAccount)
	dev.AddRole("roster-apply")
	dev.PutUser(iamtest.User{Name: "ci-deployer", Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "roster:owner", Value: "platform-team"}}})
	if first := runRoster(t, srv, "", false, "rotate", "--dir", dir); first.code != ExitOK {
		t.Fatalf("first rotate: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	left := "1 change left for a reviewed apply (a pull request, or roster apply), since roster rotate takes only access key steps: create user bob."
	for format, want := range map[string][]string{
		"text":     {"No access key step was due.", left},
		"markdown": {"**No access key step was due.**", `create user bob\.`},
	} {
		got := runRoster(t, srv, "", false, "rotate", "--dir", dir, "--format", format)
		if got.code != ExitOK || strings.Contains(got.stdout, "matches the repository") {
			t.Errorf("rotate --format %s: exit %d, a claim that live IAM matches:\n%s%s", format, got.code, got.stdout, got.stderr)
		}
		for _, w := range want {
			if !strings.Contains(got.stdout, w) {
				t.Errorf("rotate --format %s does not say %q:\n%s", format, w, got.stdout)
			}
		}
	}
	if _, ok := dev.User("bob"); ok {
		t.Error("roster rotate created bob")
	}
}
