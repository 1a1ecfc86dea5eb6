package iamtest_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// TestWritesRecordNoOps: writes IAM accepts without changing anything are
// marked, so that a test can require every write to do something; writes
// that change state are not, and the network path and the in-process one
// record the same.
func TestWritesRecordNoOps(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]iamtest.Option{nil, {iamtest.InProcess()}} {
		s := iamtest.NewServer(t, append(opts, iamtest.WithDefaultAccount(acctA))...)
		a := s.Account(acctA)
		a.PutGroup(iamtest.Group{Name: "devs"})
		a.PutUser(iamtest.User{Name: "ann", Tags: []iamtest.Tag{{Key: "team", Value: "x"}}})
		c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
		const read = "arn:aws:iam::aws:policy/ReadOnlyAccess"
		for range 2 {
			must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: str("ann"), PolicyArn: str(read)}))(t)
			must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: str("devs"), PolicyArn: str(read)}))(t)
			must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: str("ann"), GroupName: str("devs")}))(t)
			must(c.UntagUser(ctx, &iam.UntagUserInput{UserName: str("ann"), TagKeys: []string{"team"}}))(t)
		}
		must(c.TagUser(ctx, &iam.TagUserInput{UserName: str("ann"), Tags: []types.Tag{{Key: str("team"), Value: str("y")}}}))(t)
		var got []string
		for _, w := range s.Writes() {
			got = append(got, w.Action+map[bool]string{true: " no-op", false: ""}[w.NoOp])
		}
		want := []string{
			"AttachUserPolicy", "AttachGroupPolicy", "AddUserToGroup", "UntagUser",
			"AttachUserPolicy no-op", "AttachGroupPolicy no-op", "AddUserToGroup no-op", "UntagUser no-op",
			"TagUser",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
	}
}

// TestFailNextMatching fails only the request whose parameters match, once.
func TestFailNextMatching(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).PutUser(iamtest.User{Name: "ann"})
	s.FailNextMatching("PutUserPolicy", map[string]string{"PolicyName": "second"}, "AccessDenied", 1)
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	put := func(name string) error {
		_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: str("ann"), PolicyName: str(name),
			PolicyDocument: str(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
		return err
	}
	var got []string
	for _, name := range []string{"first", "second", "second"} {
		code, status := errCode(put(name))
		got = append(got, name+" "+code+" "+map[bool]string{true: "403", false: ""}[status == 403])
	}
	if diff := cmp.Diff([]string{"first  ", "second AccessDenied 403", "second  "}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestFailAfter holds the fault back until the trigger's request, which is
// answered as usual.
func TestFailAfter(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).PutUser(iamtest.User{Name: "ann"})
	s.FailAfter("TagUser", "GetUser", "AccessDenied", 1)
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	get := func() string {
		_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: str("ann")})
		code, _ := errCode(err)
		return "GetUser " + code
	}
	got := []string{get()}
	_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: str("ann"), Tags: []types.Tag{{Key: str("team"), Value: str("x")}}})
	code, _ := errCode(err)
	got = append(got, "TagUser "+code, get(), get())
	if diff := cmp.Diff([]string{"GetUser ", "TagUser ", "GetUser AccessDenied", "GetUser "}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// TestGatherAndPeakInFlight: gathered requests wait for each other, so the
// server sees them at once, and the peak counts them.
func TestGatherAndPeakInFlight(t *testing.T) {
	t.Parallel()
	const n = 3
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Gather("CreateUser", n, 10*time.Second)
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b", "c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str(name)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if !s.Gathered("CreateUser") || s.PeakInFlight() != n {
		t.Errorf("gathered %t, peak %d; want %d requests at once", s.Gathered("CreateUser"), s.PeakInFlight(), n)
	}
}

// TestInProcessDrop: a dropped connection reaches an in-process client as
// the unexpected end of a response, and a cancelled request as its
// context's error.
func TestInProcessDrop(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.InProcess())
	s.FailNext("CreateUser", "Dropped", 1)
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x")}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("dropped CreateUser: %v, want io.ErrUnexpectedEOF", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.ListUsers(cctx, &iam.ListUsersInput{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ListUsers: %v, want context.Canceled", err)
	}
}
