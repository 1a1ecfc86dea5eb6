package awsiam

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/plan"
)

// sharedClock is a clock the fake and the writer both read, safe for their
// goroutines, that moves only when the writer sleeps.
type sharedClock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func (c *sharedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sharedClock) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept += d
	return nil
}

// notFoundAnswers counts the writes IAM answered NoSuchEntity, by action.
func notFoundAnswers(s *iamtest.Server) map[string]int {
	out := map[string]int{}
	for _, c := range s.Writes() {
		if c.Error == codeNoSuchEntity {
			out[c.Action]++
		}
	}
	return out
}

// TestWriteWaitsForPropagation: IAM is eventually consistent. Operations
// on a user or group the writer just created are repeated while IAM
// answers NoSuchEntity, within two minutes of the clock; an operation on a
// user the writer did not create fails at its first NoSuchEntity.
func TestWriteWaitsForPropagation(t *testing.T) {
	t.Parallel()
	dependent := []plan.Op{
		{Type: plan.OpAddUserToGroup, User: "carol", Group: "devs"},
		{Type: plan.OpAttachUserPolicy, User: "carol", PolicyARN: readOnly},
		{Type: plan.OpPutUserPolicy, User: "carol", PolicyName: "s3", PolicyDocument: allowS3},
		{Type: plan.OpTagUser, User: "carol", Tags: map[string]string{"team": "payments"}},
		{Type: plan.OpAttachGroupPolicy, Group: "devs", PolicyARN: powerUser},
	}
	for _, tc := range []struct {
		name  string
		delay time.Duration
		ops   []plan.Op
		// wantErr is the index of the operation expected to fail, or -1.
		wantErr     int
		wantRetries bool
		maxSlept    time.Duration
	}{
		{name: "visible after two seconds", delay: 2 * time.Second, ops: dependent, wantErr: -1, wantRetries: true, maxSlept: 5 * time.Second},
		{name: "no delay, no retry", delay: 0, ops: dependent, wantErr: -1},
		{name: "never visible: bounded", delay: time.Hour, ops: dependent[:1], wantErr: 0, wantRetries: true, maxSlept: PropagationTimeout},
		{name: "a user this writer did not create", delay: 2 * time.Second,
			ops: []plan.Op{{Type: plan.OpAddUserToGroup, User: "ghost", Group: "ops"}}, wantErr: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &sharedClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			s := iamtest.NewServer(t, iamtest.WithClock(clock.now), iamtest.WithPropagationDelay(tc.delay))
			s.Account(writerAcct).PutGroup(iamtest.Group{Name: "ops"})
			w := NewWriter(applySession(t, s, writerAcct, ""), WriterOptions{
				Propagation: Propagation{Now: clock.now, Sleep: clock.sleep},
			})
			ctx := context.Background()
			for _, op := range []plan.Op{{Type: plan.OpCreateGroup, Group: "devs"}, {Type: plan.OpCreateUser, User: "carol"}} {
				if _, err := w.Write(ctx, op); err != nil {
					t.Fatalf("%s: %v", op.Type, err)
				}
			}
			failed := -1
			var failure error
			for i, op := range tc.ops {
				if _, err := w.Write(ctx, op); err != nil {
					failed, failure = i, err
					break
				}
			}
			if failed != tc.wantErr {
				t.Fatalf("failed operation = %d (%v), want %d", failed, failure, tc.wantErr)
			}
			if failure != nil {
				var api smithy.APIError
				if !errors.As(failure, &api) || api.ErrorCode() != codeNoSuchEntity {
					t.Errorf("error = %v, want the SDK's NoSuchEntity", failure)
				}
			}
			retries := w.PropagationRetries()
			answers := 0
			for _, n := range notFoundAnswers(s) {
				answers += n
			}
			if tc.wantRetries != (retries > 0) {
				t.Errorf("retries = %d, want some: %v", retries, tc.wantRetries)
			}
			// Every retry follows one NoSuchEntity answer; a failure adds
			// the last one, a success none.
			if want := retries + min(1, failed+1); tc.wantRetries && answers != want {
				t.Errorf("NoSuchEntity answers = %d, want %d (retries %d)", answers, want, retries)
			}
			if clock.slept > tc.maxSlept {
				t.Errorf("slept %s, want at most %s", clock.slept, tc.maxSlept)
			}
			if failed < 0 {
				u, _ := s.Account(writerAcct).User("carol")
				if diff := cmp.Diff([]string{"devs"}, u.Groups); diff != "" {
					t.Errorf("carol's groups (-want +got):\n%s", diff)
				}
			}
		})
	}
}
