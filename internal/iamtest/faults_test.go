package iamtest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

func TestThrottlingIsRetriedAndCounted(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Throttle: 0.4, Seed: 7}))
	cfg := s.AWSConfig(acctA)
	// No backoff, so the test does not sleep; the retryer and its
	// throttling classification are otherwise the SDK's own.
	c := iam.NewFromConfig(cfg, func(o *iam.Options) { o.RetryMaxAttempts = 10 }, noBackoff)
	const n = 20
	for i := range n {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: str(fmt.Sprintf("u%d", i))}))(t)
	}
	if got := len(s.Account(acctA).UserNames()); got != n {
		t.Errorf("%d users exist, want %d: every throttled attempt must not create a user", got, n)
	}
	calls := s.CallCount(acctA, "CreateUser")
	if calls <= n {
		t.Errorf("CreateUser called %d times, want more than %d (retries are counted)", calls, n)
	}
	var throttled int
	for _, w := range s.Writes() {
		if w.Error == "Throttling" {
			throttled++
		}
	}
	if throttled != calls-n {
		t.Errorf("recorded %d throttled writes, want %d", throttled, calls-n)
	}
}

func TestThrottlingWithoutRetriesSurfacesTheCode(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.SetFaults(iamtest.Faults{Throttle: 1, Actions: []string{"CreateUser"}})
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x")})
	if code, status := errCode(err); code != "Throttling" || status != 400 {
		t.Errorf("throttled CreateUser = %s %d, want Throttling 400", code, status)
	}
	// Faults restricted to CreateUser leave other actions alone.
	must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	if _, ok := s.Account(acctA).User("x"); ok {
		t.Error("a throttled CreateUser created the user")
	}
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{ServerError: 1, Seed: 1}))
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	statuses := map[int]bool{}
	for i := range 20 {
		_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: str(fmt.Sprintf("g%d", i))})
		code, status := errCode(err)
		if code != "ServiceFailure" {
			t.Fatalf("CreateGroup under ServerError faults = %s %d, want ServiceFailure", code, status)
		}
		statuses[status] = true
	}
	if diff := cmp.Diff(map[int]bool{500: true, 503: true}, statuses); diff != "" {
		t.Errorf("statuses seen (-want +got):\n%s", diff)
	}
	if n := len(s.Account(acctA).Snapshot().Groups); n != 0 {
		t.Errorf("%d groups created by failed requests", n)
	}

	s.SetFaults(iamtest.Faults{ServerError: 0.5, Seed: 3})
	retrying := iam.NewFromConfig(s.AWSConfig(acctA), func(o *iam.Options) { o.RetryMaxAttempts = 20 }, noBackoff)
	for i := range 10 {
		must(retrying.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: str(fmt.Sprintf("g%d", i))}))(t)
	}
}

func TestDroppedConnections(t *testing.T) {
	t.Parallel()
	t.Run("dropped before commit", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Drop: 1}))
		c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x")}); err == nil {
			t.Fatal("CreateUser on a dropped connection succeeded")
		}
		if _, ok := s.Account(acctA).User("x"); ok {
			t.Error("a dropped CreateUser created the user")
		}
		if diff := cmp.Diff("Dropped", s.Writes()[0].Error); diff != "" {
			t.Errorf("recorded write (-want +got):\n%s", diff)
		}
	})
	t.Run("dropped after commit", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Drop: 1, DropAfterCommit: true, Actions: []string{"CreateUser"}}))
		c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x")}); err == nil {
			t.Fatal("CreateUser on a dropped connection succeeded")
		}
		if _, ok := s.Account(acctA).User("x"); !ok {
			t.Fatal("the write was not applied before the connection dropped")
		}
		// The SDK's retry of the lost response now meets the committed write.
		s.SetFaults(iamtest.Faults{})
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str("x")})
		if code, _ := errCode(err); code != "EntityAlreadyExists" {
			t.Errorf("repeating the committed CreateUser = %s, want EntityAlreadyExists", code)
		}
	})
	t.Run("retried until it gets through", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Drop: 0.5, Seed: 11}))
		c := iam.NewFromConfig(s.AWSConfig(acctA), func(o *iam.Options) { o.RetryMaxAttempts = 20 }, noBackoff)
		for i := range 10 {
			must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: str(fmt.Sprintf("u%d", i))}))(t)
		}
		if got := len(s.Account(acctA).UserNames()); got != 10 {
			t.Errorf("%d users, want 10", got)
		}
	})
}

func TestFaultsAreDeterministic(t *testing.T) {
	t.Parallel()
	run := func() []string {
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Throttle: 0.3, ServerError: 0.2, Seed: 42}))
		c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
		var codes []string
		for i := range 30 {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str(fmt.Sprintf("u%d", i))})
			code, _ := errCode(err)
			codes = append(codes, code)
		}
		return codes
	}
	if diff := cmp.Diff(run(), run()); diff != "" {
		t.Errorf("same seed, different faults (-first +second):\n%s", diff)
	}
}

func TestLatencyHonoursCancellation(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithLatency(time.Hour))
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		for s.CallCount(acctA, "CreateUser") == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := c.CreateUser(cctx, &iam.CreateUserInput{UserName: str("x")})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("CreateUser canceled during latency = %v, want context.Canceled", err)
	}
	if _, ok := s.Account(acctA).User("x"); ok {
		t.Error("a canceled request was applied")
	}
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Throttle: 0.1, Seed: 5}))
	s.Account(acctA).PutGroup(iamtest.Group{Name: "all"})
	c := iam.NewFromConfig(s.AWSConfig(acctA), func(o *iam.Options) { o.RetryMaxAttempts = 20 }, noBackoff)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				name := str(fmt.Sprintf("w%d-u%d", w, i))
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
					errs <- err
					continue
				}
				if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: str("all")}); err != nil {
					errs <- err
				}
				if _, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(7)}); err != nil {
					errs <- err
				}
				_ = s.Account(acctA).Snapshot()
				_ = s.Calls()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	g, _ := s.Account(acctA).Group("all")
	if len(g.Members) != 80 {
		t.Errorf("group has %d members, want 80", len(g.Members))
	}
}

// noBackoff keeps the SDK's standard retryer but without sleeping between
// attempts or rate-limiting retries, so fault tests run fast.
func noBackoff(o *iam.Options) {
	o.Retryer = retryNoDelay(o.Retryer)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	s.FailNext("DeleteUser", "ConcurrentModification", 1)
	s.FailNext("DeleteUser", "Dropped", 1)
	_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")})
	var cm *types.ConcurrentModificationException
	if !errors.As(err, &cm) {
		t.Errorf("first DeleteUser = %v, want ConcurrentModification", err)
	}
	if code, status := errCode(err); status != 409 {
		t.Errorf("ConcurrentModification status = %d (%s), want 409", status, code)
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")}); err == nil {
		t.Error("second DeleteUser succeeded on a dropped connection")
	}
	if _, ok := s.Account(acctA).User("alice"); !ok {
		t.Fatal("an injected failure deleted the user")
	}
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: str("alice")}))(t)
	var got []string
	for _, w := range s.Writes() {
		got = append(got, w.Action+":"+w.Error)
	}
	if diff := cmp.Diff([]string{"DeleteUser:ConcurrentModification", "DeleteUser:Dropped", "DeleteUser:"}, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestFailNextDroppedAfterCommit: the scripted "DroppedAfterCommit" applies
// the write and loses its answer on every attempt the client makes; the
// calls are recorded as dropped, and requests that do not match are
// answered as usual.
func TestFailNextDroppedAfterCommit(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).PutUser(iamtest.User{Name: "alice"})
	const attempts = 3
	s.FailNextMatching("TagUser", map[string]string{"Tags.member.1.Key": "delivered"}, "DroppedAfterCommit", attempts)
	c := iam.NewFromConfig(s.AWSConfig(acctA), func(o *iam.Options) { o.RetryMaxAttempts = attempts }, noBackoff)
	tag := func(key, value string) error {
		_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: str("alice"), Tags: []types.Tag{{Key: str(key), Value: str(value)}}})
		return err
	}
	if err := tag("team", "x"); err != nil {
		t.Fatalf("a TagUser that matches no scripted fault: %v", err)
	}
	if err := tag("delivered", "AKIA1"); err == nil {
		t.Fatal("TagUser succeeded although every answer was dropped")
	}
	u, _ := s.Account(acctA).User("alice")
	if diff := cmp.Diff([]iamtest.Tag{{Key: "team", Value: "x"}, {Key: "delivered", Value: "AKIA1"}}, u.Tags); diff != "" {
		t.Errorf("tags after the lost answers (-want +got):\n%s", diff)
	}
	var got []string
	for _, w := range s.Writes() {
		got = append(got, w.Action+" "+w.Params["Tags.member.1.Key"]+" "+w.Error)
	}
	want := []string{"TagUser team ", "TagUser delivered Dropped", "TagUser delivered Dropped", "TagUser delivered Dropped"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if err := tag("delivered", "AKIA2"); err != nil {
		t.Errorf("TagUser after the scripted faults: %v", err)
	}
}

// WriteRate throttles as IAM does: by rate, per account, writes only. A burst
// beyond one second's worth is refused; reads and other accounts are not
// affected; as time passes the bucket refills. The clock is the server's,
// so the test does not depend on how fast the machine is.
func TestWriteRateThrottlesBursts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithClock(clock), iamtest.WithFaults(iamtest.Faults{WriteRate: 5}))
	c := iam.NewFromConfig(s.AWSConfig(acctA), noRetry)
	burst := func(n int, prefix string) (passed int) {
		for i := range n {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: str(fmt.Sprintf("%s%d", prefix, i))})
			switch code, _ := errCode(err); code {
			case "":
				passed++
			case "Throttling":
			default:
				t.Fatalf("CreateUser: %v", err)
			}
		}
		return passed
	}
	if got := burst(20, "a"); got != 5 {
		t.Errorf("burst of 20 writes at 5/s: %d passed, want 5 (one second's worth)", got)
	}
	if got := len(s.Account(acctA).UserNames()); got != 5 {
		t.Errorf("%d users exist, want 5: a throttled write must change nothing", got)
	}
	must(c.ListUsers(ctx, &iam.ListUsersInput{}))(t) // reads are not rate limited
	other := iam.NewFromConfig(s.AWSConfig(acctB), noRetry)
	must(other.CreateUser(ctx, &iam.CreateUserInput{UserName: str("b")}))(t) // nor other accounts
	advance(400 * time.Millisecond)
	if got := burst(5, "b"); got != 2 {
		t.Errorf("after 0.4 s at 5/s: %d writes passed, want 2", got)
	}
	advance(10 * time.Second)
	if got := burst(20, "c"); got != 5 {
		t.Errorf("after a long pause: %d writes passed, want 5 (the bucket holds one second's worth)", got)
	}
}

// CrashAfter applies and answers the named request, then drops every
// request (any action) until Recover, as a runner that died would leave
// things: what the last request did stays done.
func TestCrashAfter(t *testing.T) {
	t.Parallel()
	s, c := seeded(t)
	s.CrashAfter("TagUser", map[string]string{"UserName": "alice"}, 2)
	tag := func(user, v string) error {
		_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: str(user), Tags: []types.Tag{{Key: str("k"), Value: str(v)}}}, noBackoff)
		return err
	}
	if err := tag("alice", "1"); err != nil {
		t.Fatal(err)
	}
	if s.Crashed() {
		t.Fatal("crashed after the first of two requests")
	}
	if err := tag("alice", "2"); err != nil {
		t.Fatal(err)
	}
	if !s.Crashed() {
		t.Fatal("not crashed after the second request")
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: str("alice")}, noBackoff); err == nil {
		t.Error("a request after the crash was answered")
	}
	s.Recover()
	out, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: str("alice")})
	if err != nil {
		t.Fatalf("after Recover: %v", err)
	}
	var got []string
	for _, tg := range out.Tags {
		got = append(got, *tg.Key+"="+*tg.Value)
	}
	if !slices.Contains(got, "k=2") {
		t.Errorf("tags %v: the request the crash came after was not applied", got)
	}
}
