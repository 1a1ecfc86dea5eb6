package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// TestPlanExitsOneWhenRefused: a plan a guardrail refuses can never be
// applied, so `roster plan` fails (exit 1) whenever a selected environment
// is refused, with or without --detailed-exitcode, and names it; a refused
// environment that was not selected does not count, and --detailed-exitcode
// keeps 2 for changes.
func TestPlanExitsOneWhenRefused(t *testing.T) {
	t.Parallel()
	dir := applyTree(t)
	// production's plan deletes mallory (a tombstone); no deletion is allowed.
	prodEnv := filepath.Join(dir, "production", "environment.yaml")
	if err := os.WriteFile(prodEnv, []byte(`account_id: "444444444444"
role_arn: arn:aws:iam::444444444444:role/roster-apply
guardrails:
  max_deletions: 0
unmanaged:
  ignore: ["break-glass-*"]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := applyFake(t)
	for _, tc := range []struct {
		name    string
		args    []string
		want    int
		wantErr string
	}{
		{name: "refused", args: nil, want: ExitFailure, wantErr: "production"},
		{name: "refused, detailed", args: []string{"--detailed-exitcode"}, want: ExitFailure, wantErr: "production"},
		{name: "refused, json", args: []string{"--format", "json"}, want: ExitFailure, wantErr: "production"},
		{name: "refused environment not selected", args: []string{"--env", "development"}, want: ExitOK},
		{name: "changes, detailed", args: []string{"--env", "development", "--detailed-exitcode"}, want: ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runRoster(t, srv, "", false, append([]string{"plan", "--dir", dir}, tc.args...)...)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
			if r.stdout == "" {
				t.Error("the plan was not printed")
			}
			switch said := strings.Contains(r.stderr, "refused: "+tc.wantErr); {
			case tc.wantErr != "" && !said:
				t.Errorf("stderr does not say that %s is refused:\n%s", tc.wantErr, r.stderr)
			case tc.wantErr == "" && strings.Contains(r.stderr, "refused"):
				t.Errorf("stderr speaks of a refusal, though no selected environment is refused:\n%s", r.stderr)
			}
		})
	}
	for _, w := range srv.Writes() {
		t.Errorf("plan wrote to IAM: %s", w.Action)
	}
}

// TestInterruptedOffboardingLeavesNoMFADevice: an apply that stops between
// DeactivateMFADevice and DeleteVirtualMFADevice leaves mallory's virtual
// MFA device assigned to nobody, where ListMFADevices no longer shows it.
// The next plan lists the device in mallory's teardown, the apply removes
// it with her, and the plan after that is empty.
func TestInterruptedOffboardingLeavesNoMFADevice(t *testing.T) {
	t.Parallel()
	dir := applyTree(t)
	srv := applyFake(t)
	prod := srv.Account(prodAccount)
	const device = "arn:aws:iam::444444444444:mfa/mallory"
	devices := func() map[string]string {
		out := map[string]string{}
		for _, d := range prod.Snapshot().VirtualMFADevices {
			out[d.SerialNumber] = d.User
		}
		return out
	}
	if diff := cmp.Diff(map[string]string{device: "mallory"}, devices()); diff != "" {
		t.Fatalf("production's virtual MFA devices before (-want +got):\n%s", diff)
	}
	srv.FailNext("DeleteVirtualMFADevice", "AccessDenied", 1)
	if r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes"); r.code != ExitFailure {
		t.Fatalf("apply stopped at DeleteVirtualMFADevice: exit %d, want %d\n%s%s", r.code, ExitFailure, r.stdout, r.stderr)
	}
	if diff := cmp.Diff(map[string]string{device: ""}, devices()); diff != "" {
		t.Fatalf("after the interrupted offboarding, devices (-want +got):\n%s", diff)
	}
	if _, ok := prod.User("mallory"); !ok {
		t.Fatal("mallory was deleted although her teardown stopped")
	}

	r := runRoster(t, srv, "", false, "plan", "--dir", dir, "--env", "production", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stderr)
	}
	want := []string{"DetachUserPolicy mallory", "DeleteVirtualMFADevice ", "DeleteUser mallory"}
	if diff := cmp.Diff(want, planOps(t, r.stdout)["production"]); diff != "" {
		t.Errorf("production's plan after the interruption (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stdout, device) {
		t.Errorf("the plan does not name the device %s", device)
	}
	if r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--env", "production", "--yes"); r.code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := devices(); len(got) != 0 {
		t.Errorf("virtual MFA devices left: %v", got)
	}
	if _, ok := prod.User("mallory"); ok {
		t.Error("mallory still exists")
	}
	if r := runRoster(t, srv, "", false, "plan", "--dir", dir, "--env", "production", "--detailed-exitcode"); r.code != ExitOK {
		t.Errorf("the plan after the apply is not empty: exit %d\n%s", r.code, r.stdout)
	}
}
