package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// expireTree is production with priya's prod-operators membership ending
// at 18:00 and a declared bob without the policy someone attached by hand.
func expireTree(t *testing.T) string {
	t.Helper()
	return writeAccess(t, map[string]string{
		"production/environment.yaml": "account_id: \"444444444444\"\nrole_arn: arn:aws:iam::444444444444:role/roster-apply\n",
		"production/people.yaml": `groups:
  - name: prod-operators
users:
  - name: priya
    groups:
      - name: prod-operators
        expires: 2026-12-03T18:00:00Z
  - name: bob
`,
	})
}

// roster expire at 17:59 removes nothing; at 18:00 it removes priya's
// membership, says so, and leaves bob's drift for a reviewed apply.
func TestExpireCommand(t *testing.T) {
	t.Parallel()
	dir := expireTree(t)
	srv := iamtest.NewServer(t)
	prod := srv.Account(prodAccount)
	prod.AddRole("roster-apply")
	tags := []iamtest.Tag{{Key: "roster:managed", Value: "true"}}
	prod.PutGroup(iamtest.Group{Name: "prod-operators"})
	prod.PutUser(iamtest.User{Name: "priya", Tags: tags, Groups: []string{"prod-operators"}})
	prod.PutUser(iamtest.User{Name: "bob", Tags: tags, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	vars := srv.Env(iamtest.DefaultAccountID)
	run := func(now time.Time) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Run(context.Background(), []string{"expire", "--dir", dir}, Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return vars[k] },
			Now:    func() time.Time { return now },
		})
		return code, stdout.String() + stderr.String()
	}
	left := "production: 1 change left for a reviewed apply (a pull request, or roster apply), since it is not an expiry: update user bob."

	code, out := run(time.Date(2026, 12, 3, 17, 59, 0, 0, time.UTC))
	if code != 0 || !strings.Contains(out, left) || strings.Contains(out, "priya") {
		t.Errorf("at 17:59: exit %d, output:\n%s", code, out)
	}
	if w := writesTo(srv, prodAccount); len(w) != 0 {
		t.Errorf("at 17:59: writes %v, want none", w)
	}

	code, out = run(time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC))
	if code != 0 || !strings.Contains(out, left) || !strings.Contains(out, "membership of prod-operators ended at 2026-12-03 18:00 UTC") {
		t.Errorf("at 18:00: exit %d, output:\n%s", code, out)
	}
	if diff := cmp.Diff([]string{"RemoveUserFromGroup"}, writesTo(srv, prodAccount)); diff != "" {
		t.Errorf("at 18:00: writes (-want +got):\n%s", diff)
	}
	t.Logf("roster expire at 18:00:\n%s", out)
}
