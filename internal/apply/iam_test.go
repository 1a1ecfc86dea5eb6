package apply_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// fakeIAM is an environment's account in the IAM fake, written through the
// product's writer and read back through its reader, so that a test can
// plan against it, apply, and plan again.
type fakeIAM struct {
	srv    *iamtest.Server
	acct   *iamtest.Account
	cfg    manifest.Config
	env    *manifest.Environment
	writer apply.Writer
	reader awsiam.Reader
}

var _ apply.Writer = (*awsiam.Writer)(nil)

// newFakeIAM seeds the environment's account with live.
func newFakeIAM(t *testing.T, cfg manifest.Config, env *manifest.Environment, live *state.Account) *fakeIAM {
	t.Helper()
	srv := iamtest.NewServer(t, iamtest.InProcess())
	fa := srv.Account(env.AccountID)
	fa.PutState(live)
	a, err := awsiam.Connect(context.Background(), srv.AWSConfig(env.AccountID), env, awsiam.ForApply)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	f := &fakeIAM{srv: srv, acct: fa, cfg: cfg, env: env,
		writer: awsiam.NewWriter(a, awsiam.WriterOptions{}), reader: awsiam.NewReader(a, awsiam.Options{})}
	srv.ResetCalls()
	return f
}

// plan reads the account as the product does and plans against it; the
// reads are not counted among the calls and writes that follow.
func (f *fakeIAM) plan(t *testing.T) *plan.Environment {
	t.Helper()
	live, err := f.reader.Read(context.Background(), plan.Needs(f.cfg, f.env, testNow))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	f.srv.ResetCalls()
	return plan.Diff(f.cfg, f.env, live, testNow)
}

// user is the fake's copy of a user, everything included.
func (f *fakeIAM) user(t *testing.T, name string) iamtest.User {
	t.Helper()
	u, ok := f.acct.User(name)
	if !ok {
		t.Fatalf("user %s does not exist", name)
	}
	return u
}

// writes returns the write requests of the plan's operations made since
// the last plan: all but the undelivered-password record, which the writer
// sets and clears around each CreateLoginProfile (recordWrites).
func (f *fakeIAM) writes() []iamtest.Call {
	return slices.DeleteFunc(f.srv.Writes(), isPasswordRecord)
}

// recordWrites returns the writes of the undelivered-password record.
func (f *fakeIAM) recordWrites() []iamtest.Call {
	return slices.DeleteFunc(f.srv.Writes(), func(c iamtest.Call) bool { return !isPasswordRecord(c) })
}

// isPasswordRecord reports whether c sets or clears manifest.PasswordTag.
func isPasswordRecord(c iamtest.Call) bool {
	return (c.Action == "TagUser" && c.Params["Tags.member.1.Key"] == manifest.PasswordTag) ||
		(c.Action == "UntagUser" && c.Params["TagKeys.member.1"] == manifest.PasswordTag)
}

// written returns the write requests that succeeded, in order.
func (f *fakeIAM) written() []iamtest.Call {
	return slices.DeleteFunc(f.writes(), func(c iamtest.Call) bool { return c.Error != "" })
}

// callKey names what a write acts on, leaving out what it sets (documents,
// tags, paths, passwords), so that writing one thing twice shows.
func callKey(c iamtest.Call) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.Params)) {
		switch {
		case k == "PolicyDocument", k == "Password", k == "PasswordResetRequired", k == "Path", k == "NewPath",
			strings.HasPrefix(k, "Tags."):
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%s", k, c.Params[k]))
	}
	return c.Action + " " + strings.Join(parts, " ")
}
