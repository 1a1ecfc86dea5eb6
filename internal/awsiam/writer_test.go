package awsiam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
)

const (
	writerAcct  = "111122223333"
	powerUser   = "arn:aws:iam::aws:policy/PowerUserAccess"
	readOnly    = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	boundaryARN = "arn:aws:iam::111122223333:policy/boundary"
	bobKey      = "AKIABOB0000000000001"
	bobSSH      = "APKABOB0000000000001"
	bobCert     = "BOBCERT000000000000000000000001"
	bobSvcCred  = "ACCABOB0000000000001"
	bobMFA      = "arn:aws:iam::111122223333:mfa/bob"
	denyBilling = `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`
	allowS3     = `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
)

// productConfig is the configuration the CLI builds (LoadConfig, with its
// adaptive retryer), pointed at the fake through the same environment
// variables a user would set. Shared config files are not read.
func productConfig(t testing.TB, s *iamtest.Server, id string) aws.Config {
	t.Helper()
	env := s.Env(id)
	cfg, err := LoadConfig(context.Background(), func(k string) string { return env[k] },
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	return cfg
}

// unpaced is the writer options of tests about what a write does rather
// than IAM's rate: a pacer whose waits end at once, so that the test's
// writes go as fast as the fake answers (at PaceStart's twenty a second,
// a test of a hundred writes would wait seconds). pacer_test.go and the
// convergence tests under throttling keep the real pacing.
func unpaced() WriterOptions {
	return WriterOptions{Pacer: NewPacer(nil, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })}
}

// applySession connects to account id for apply, through role when it is
// not empty, with the product's configuration, changed by edit when given.
func applySession(t testing.TB, s *iamtest.Server, id, role string, edit ...func(*aws.Config)) *Account {
	t.Helper()
	env := &manifest.Environment{Name: "staging", AccountID: id}
	if role != "" {
		env.RoleARN = "arn:aws:iam::" + id + ":role/" + role
	}
	cfg := productConfig(t, s, id)
	for _, e := range edit {
		e(&cfg)
	}
	a, err := Connect(context.Background(), cfg, env, ForApply)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return a
}

// seedWriterAccount puts a group, a policy, a bare user and a user holding
// one of everything into the fake.
func seedWriterAccount(t testing.TB, s *iamtest.Server) *iamtest.Account {
	t.Helper()
	a := s.Account(writerAcct)
	a.CreatePolicy(boundaryARN)
	a.PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{powerUser}, InlinePolicies: map[string]string{"deny-billing": denyBilling}})
	a.PutGroup(iamtest.Group{Name: "old"})
	a.PutUser(iamtest.User{Name: "alice"})
	a.PutUser(iamtest.User{Name: "dave"})
	a.PutUser(iamtest.User{
		Name:                       "bob",
		Tags:                       []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "team", Value: "payments"}},
		Groups:                     []string{"developers"},
		ManagedPolicies:            []string{readOnly},
		InlinePolicies:             map[string]string{"s3": allowS3},
		PermissionsBoundary:        boundaryARN,
		LoginProfile:               &iamtest.LoginProfile{Password: "Old-Passw0rd!"},
		AccessKeys:                 []iamtest.AccessKey{{ID: bobKey}},
		MFADevices:                 []iamtest.MFADevice{{}},
		SSHPublicKeys:              []iamtest.SSHPublicKey{{ID: bobSSH, Body: "ssh-ed25519 AAAA bob"}},
		SigningCertificates:        []iamtest.SigningCertificate{{ID: bobCert, Body: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"}},
		ServiceSpecificCredentials: []iamtest.ServiceSpecificCredential{{ID: bobSvcCred, ServiceName: "codecommit.amazonaws.com"}},
	})
	return a
}

func fakeUser(t testing.TB, a *iamtest.Account, name string) iamtest.User {
	t.Helper()
	u, ok := a.User(name)
	if !ok {
		t.Fatalf("user %s does not exist", name)
	}
	slices.Sort(u.Groups)
	slices.Sort(u.ManagedPolicies)
	return u
}

func fakeGroup(t testing.TB, a *iamtest.Account, name string) iamtest.Group {
	t.Helper()
	g, ok := a.Group(name)
	if !ok {
		t.Fatalf("group %s does not exist", name)
	}
	slices.Sort(g.Members)
	slices.Sort(g.ManagedPolicies)
	return g
}

func userExists(a *iamtest.Account, name string) bool  { _, ok := a.User(name); return ok }
func groupExists(a *iamtest.Account, name string) bool { _, ok := a.Group(name); return ok }

// TestWriteEveryOperation runs each operation type against the fake, reads
// its effect back, then runs it again: the second run must leave the same
// state and either report the goal as already reached (creates and
// removals) or succeed harmlessly (IAM's own idempotent calls).
func TestWriteEveryOperation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op plan.Op
		// seed prepares what the fake needs beyond seedWriterAccount.
		seed func(t *testing.T, c *iam.Client)
		// got reads the operation's effect back from the fake.
		got  func(t *testing.T, a *iamtest.Account) any
		want any
		// againAlreadyDone: the second run reports AlreadyDone (otherwise
		// it must report plain success).
		againAlreadyDone bool
	}{
		{
			op: plan.Op{Type: plan.OpCreateUser, User: "carol", Path: "/people/", PolicyARN: boundaryARN,
				Tags: map[string]string{"roster:managed": "true", "team": "payments"}},
			got: func(t *testing.T, a *iamtest.Account) any {
				u := fakeUser(t, a, "carol")
				return []any{u.Path, u.PermissionsBoundary, u.Tags}
			},
			want:             []any{"/people/", boundaryARN, []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "team", Value: "payments"}}},
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpUpdateUser, User: "bob", Path: "/people/"},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").ARN },
			want: "arn:aws:iam::111122223333:user/people/bob",
		},
		{
			op:               plan.Op{Type: plan.OpDeleteUser, User: "dave"},
			got:              func(t *testing.T, a *iamtest.Account) any { return userExists(a, "dave") },
			want:             false,
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpTagUser, User: "alice", Tags: map[string]string{"roster:managed": "true", "email": "alice@example.com"}},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "alice").Tags },
			want: []iamtest.Tag{{Key: "email", Value: "alice@example.com"}, {Key: "roster:managed", Value: "true"}},
		},
		{
			op:   plan.Op{Type: plan.OpUntagUser, User: "bob", TagKeys: []string{"team"}},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").Tags },
			want: []iamtest.Tag{{Key: "roster:managed", Value: "true"}},
		},
		{
			op:   plan.Op{Type: plan.OpAddUserToGroup, User: "alice", Group: "developers"},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").Members },
			want: []string{"alice", "bob"},
		},
		{
			op:               plan.Op{Type: plan.OpRemoveUserFromGroup, User: "bob", Group: "developers"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").Groups },
			want:             []string{},
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpAttachUserPolicy, User: "alice", PolicyARN: readOnly},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "alice").ManagedPolicies },
			want: []string{readOnly},
		},
		{
			op:               plan.Op{Type: plan.OpDetachUserPolicy, User: "bob", PolicyARN: readOnly},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").ManagedPolicies },
			want:             []string{},
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpPutUserPolicy, User: "alice", PolicyName: "deny-billing", PolicyDocument: denyBilling},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "alice").InlinePolicies },
			want: map[string]string{"deny-billing": denyBilling},
		},
		{
			op:               plan.Op{Type: plan.OpDeleteUserPolicy, User: "bob", PolicyName: "s3"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").InlinePolicies },
			want:             map[string]string{},
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpPutUserPermissionsBoundary, User: "alice", PolicyARN: boundaryARN},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "alice").PermissionsBoundary },
			want: boundaryARN,
		},
		{
			op:               plan.Op{Type: plan.OpDeleteUserPermissionsBoundary, User: "bob"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").PermissionsBoundary },
			want:             "",
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpDeleteLoginProfile, User: "bob"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeUser(t, a, "bob").LoginProfile == nil },
			want:             true,
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpDeleteAccessKey, User: "bob", ID: bobKey},
			got:              func(t *testing.T, a *iamtest.Account) any { return len(fakeUser(t, a, "bob").AccessKeys) },
			want:             0,
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpDeactivateMFADevice, User: "bob", ID: bobMFA},
			got:              func(t *testing.T, a *iamtest.Account) any { return len(fakeUser(t, a, "bob").MFADevices) },
			want:             0,
			againAlreadyDone: true,
		},
		{
			op: plan.Op{Type: plan.OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/spare"},
			seed: func(t *testing.T, c *iam.Client) {
				if _, err := c.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")}); err != nil {
					t.Fatal(err)
				}
			},
			got: func(t *testing.T, a *iamtest.Account) any {
				var serials []string
				for _, d := range a.Snapshot().VirtualMFADevices {
					serials = append(serials, d.SerialNumber)
				}
				return serials
			},
			want:             []string{bobMFA},
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpDeleteSSHPublicKey, User: "bob", ID: bobSSH},
			got:              func(t *testing.T, a *iamtest.Account) any { return len(fakeUser(t, a, "bob").SSHPublicKeys) },
			want:             0,
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpDeleteSigningCertificate, User: "bob", ID: bobCert},
			got:              func(t *testing.T, a *iamtest.Account) any { return len(fakeUser(t, a, "bob").SigningCertificates) },
			want:             0,
			againAlreadyDone: true,
		},
		{
			op: plan.Op{Type: plan.OpDeleteServiceSpecificCredential, User: "bob", ID: bobSvcCred},
			got: func(t *testing.T, a *iamtest.Account) any {
				return len(fakeUser(t, a, "bob").ServiceSpecificCredentials)
			},
			want:             0,
			againAlreadyDone: true,
		},
		{
			op:               plan.Op{Type: plan.OpCreateGroup, Group: "ops", Path: "/teams/"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "ops").ARN },
			want:             "arn:aws:iam::111122223333:group/teams/ops",
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpUpdateGroup, Group: "developers", Path: "/teams/"},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").ARN },
			want: "arn:aws:iam::111122223333:group/teams/developers",
		},
		{
			op:               plan.Op{Type: plan.OpDeleteGroup, Group: "old"},
			got:              func(t *testing.T, a *iamtest.Account) any { return groupExists(a, "old") },
			want:             false,
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpAttachGroupPolicy, Group: "developers", PolicyARN: readOnly},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").ManagedPolicies },
			want: []string{powerUser, readOnly},
		},
		{
			op:               plan.Op{Type: plan.OpDetachGroupPolicy, Group: "developers", PolicyARN: powerUser},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").ManagedPolicies },
			want:             []string{},
			againAlreadyDone: true,
		},
		{
			op:   plan.Op{Type: plan.OpPutGroupPolicy, Group: "developers", PolicyName: "s3", PolicyDocument: allowS3},
			got:  func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").InlinePolicies },
			want: map[string]string{"deny-billing": denyBilling, "s3": allowS3},
		},
		{
			op:               plan.Op{Type: plan.OpDeleteGroupPolicy, Group: "developers", PolicyName: "deny-billing"},
			got:              func(t *testing.T, a *iamtest.Account) any { return fakeGroup(t, a, "developers").InlinePolicies },
			want:             map[string]string{},
			againAlreadyDone: true,
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.op.Type), func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := seedWriterAccount(t, s)
			acct := applySession(t, s, writerAcct, "")
			if tt.seed != nil {
				tt.seed(t, iam.NewFromConfig(acct.Config()))
			}
			w := NewWriter(acct, unpaced())
			s.ResetCalls()

			out, err := w.Write(context.Background(), tt.op)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if diff := cmp.Diff(apply.Outcome{}, out); diff != "" {
				t.Errorf("first Write outcome (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, tt.got(t, fa)); diff != "" {
				t.Errorf("effect (-want +got):\n%s", diff)
			}
			calls := s.Calls()[writerAcct]
			if diff := cmp.Diff(map[string]int{string(tt.op.Type): 1}, calls); diff != "" {
				t.Errorf("IAM calls of one operation (-want +got):\n%s", diff)
			}

			before := fa.Snapshot()
			out, err = w.Write(context.Background(), tt.op)
			if err != nil {
				t.Fatalf("second Write: %v", err)
			}
			if diff := cmp.Diff(apply.Outcome{AlreadyDone: tt.againAlreadyDone}, out); diff != "" {
				t.Errorf("second Write outcome (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, fa.Snapshot()); diff != "" {
				t.Errorf("second Write changed the account (-before +after):\n%s", diff)
			}
		})
	}
}

// TestWriteRealFailures: "not found" and "already exists" are only success
// where they mean the goal is reached; everything else is a failure that
// names the operation and keeps the AWS error.
func TestWriteRealFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   plan.Op
		// script makes the fake answer the operation's action with a code.
		script   string
		wantCode string
		wantMsg  string
	}{
		{
			name:     "tag a missing user",
			op:       plan.Op{Type: plan.OpTagUser, User: "ghost", Tags: map[string]string{"team": "x"}},
			wantCode: "NoSuchEntity",
			wantMsg:  "TagUser ghost team: ",
		},
		{
			name:     "attach a missing customer policy",
			op:       plan.Op{Type: plan.OpAttachUserPolicy, User: "alice", PolicyARN: "arn:aws:iam::111122223333:policy/missing"},
			wantCode: "NoSuchEntity",
			wantMsg:  "AttachUserPolicy alice arn:aws:iam::111122223333:policy/missing: ",
		},
		{
			name:     "add to a missing group",
			op:       plan.Op{Type: plan.OpAddUserToGroup, User: "alice", Group: "nope"},
			wantCode: "NoSuchEntity",
			wantMsg:  "AddUserToGroup alice nope: ",
		},
		{
			name:     "update a missing user",
			op:       plan.Op{Type: plan.OpUpdateUser, User: "ghost", Path: "/x/"},
			wantCode: "NoSuchEntity",
			wantMsg:  "UpdateUser ghost /x/: ",
		},
		{
			name:     "put a policy on a missing group",
			op:       plan.Op{Type: plan.OpPutGroupPolicy, Group: "nope", PolicyName: "p", PolicyDocument: allowS3},
			wantCode: "NoSuchEntity",
			wantMsg:  "PutGroupPolicy nope p: ",
		},
		{
			name:     "boundary that does not exist",
			op:       plan.Op{Type: plan.OpPutUserPermissionsBoundary, User: "alice", PolicyARN: "arn:aws:iam::111122223333:policy/missing"},
			wantCode: "NoSuchEntity",
			wantMsg:  "PutUserPermissionsBoundary alice arn:aws:iam::111122223333:policy/missing: ",
		},
		{
			name:     "delete a user that still has things attached",
			op:       plan.Op{Type: plan.OpDeleteUser, User: "bob"},
			wantCode: "DeleteConflict",
			wantMsg:  "DeleteUser bob: ",
		},
		{
			name:     "delete a group that still has members",
			op:       plan.Op{Type: plan.OpDeleteGroup, Group: "developers"},
			wantCode: "DeleteConflict",
			wantMsg:  "DeleteGroup developers: ",
		},
		{
			name:     "delete a virtual MFA device still in use",
			op:       plan.Op{Type: plan.OpDeleteVirtualMFADevice, ID: bobMFA},
			wantCode: "DeleteConflict",
			wantMsg:  "DeleteVirtualMFADevice " + bobMFA + ": ",
		},
		{
			name:     "quota",
			op:       plan.Op{Type: plan.OpAttachGroupPolicy, Group: "developers", PolicyARN: readOnly},
			script:   "LimitExceeded",
			wantCode: "LimitExceeded",
			wantMsg:  "AttachGroupPolicy developers " + readOnly + ": ",
		},
		{
			name:     "concurrent modification after retries",
			op:       plan.Op{Type: plan.OpPutUserPolicy, User: "alice", PolicyName: "p", PolicyDocument: allowS3},
			script:   "ConcurrentModification",
			wantCode: "ConcurrentModification",
			wantMsg:  "PutUserPolicy alice p: ",
		},
		{
			name:     "console password for a missing user",
			op:       plan.Op{Type: plan.OpCreateLoginProfile, User: "ghost", PGPKey: testKey(t).Armored},
			wantCode: "NoSuchEntity",
			wantMsg:  "CreateLoginProfile ghost: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
			fa := seedWriterAccount(t, s)
			w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
			if tt.script != "" {
				s.FailNext(string(tt.op.Type), tt.script, 1)
			}
			before := fa.Snapshot()
			out, err := w.Write(context.Background(), tt.op)
			if err == nil {
				t.Fatalf("Write succeeded (%+v), want %s", out, tt.wantCode)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != tt.wantCode {
				t.Errorf("Write error = %v, want AWS error %s (errors.As)", err, tt.wantCode)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("Write error = %q, want it to start with %q", err, tt.wantMsg)
			}
			if diff := cmp.Diff(apply.Outcome{}, out); diff != "" {
				t.Errorf("outcome of a failed write (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, fa.Snapshot()); diff != "" {
				t.Errorf("a failed write changed the account (-before +after):\n%s", diff)
			}
		})
	}
}

// TestWriteAccessDenied: a role without the permission gets an error naming
// the permission to grant, and the operation.
func TestWriteAccessDenied(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	fa.AddRole("roster-apply", "iam:Get*", "iam:List*", "iam:CreateUser")
	w := NewWriter(applySession(t, s, writerAcct, "roster-apply"), WriterOptions{})

	_, err := w.Write(context.Background(), plan.Op{Type: plan.OpAttachUserPolicy, User: "alice", PolicyARN: readOnly})
	var ad *AccessDeniedError
	if !errors.As(err, &ad) {
		t.Fatalf("Write error = %v, want an AccessDeniedError", err)
	}
	if ad.Action != "iam:AttachUserPolicy" {
		t.Errorf("missing permission = %q, want iam:AttachUserPolicy", ad.Action)
	}
	for _, want := range []string{"AttachUserPolicy alice " + readOnly + ": ", "grant iam:AttachUserPolicy", "roster-apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Write error = %q, want it to contain %q", err, want)
		}
	}
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" {
		t.Errorf("Write error does not unwrap to the AWS error: %v", err)
	}
	if _, err := w.Write(context.Background(), plan.Op{Type: plan.OpCreateUser, User: "carol"}); err != nil {
		t.Errorf("an allowed operation failed: %v", err)
	}
}

// TestWriteUnknownOperation: an operation type the writer does not know is
// an error, and nothing is called.
func TestWriteUnknownOperation(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
	s.ResetCalls()
	_, err := w.Write(context.Background(), plan.Op{Type: "RenameUser", User: "alice"})
	if err == nil || !strings.Contains(err.Error(), `unknown operation type "RenameUser"`) {
		t.Errorf("Write(RenameUser) error = %v, want an unknown operation error", err)
	}
	if n := s.TotalCalls(writerAcct); n != 0 {
		t.Errorf("%d IAM calls for an unknown operation, want 0", n)
	}
}

// newTestLogger logs everything to buf, so tests can search it.
func newTestLogger(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// convergeOps is a plan's worth of operations over seedWriterAccount, in an
// order IAM accepts: a group created and filled, another changed and one
// deleted; a user created with console access; one adopted and given
// console access; one offboarded completely and one deleted.
func convergeOps(pgpKey string) []plan.Op {
	return []plan.Op{
		{Type: plan.OpCreateGroup, Group: "ops", Path: "/teams/"},
		{Type: plan.OpAttachGroupPolicy, Group: "ops", PolicyARN: readOnly},
		{Type: plan.OpPutGroupPolicy, Group: "ops", PolicyName: "s3", PolicyDocument: allowS3},
		{Type: plan.OpUpdateGroup, Group: "developers", Path: "/teams/"},
		{Type: plan.OpDetachGroupPolicy, Group: "developers", PolicyARN: powerUser},
		{Type: plan.OpDeleteGroupPolicy, Group: "developers", PolicyName: "deny-billing"},
		{Type: plan.OpAttachGroupPolicy, Group: "developers", PolicyARN: readOnly},

		{Type: plan.OpCreateUser, User: "carol", Path: "/people/", PolicyARN: boundaryARN, Tags: map[string]string{"roster:managed": "true", "team": "ops"}},
		{Type: plan.OpAddUserToGroup, User: "carol", Group: "ops"},
		{Type: plan.OpAttachUserPolicy, User: "carol", PolicyARN: powerUser},
		{Type: plan.OpPutUserPolicy, User: "carol", PolicyName: "deny-billing", PolicyDocument: denyBilling},
		{Type: plan.OpCreateLoginProfile, User: "carol", PGPKey: pgpKey},

		{Type: plan.OpTagUser, User: "alice", Tags: map[string]string{"roster:managed": "true"}},
		{Type: plan.OpUpdateUser, User: "alice", Path: "/people/"},
		{Type: plan.OpTagUser, User: "alice", Tags: map[string]string{"email": "alice@example.com"}},
		{Type: plan.OpPutUserPermissionsBoundary, User: "alice", PolicyARN: boundaryARN},
		{Type: plan.OpAddUserToGroup, User: "alice", Group: "developers"},
		{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: pgpKey},

		{Type: plan.OpUntagUser, User: "bob", TagKeys: []string{"team"}},
		{Type: plan.OpDeleteLoginProfile, User: "bob"},
		{Type: plan.OpDeleteAccessKey, User: "bob", ID: bobKey},
		{Type: plan.OpDeactivateMFADevice, User: "bob", ID: bobMFA},
		{Type: plan.OpDeleteVirtualMFADevice, ID: bobMFA},
		{Type: plan.OpDeleteSSHPublicKey, User: "bob", ID: bobSSH},
		{Type: plan.OpDeleteSigningCertificate, User: "bob", ID: bobCert},
		{Type: plan.OpDeleteServiceSpecificCredential, User: "bob", ID: bobSvcCred},
		{Type: plan.OpRemoveUserFromGroup, User: "bob", Group: "developers"},
		{Type: plan.OpDetachUserPolicy, User: "bob", PolicyARN: readOnly},
		{Type: plan.OpDeleteUserPolicy, User: "bob", PolicyName: "s3"},
		{Type: plan.OpDeleteUserPermissionsBoundary, User: "bob"},
		{Type: plan.OpDeleteUser, User: "bob"},

		{Type: plan.OpDeleteUser, User: "dave"},
		{Type: plan.OpDeleteGroup, Group: "old"},
	}
}

// stableSnapshot is an account's state without what differs between two
// equal histories: generated IDs, dates and console passwords.
func stableSnapshot(a *iamtest.Account) iamtest.Snapshot {
	snap := a.Snapshot()
	snap.Roles = nil
	for i := range snap.Users {
		u := &snap.Users[i]
		u.ID, u.CreateDate = "", time.Time{}
		if u.LoginProfile != nil {
			u.LoginProfile = &iamtest.LoginProfile{PasswordResetRequired: u.LoginProfile.PasswordResetRequired}
		}
	}
	for i := range snap.Groups {
		snap.Groups[i].ID, snap.Groups[i].CreateDate = "", time.Time{}
	}
	for i := range snap.VirtualMFADevices {
		snap.VirtualMFADevices[i].EnableDate = time.Time{}
	}
	for i := range snap.Policies {
		snap.Policies[i].ID, snap.Policies[i].CreateDate = "", time.Time{}
	}
	return snap
}

// writeKey identifies a write request by its action and parameters, the
// password left out (a reset sends a fresh one).
func writeKey(c iamtest.Call) string {
	params := maps.Clone(c.Params)
	delete(params, "Password")
	keys := slices.Sorted(maps.Keys(params))
	var b strings.Builder
	b.WriteString(c.Action)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, params[k])
	}
	return b.String()
}

// TestWriteConvergesUnderFaults runs a plan's operations against a fake that
// throttles, fails and drops connections (also after committing a write):
// the product's write retryer (paced, standard mode) and the writer's
// idempotency reach the same account state as a run without faults, with no
// write taking effect twice, and every console password handed out is the
// one IAM holds. Only the backoff between attempts is shortened (see
// withBackoff).
func TestWriteConvergesUnderFaults(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	ops := convergeOps(k.Armored)

	// The state a run without faults reaches.
	clean := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	cleanAcct := seedWriterAccount(t, clean)
	cw := NewWriter(applySession(t, clean, writerAcct, ""), WriterOptions{})
	for _, op := range ops {
		if out, err := cw.Write(context.Background(), op); err != nil || out.AlreadyDone {
			t.Fatalf("without faults: Write(%s) = %+v, %v", describe(op), out, err)
		}
	}
	want := stableSnapshot(cleanAcct)

	faults := map[string]iamtest.Faults{
		"throttling 30%":               {Throttle: 0.3},
		"throttling 30%, 5xx 5%":       {Throttle: 0.3, ServerError: 0.05},
		"dropped connections 15%":      {Drop: 0.15},
		"dropped after commit 20%":     {Drop: 0.2, DropAfterCommit: true},
		"all, dropped after commit 5%": {Throttle: 0.3, ServerError: 0.05, Drop: 0.05, DropAfterCommit: true},
	}
	// The scenarios mostly sleep in the retryer's backoff and the pacer's
	// waits, so they run at once rather than in t.Parallel's CPU-bound
	// slots.
	var wg sync.WaitGroup
	for name, f := range faults {
		for seed := range int64(2) {
			wg.Go(func() {
				t.Run(fmt.Sprintf("%s/seed %d", name, seed), func(t *testing.T) {
					s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
					fa := seedWriterAccount(t, s)
					// The pacer runs on a clock of its own that moves when it
					// waits: it still paces and follows the throttles, without
					// holding the test up in real time.
					pacer, _ := newTestPacer()
					w := NewWriter(applySession(t, s, writerAcct, "", withBackoff(10*time.Millisecond)), WriterOptions{Pacer: pacer})
					f := f // both seeds of this fault set run at once
					f.Seed = seed
					s.SetFaults(f)

					passwords := map[string]string{}
					for _, op := range ops {
						out, err := w.Write(context.Background(), op)
						if err != nil {
							t.Fatalf("Write(%s): %v", describe(op), err)
						}
						if out.EncryptedPassword != "" {
							passwords[op.User] = k.Decrypt(t, out.EncryptedPassword)
						}
					}
					s.SetFaults(iamtest.Faults{})

					if diff := cmp.Diff(want, stableSnapshot(fa)); diff != "" {
						t.Errorf("state after a run with faults (-without +with):\n%s", diff)
					}
					for _, name := range []string{"alice", "carol"} {
						if got, held := passwords[name], fakeUser(t, fa, name).LoginProfile.Password; got != held {
							t.Errorf("%s was handed password %q, IAM holds %q", name, got, held)
						}
					}

					// Every write took effect at most once: a retried request
					// either failed (its effect was not applied, or "already
					// done") or is the only success of its kind.
					succeeded := map[string]int{}
					faulted := 0
					for _, c := range s.Writes() {
						switch c.Error {
						case "":
							succeeded[writeKey(c)]++
						case "Throttling", "ServiceFailure", "Dropped":
							faulted++
						}
					}
					for key, n := range succeeded {
						if n > 1 {
							t.Errorf("%d successful writes of %s, want 1", n, key)
						}
					}
					if faulted == 0 {
						t.Error("no write was faulted: the test proves nothing")
					}
					t.Logf("%d operations: %d write requests, %d of them faulted", len(ops), len(s.Writes()), faulted)
				})
			})
		}
	}
	wg.Wait()
}

// withBackoff changes LoadConfig's retryer to wait d between attempts,
// keeping its attempts and bounds: the write retryer made from it is the
// product's but for the waits.
func withBackoff(d time.Duration) func(*aws.Config) {
	return func(cfg *aws.Config) {
		r := cfg.Retryer().(*readRetryer)
		cfg.Retryer = func() aws.Retryer {
			rr := newReadRetryer(r.MaxAttempts(), r.bounds)
			rr.backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return d, nil })
			return rr
		}
	}
}

// TestWriterUsesTheProductRetryer: the writer's client retries with the
// write retryer (paced, standard mode, MaxAttempts), not the SDK's default
// nor the read retryer LoadConfig configures.
func TestWriterUsesTheProductRetryer(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
	r := w.iam.Options().Retryer
	wr, ok := r.(*writeRetryer)
	if !ok {
		t.Fatalf("writer retries with %T, want the paced write retryer (*writeRetryer)", r)
	}
	if _, ok := wr.RetryerV2.(*boundedRetryer); !ok {
		t.Errorf("write retryer wraps %T, want one bounded by the writes semaphore", wr.RetryerV2)
	}
	if got := r.MaxAttempts(); got != MaxAttempts {
		t.Errorf("writer makes at most %d attempts, want MaxAttempts (%d)", got, MaxAttempts)
	}
}

// losingTransport is an HTTP client that delivers every write request to the server and loses the
// server's answer the first time it sees that request, as a connection
// reset after IAM committed the write would. Retries of the same request
// get their answer.
type losingTransport struct {
	base aws.HTTPClient
	mu   sync.Mutex
	seen map[string]bool
	lost []string
}

func (lt *losingTransport) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	action := form.Get("Action")
	lose := false
	if isWriteAction(action) {
		lt.mu.Lock()
		lose = !lt.seen[string(body)]
		lt.seen[string(body)] = true
		if lose {
			lt.lost = append(lt.lost, action)
		}
		lt.mu.Unlock()
	}
	resp, err := lt.base.Do(req)
	if err != nil || !lose {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

func isWriteAction(action string) bool {
	for _, p := range []string{"Create", "Update", "Delete", "Put", "Attach", "Detach", "Add", "Remove", "Tag", "Untag", "Deactivate"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// TestWriteConvergesWhenEveryResponseIsLost: every write IAM commits loses
// its answer once, so every operation meets the state its own first attempt
// left behind. Each still reaches its goal (creates and removals report
// AlreadyDone), the account ends as after a clean run, and the console
// passwords handed out are the ones IAM holds after the reset.
func TestWriteConvergesWhenEveryResponseIsLost(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	ops := convergeOps(k.Armored)

	clean := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	cleanAcct := seedWriterAccount(t, clean)
	cw := NewWriter(applySession(t, clean, writerAcct, ""), WriterOptions{})
	for _, op := range ops {
		if _, err := cw.Write(context.Background(), op); err != nil {
			t.Fatalf("without lost answers: Write(%s): %v", describe(op), err)
		}
	}

	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	lt := &losingTransport{seen: map[string]bool{}}
	pacer, _ := newTestPacer() // paces on its own clock, without waiting
	w := NewWriter(applySession(t, s, writerAcct, "", withBackoff(10*time.Millisecond), func(cfg *aws.Config) {
		lt.base = cfg.HTTPClient
		cfg.HTTPClient = lt
	}), WriterOptions{Pacer: pacer})
	var alreadyDone []plan.OpType
	for _, op := range ops {
		out, err := w.Write(context.Background(), op)
		if err != nil {
			t.Fatalf("Write(%s): %v", describe(op), err)
		}
		if out.AlreadyDone {
			alreadyDone = append(alreadyDone, op.Type)
		}
		if out.EncryptedPassword != "" {
			if got, held := k.Decrypt(t, out.EncryptedPassword), fakeUser(t, fa, op.User).LoginProfile.Password; got != held {
				t.Errorf("%s was handed password %q, IAM holds %q", op.User, got, held)
			}
		}
	}
	if diff := cmp.Diff(stableSnapshot(cleanAcct), stableSnapshot(fa)); diff != "" {
		t.Errorf("state (-clean run +lost answers):\n%s", diff)
	}
	var wantDone []plan.OpType
	for _, op := range ops {
		// UntagUser is the one removal IAM itself makes idempotent.
		if (removes(op.Type) && op.Type != plan.OpUntagUser) || op.Type == plan.OpCreateUser || op.Type == plan.OpCreateGroup {
			wantDone = append(wantDone, op.Type)
		}
	}
	if diff := cmp.Diff(wantDone, alreadyDone); diff != "" {
		t.Errorf("operations reporting AlreadyDone (-want +got):\n%s", diff)
	}
	// Each operation's first answer was lost, plus the reset of both login
	// profiles and the undelivered-password record's TagUser and UntagUser
	// around each.
	if got, want := len(lt.lost), len(ops)+2+4; got != want {
		t.Errorf("%d answers lost, want %d", got, want)
	}
	// The resets' own retries repeat the same request.
	resets := map[string]bool{}
	for _, c := range s.Writes() {
		if c.Action == "UpdateLoginProfile" && c.Error == "" {
			resets[c.Params["UserName"]+" "+c.Params["Password"]] = true
		}
	}
	if len(resets) != 2 {
		t.Errorf("%d distinct login profile resets, want 2 (one per lost CreateLoginProfile answer)", len(resets))
	}
}

// TestWritePermissionsSuffice: a role granted exactly WritePermissions can
// carry out every kind of operation, including the reset of a login profile
// left behind by an earlier attempt.
func TestWritePermissionsSuffice(t *testing.T) {
	t.Parallel()
	k := testKey(t)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	fa.PutUser(iamtest.User{Name: "erin", LoginProfile: &iamtest.LoginProfile{Password: "Left-Behind-1!"}})
	fa.AddRole("roster-apply", WritePermissions...)
	w := NewWriter(applySession(t, s, writerAcct, "roster-apply"), unpaced())
	ops := append(convergeOps(k.Armored), plan.Op{Type: plan.OpCreateLoginProfile, User: "erin", PGPKey: k.Armored})
	for _, op := range ops {
		if _, err := w.Write(context.Background(), op); err != nil {
			t.Errorf("Write(%s): %v", describe(op), err)
		}
	}
	if !slices.IsSorted(WritePermissions) {
		t.Error("WritePermissions is not sorted")
	}
}

// TestWriteKnowsEveryOperationType: every OpType declared in package plan
// reaches an IAM call (a new type without a case here fails this test).
func TestWriteKnowsEveryOperationType(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "plan", "plan.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []plan.OpType
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "OpType" {
				continue
			}
			for _, v := range vs.Values {
				lit, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				types = append(types, plan.OpType(lit))
			}
		}
	}
	if len(types) < 28 {
		t.Fatalf("found %d operation types in plan.go, want at least 28: is the parser looking at the right file?", len(types))
	}
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	w := NewWriter(applySession(t, s, writerAcct, ""), unpaced())
	s.ResetCalls()
	for _, typ := range types {
		// The account is empty, so most calls fail; none may be unknown.
		_, err := w.Write(context.Background(), plan.Op{
			Type: typ, User: "nobody", Group: "nobody", ID: "x", PGPKey: testKey(t).Armored,
			Tags: map[string]string{"team": "x"}, TagKeys: []string{"team"}, PolicyARN: readOnly, PolicyName: "p", PolicyDocument: allowS3,
		})
		if err != nil && strings.Contains(err.Error(), "unknown operation type") {
			t.Errorf("Write does not know %s", typ)
		}
	}
	want := map[string]int{"GetAccountPasswordPolicy": 1}
	for _, typ := range types {
		want[string(typ)] = 1
	}
	// CreateLoginProfile first records the password as undelivered; that
	// TagUser finds no user, so no CreateLoginProfile is sent.
	want["TagUser"]++
	delete(want, string(plan.OpCreateLoginProfile))
	if diff := cmp.Diff(want, s.Calls()[writerAcct]); diff != "" {
		t.Errorf("IAM calls, one per operation type (-want +got):\n%s", diff)
	}
}

// TestWriteCancelled: a cancelled run makes no call and says so, so apply
// can tell cancellation from IAM refusing the write.
func TestWriteCancelled(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(writerAcct))
	fa := seedWriterAccount(t, s)
	w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{})
	s.ResetCalls()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, op := range []plan.Op{
		{Type: plan.OpDeleteUser, User: "dave"},
		{Type: plan.OpCreateLoginProfile, User: "alice", PGPKey: testKey(t).Armored},
	} {
		_, err := w.Write(ctx, op)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write(%s) with a cancelled context = %v, want context.Canceled", describe(op), err)
		}
	}
	if n := s.TotalCalls(writerAcct); n != 0 {
		t.Errorf("%d IAM calls after cancellation, want 0", n)
	}
	if !userExists(fa, "dave") {
		t.Error("a cancelled DeleteUser deleted the user")
	}
}
