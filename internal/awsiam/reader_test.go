package awsiam

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// TestReadersAgree is the property test: for many random accounts, the
// account-wide reader and the per-user reader return the same state, and it
// is the state that was seeded, with exactly the details needs asked for.
func TestReadersAgree(t *testing.T) {
	t.Parallel()
	type tc struct {
		seed  uint64
		users int
	}
	var cases []tc
	for seed := range uint64(12) {
		cases = append(cases, tc{seed: seed, users: int(seed * 7 % 60)})
	}
	// More items than one GetAccountAuthorizationDetails or ListUsers page.
	cases = append(cases, tc{seed: 99, users: 1100})
	for _, c := range cases {
		t.Run(fmt.Sprintf("seed=%d/users=%d", c.seed, c.users), func(t *testing.T) {
			t.Parallel()
			if testing.Short() && c.users > 100 {
				t.Skip("large account in -short mode")
			}
			s := iamtest.NewServer(t)
			const id = "111122223333"
			sd := seedAccount(t, s, id, rand.New(rand.NewPCG(c.seed, 7)), c.users)
			s.Account(id).AddRole("roster-plan")
			acct := connectTo(t, s, id, "roster-plan")
			ctx := context.Background()

			s.ResetCalls()
			fast, err := NewAuthDetailsReader(acct, Options{}).Read(ctx, sd.needs)
			if err != nil {
				t.Fatalf("AuthDetailsReader.Read: %v", err)
			}
			if diff := cmp.Diff(sd.want, fast); diff != "" {
				t.Errorf("AuthDetailsReader: state (-want +got):\n%s", diff)
			}
			calls := s.Calls()[id]
			if got := calls["GetLoginProfile"]; got != sd.login {
				t.Errorf("AuthDetailsReader made %d GetLoginProfile calls, want %d (one per user needs asks about)", got, sd.login)
			}
			if got := calls["ListAccessKeys"]; got != sd.creds {
				t.Errorf("AuthDetailsReader made %d ListAccessKeys calls, want %d", got, sd.creds)
			}
			pages := calls["GetAccountAuthorizationDetails"]
			if items := len(sd.want.Users) + len(sd.want.Groups); items > pageSize && pages < 2 {
				t.Errorf("%d users and groups read in %d GetAccountAuthorizationDetails page(s)", items, pages)
			}
			// One ListVirtualMFADevices page lists the unassigned devices.
			if want := pages + sd.login + 5*sd.creds + 1; s.TotalCalls(id) != want {
				t.Errorf("AuthDetailsReader made %d calls, want %d: %v", s.TotalCalls(id), want, calls)
			}

			s.ResetCalls()
			slow, err := NewPerUserReader(acct, Options{Concurrency: 4}).Read(ctx, sd.needs)
			if err != nil {
				t.Fatalf("PerUserReader.Read: %v", err)
			}
			if diff := cmp.Diff(fast, slow); diff != "" {
				t.Errorf("PerUserReader differs from AuthDetailsReader (-fast +per-user):\n%s", diff)
			}
			calls = s.Calls()[id]
			if calls["GetAccountAuthorizationDetails"] != 0 {
				t.Errorf("PerUserReader called GetAccountAuthorizationDetails")
			}
			if got := calls["GetLoginProfile"]; got != sd.login {
				t.Errorf("PerUserReader made %d GetLoginProfile calls, want %d", got, sd.login)
			}
		})
	}
}

// TestNilNeedsReadsNoDetails: without a needs function only the account-wide
// reads happen (users and groups, and the unassigned virtual MFA devices).
func TestNilNeedsReadsNoDetails(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	seedAccount(t, s, id, rand.New(rand.NewPCG(1, 2)), 30)
	acct := connectTo(t, s, id, "")
	s.ResetCalls()
	got, err := NewReader(acct, Options{}).Read(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range got.Users {
		if u.Details != 0 || u.LoginProfile || u.AccessKeys != nil {
			t.Errorf("user %s: details read without being asked: %+v", name, u)
		}
	}
	if n := s.TotalCalls(id) - s.CallCount(id, "GetAccountAuthorizationDetails") - s.CallCount(id, "ListVirtualMFADevices"); n != 0 {
		t.Errorf("%d calls besides GetAccountAuthorizationDetails and ListVirtualMFADevices: %v", n, s.Calls()[id])
	}
}

// TestReadersListUnassignedMFADevices: both readers list the account's
// virtual MFA devices that no user has, sorted, and only those, across
// ListVirtualMFADevices pages.
func TestReadersListUnassignedMFADevices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	a := s.Account(id)
	a.PutUser(iamtest.User{Name: "alice", MFADevices: []iamtest.MFADevice{{}}})
	a.AddRole("roster-plan")
	c := iam.NewFromConfig(s.AWSConfig(id))
	var want []string
	for i := range pageSize + 2 {
		name := fmt.Sprintf("left-%04d", i)
		if _, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, "arn:aws:iam::111122223333:mfa/"+name)
	}
	acct := connectTo(t, s, id, "roster-plan")
	for _, r := range []Reader{NewAuthDetailsReader(acct, Options{}), NewPerUserReader(acct, Options{})} {
		s.ResetCalls()
		got, err := r.Read(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.UnassignedMFADevices); diff != "" {
			t.Errorf("%T: unassigned devices (-want +got):\n%s", r, diff)
		}
		if n := s.CallCount(id, "ListVirtualMFADevices"); n != 2 {
			t.Errorf("%T: %d ListVirtualMFADevices calls for %d devices, want 2 pages", r, n, len(want))
		}
	}
}

// TestFallbackWithoutAuthorizationDetails: a role that may not call
// GetAccountAuthorizationDetails still gets the full state, through the
// per-user reader, and the fallback is logged.
func TestFallbackWithoutAuthorizationDetails(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	sd := seedAccount(t, s, id, rand.New(rand.NewPCG(5, 5)), 40)
	s.Account(id).AddRole("narrow", "iam:List*", "iam:GetUser", "iam:GetUserPolicy", "iam:GetGroupPolicy", "iam:GetLoginProfile")
	acct := connectTo(t, s, id, "narrow")

	var log bytes.Buffer
	r := NewReader(acct, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	got, err := r.Read(context.Background(), sd.needs)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if diff := cmp.Diff(sd.want, got); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if !r.FellBack() {
		t.Error("FellBack() = false, want true")
	}
	if !strings.Contains(log.String(), "iam:GetAccountAuthorizationDetails") || !strings.Contains(log.String(), acct.Env) {
		t.Errorf("log does not explain the fallback:\n%s", log.String())
	}

	// With the permission, no fallback.
	s.Account(id).AddRole("wide")
	r = NewReader(connectTo(t, s, id, "wide"), Options{})
	if _, err := r.Read(context.Background(), sd.needs); err != nil {
		t.Fatal(err)
	}
	if r.FellBack() {
		t.Error("FellBack() = true for a role with iam:GetAccountAuthorizationDetails")
	}
}

// TestAccessDeniedNamesPermission: a missing permission is reported with
// the environment, the role and the IAM action to grant.
func TestAccessDeniedNamesPermission(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		allow  []string
		reader func(*Account) Reader
		action string
	}{
		{
			name:   "login profile",
			allow:  []string{"iam:GetAccountAuthorizationDetails", "iam:List*"},
			reader: func(a *Account) Reader { return NewReader(a, Options{}) },
			action: "iam:GetLoginProfile",
		},
		{
			name:   "per-user reader without GetUser",
			allow:  []string{"iam:List*", "iam:Get*Policy", "iam:GetLoginProfile"},
			reader: func(a *Account) Reader { return NewReader(a, Options{}) },
			action: "iam:GetUser",
		},
		{
			name:   "fast reader alone",
			allow:  []string{"iam:List*"},
			reader: func(a *Account) Reader { return NewAuthDetailsReader(a, Options{}) },
			action: "iam:GetAccountAuthorizationDetails",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			const id = "444455556666"
			s.Account(id).PutUser(iamtest.User{Name: "alice", Tags: []iamtest.Tag{{Key: managedTag, Value: "true"}}})
			s.Account(id).AddRole("roster-plan", tt.allow...)
			acct := connectTo(t, s, id, "roster-plan")
			_, err := tt.reader(acct).Read(context.Background(), testNeeds)
			var ad *AccessDeniedError
			if !errors.As(err, &ad) {
				t.Fatalf("Read error = %v, want an AccessDeniedError", err)
			}
			role := "arn:aws:iam::444455556666:role/roster-plan"
			want := fmt.Sprintf("environment %s: role %s is not allowed to call %s; grant %s to it", acct.Env, role, tt.action, tt.action)
			if err.Error() != want {
				t.Errorf("error:\n got %s\nwant %s", err, want)
			}
			if ad.Env != acct.Env || ad.Role != role || ad.Action != tt.action || ad.AssumeRole {
				t.Errorf("AccessDeniedError = %+v", ad)
			}
		})
	}
}

// TestThrottlingRetried: throttled calls are retried by the read retryer
// until they succeed, and the state is the same as without faults.
func TestThrottlingRetried(t *testing.T) {
	t.Parallel()
	readers := map[string]func(*Account) Reader{
		"fast":     func(a *Account) Reader { return NewAuthDetailsReader(a, Options{}) },
		"per-user": func(a *Account) Reader { return NewPerUserReader(a, Options{}) },
	}
	for name, newReader := range readers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			const id = "111122223333"
			sd := seedAccount(t, s, id, rand.New(rand.NewPCG(3, 3)), 5)
			env := envFor(id, "")
			// Retry as LoadConfig configures it, with waits of 5 ms
			// instead of the SDK's backoff (up to seconds at the 50%
			// throttling below).
			base := s.AWSConfig(id)
			base.Retryer = func() aws.Retryer {
				return &readRetryer{RetryerV2: standard(MaxAttempts, retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil }))}
			}
			read := func() *state.Account {
				t.Helper()
				// A new session each time.
				acct, err := Connect(context.Background(), base, env, ForPlan)
				if err != nil {
					t.Fatal(err)
				}
				s.ResetCalls()
				got, err := newReader(acct).Read(context.Background(), sd.needs)
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
				return got
			}
			read()
			calm := s.TotalCalls(id)

			s.SetFaults(iamtest.Faults{Throttle: 0.5, Seed: 42, Actions: []string{"GetAccountAuthorizationDetails", "ListUsers", "ListGroups"}})
			got := read()
			if diff := cmp.Diff(sd.want, got); diff != "" {
				t.Errorf("state under throttling (-want +got):\n%s", diff)
			}
			if s.TotalCalls(id) <= calm {
				t.Errorf("%d calls under throttling, %d without: nothing was retried", s.TotalCalls(id), calm)
			}
		})
	}
}

// TestReadAll reads several environments at once; one failing environment
// does not hide the others, and its error names it.
func TestReadAll(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	ids := []string{"111111111111", "222222222222", "333333333333"}
	var wants []*state.Account
	for i, id := range ids {
		sd := seedAccount(t, s, id, rand.New(rand.NewPCG(uint64(i), 11)), 10+i)
		s.Account(id).AddRole("roster-plan")
		wants = append(wants, sd.want)
	}
	envs := []*manifest.Environment{
		envFor(ids[0], "arn:aws:iam::111111111111:role/roster-plan"),
		envFor(ids[1], "arn:aws:iam::222222222222:role/roster-plan"),
		envFor(ids[2], "arn:aws:iam::333333333333:role/roster-plan"),
		envFor("444444444444", "arn:aws:iam::333333333333:role/roster-plan"), // wrong account
	}
	envs[3].Name = "broken"
	results, err := ReadAll(context.Background(), s.AWSConfig("999999999999"), envs, ForPlan,
		func(*manifest.Environment) func(*state.User) state.Details { return testNeeds }, Options{})
	var am *AccountMismatchError
	if !errors.As(err, &am) || am.Env != "broken" {
		t.Fatalf("ReadAll error = %v, want an account mismatch for environment broken", err)
	}
	for i, want := range wants {
		if results[i].Err != nil {
			t.Fatalf("environment %s: %v", envs[i].Name, results[i].Err)
		}
		if diff := cmp.Diff(want, results[i].Live); diff != "" {
			t.Errorf("environment %s (-want +got):\n%s", envs[i].Name, diff)
		}
	}
	if results[3].Live != nil {
		t.Error("the broken environment has a live state")
	}
}

// TestReadPermissionsSuffice: a role granted exactly the documented
// permissions reads the account, with the fast reader or through the
// fallback.
func TestReadPermissionsSuffice(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		allow    []string
		fellBack bool
	}{
		"ReadPermissions":        {ReadPermissions, false},
		"PerUserReadPermissions": {PerUserReadPermissions, true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			const id = "111122223333"
			sd := seedAccount(t, s, id, rand.New(rand.NewPCG(13, 1)), 30)
			s.Account(id).AddRole("roster-plan", tc.allow...)
			r := NewReader(connectTo(t, s, id, "roster-plan"), Options{})
			got, err := r.Read(context.Background(), sd.needs)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(sd.want, got); diff != "" {
				t.Errorf("state (-want +got):\n%s", diff)
			}
			if r.FellBack() != tc.fellBack {
				t.Errorf("FellBack() = %v, want %v", r.FellBack(), tc.fellBack)
			}
		})
	}
}

// TestReadCanceled: a canceled read stops and says which environment it was
// reading.
func TestReadCanceled(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	sd := seedAccount(t, s, id, rand.New(rand.NewPCG(21, 2)), 40)
	acct := connectTo(t, s, id, "")
	for name, r := range map[string]Reader{
		"fast":     NewAuthDetailsReader(acct, Options{}),
		"per-user": NewPerUserReader(acct, Options{}),
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := r.Read(ctx, sd.needs)
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "environment "+acct.Env+": ") {
			t.Errorf("%s reader: Read after cancel = %v, want context.Canceled naming the environment", name, err)
		}
	}
}
