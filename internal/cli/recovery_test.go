package cli

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/testfixture"
)

// planOps lists each environment's operations from `roster plan --format
// json`, as "type user" strings.
func planOps(t *testing.T, stdout string) map[string][]string {
	t.Helper()
	var p struct {
		Environments []struct {
			Name    string
			Changes []struct {
				Ops []struct {
					Type string
					User string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, stdout)
	}
	out := map[string][]string{}
	for _, e := range p.Environments {
		for _, c := range e.Changes {
			for _, o := range c.Ops {
				out[e.Name] = append(out[e.Name], o.Type+" "+o.User)
			}
		}
	}
	return out
}

// TestUndeliveredPasswordIsReset: an apply whose every CreateLoginProfile
// answer is lost (IAM created the profile; nobody got the password) leaves
// the undelivered-password record on the user. The next plan resets the
// password and clears the record; the apply delivers the new password,
// encrypted to the user's key, to be changed at first sign-in; the plan
// after it is empty.
func TestUndeliveredPasswordIsReset(t *testing.T) {
	t.Parallel()
	key := testfixture.PGPKey(t)
	undelivered := iamtest.Tag{Key: manifest.PasswordTag, Value: manifest.PasswordUndelivered}
	dir := applyTree(t)
	srv := applyFake(t)
	srv.SetFaults(iamtest.Faults{Drop: 1, DropAfterCommit: true, Actions: []string{"CreateLoginProfile"}})
	if r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes"); r.code == ExitOK {
		t.Fatalf("apply with every CreateLoginProfile answer lost: exit 0\n%s", r.stdout)
	}
	alice, _ := srv.Account(devAccount).User("alice")
	if alice.LoginProfile == nil || !hasTag(alice.Tags, undelivered) {
		t.Fatalf("after the lost answers: login profile %v, tags %v; want a profile and the %s record", alice.LoginProfile != nil, alice.Tags, manifest.PasswordTag)
	}
	lost := alice.LoginProfile.Password
	srv.SetFaults(iamtest.Faults{})

	r := runRoster(t, srv, "", false, "plan", "--dir", dir, "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	if diff := cmp.Diff([]string{"UpdateLoginProfile alice", "UntagUser alice"}, planOps(t, r.stdout)["development"]); diff != "" {
		t.Errorf("development's plan (-want +got):\n%s", diff)
	}

	r = runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes")
	if r.code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	alice, _ = srv.Account(devAccount).User("alice")
	clear := key.Decrypt(t, unindent(armoredMessage.FindString(r.stdout)))
	if alice.LoginProfile == nil || clear != alice.LoginProfile.Password || clear == lost {
		t.Errorf("the delivered password is not the one IAM now holds, or is the lost one")
	}
	if !alice.LoginProfile.PasswordResetRequired {
		t.Error("the new password need not be changed at first sign-in")
	}
	if hasTag(alice.Tags, undelivered) {
		t.Errorf("the record is still on alice: %v", alice.Tags)
	}
	if r := runRoster(t, srv, "", false, "plan", "--dir", dir, "--detailed-exitcode"); r.code != ExitOK {
		t.Errorf("the plan after the reset is not empty: exit %d\n%s", r.code, r.stdout)
	}
}

// unindent removes the text report's indentation of an armored message.
func unindent(s string) string { return leadingSpaces.ReplaceAllString(s, "") }

var leadingSpaces = regexp.MustCompile(`(?m)^ +`)
