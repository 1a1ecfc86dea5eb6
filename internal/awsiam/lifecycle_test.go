package awsiam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
)

const serviceAccount = "ci-deployer"

var lifecycleDay0 = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)

// lifecycle is one service account on the fake whose keys go to
// roster/ci-deployer, run the way the apply will run it: read, Evaluate,
// Run, with the real SDK clients and an apply role allowed exactly the
// documented permissions.
type lifecycle struct {
	s       *iamtest.Server
	ak      *AccessKeys
	sec     *Secrets
	mu      sync.Mutex
	now     time.Time
	secrets []string // every secret a run handed to delivery
}

func newLifecycle(t *testing.T) *lifecycle {
	t.Helper()
	l := &lifecycle{now: lifecycleDay0}
	l.s = iamtest.NewServer(t, iamtest.WithClock(func() time.Time {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.now
	}))
	l.s.Account(secretAcct).PutUser(iamtest.User{Name: serviceAccount, Tags: []iamtest.Tag{{Key: managedTag, Value: "true"}}})
	allow := slices.Concat(AccessKeyPermissions, []string{"iam:ListAccessKeys", "iam:TagUser", "iam:UntagUser", "iam:DeleteAccessKey"}, SecretsWritePermissions)
	l.s.Account(secretAcct).AddRole("roster-apply", allow...)
	a := connectTo(t, l.s, secretAcct, "roster-apply")
	l.ak = NewAccessKeys(a)
	l.ak.c = iam.NewFromConfig(a.Config(), func(o *iam.Options) { o.RetryMaxAttempts = 1 })
	l.sec = NewSecrets(a)
	l.sec.c = secretsmanager.NewFromConfig(a.Config(), func(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 })
	return l
}

func (l *lifecycle) setDay(d int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = lifecycleDay0.Add(time.Duration(d) * 24 * time.Hour)
}

// run reads, decides and runs one day's steps, the first `stop` of them
// when stop >= 0 (a crash after them).
func (l *lifecycle) run(t *testing.T, stop int) (keys.Decision, error) {
	t.Helper()
	ctx := context.Background()
	live, pending, err := l.ak.Live(ctx, serviceAccount)
	if err != nil {
		t.Fatalf("Live: %v", err)
	}
	delivered, err := l.sec.Delivered(ctx, "roster/ci-deployer", managedTag)
	if err != nil {
		t.Fatalf("Delivered: %v", err)
	}
	l.mu.Lock()
	now := l.now
	l.mu.Unlock()
	d := keys.Evaluate(keys.Input{Policy: keys.Policy{RotateAfterDays: 90, OverlapDays: 7}, Keys: live, Delivered: delivered, Pending: pending, Now: now})
	if stop >= 0 && stop < len(d.Steps) {
		d.Steps = d.Steps[:stop]
	}
	deliver := SecretsManagerDelivery(l.sec, "roster/ci-deployer", managedTag)
	port := l.ak.Port(serviceAccount, func(ctx context.Context, id string, s keys.Secret) error {
		l.secrets = append(l.secrets, s.Reveal())
		return deliver(ctx, id, s)
	})
	outcomes, err := keys.Run(ctx, d, port)
	l.checkNoSecretIn(t, fmt.Sprintf("%v %+v %#v", err, outcomes, outcomes))
	return d, err
}

func (l *lifecycle) settle(t *testing.T) {
	t.Helper()
	for range 4 {
		d, err := l.run(t, -1)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if len(d.Steps) == 0 {
			return
		}
	}
	t.Fatal("no convergence")
}

func (l *lifecycle) checkNoSecretIn(t *testing.T, text string) {
	t.Helper()
	for _, s := range l.secrets {
		if strings.Contains(text, s) {
			t.Errorf("a secret access key appears outside its destination: %s", text)
		}
	}
}

// view is the user's keys by creation day, status and what the secret
// holds; it also checks that the secret's current value is the current
// key's real secret.
func (l *lifecycle) view(t *testing.T) []string {
	t.Helper()
	u, _ := l.s.Account(secretAcct).User(serviceAccount)
	sec, _ := l.s.Secret(secretAcct, "us-east-1", "roster/ci-deployer")
	stage := map[string]string{}
	for _, v := range sec.Versions {
		for _, st := range v.Stages {
			id := strings.TrimPrefix(v.ID, "roster-access-key-")
			stage[id] = strings.ToLower(strings.TrimPrefix(st, "AWS"))
			if st != "AWSCURRENT" {
				continue
			}
			var got secretValue
			if err := json.Unmarshal([]byte(v.String), &got); err != nil {
				t.Fatalf("current value is not JSON: %v", err)
			}
			for _, k := range u.AccessKeys {
				if k.ID == id && (got.AccessKeyID != k.ID || got.SecretAccessKey != k.Secret) {
					t.Errorf("the secret's current value is not key %s's real secret", k.ID)
				}
			}
		}
	}
	var out []string
	for _, k := range u.AccessKeys {
		out = append(out, fmt.Sprintf("day %d %s %s", int(k.CreateDate.Sub(lifecycleDay0).Hours()/24), k.Status, cmpOr(stage[k.ID], "undelivered")))
	}
	slices.Sort(out)
	for _, tag := range u.Tags {
		if tag.Key == keys.PendingTag {
			out = append(out, "pending marker")
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestAccessKeyLifecycleAgainstTheFakes(t *testing.T) {
	t.Parallel()
	l := newLifecycle(t)
	for _, tt := range []struct {
		day  int
		want []string
	}{
		{0, []string{"day 0 Active current"}},
		{89, []string{"day 0 Active current"}},
		{90, []string{"day 0 Active previous", "day 90 Active current"}},
		{96, []string{"day 0 Active previous", "day 90 Active current"}},
		{97, []string{"day 0 Inactive previous", "day 90 Active current"}},
		{98, []string{"day 90 Active current"}},
	} {
		l.setDay(tt.day)
		if _, err := l.run(t, -1); err != nil {
			t.Fatalf("day %d: %v", tt.day, err)
		}
		if diff := cmp.Diff(tt.want, l.view(t)); diff != "" {
			t.Errorf("day %d (-want +got):\n%s", tt.day, diff)
		}
		if d, _ := l.run(t, -1); len(d.Steps) != 0 {
			t.Errorf("day %d: a second run has steps %+v", tt.day, d.Steps)
		}
	}
	if n := l.s.CallCount(secretAcct, "GetSecretValue"); n != 0 {
		t.Errorf("GetSecretValue called %d times", n)
	}
}

func TestAccessKeyLifecycleResumesAfterACrash(t *testing.T) {
	t.Parallel()
	// The first delivery and a rotation have four steps each: mark
	// pending, create, deliver, clear pending.
	for _, day := range []int{0, 90} {
		for stop := 1; stop <= 3; stop++ {
			t.Run(fmt.Sprintf("day %d after step %d", day, stop), func(t *testing.T) {
				t.Parallel()
				want, got := newLifecycle(t), newLifecycle(t)
				if day > 0 {
					want.settle(t)
					got.settle(t)
				}
				want.setDay(day)
				got.setDay(day)
				want.settle(t)
				if _, err := got.run(t, stop); err != nil {
					t.Fatalf("stopped run: %v", err)
				}
				got.settle(t)
				if diff := cmp.Diff(want.view(t), got.view(t)); diff != "" {
					t.Errorf("after resuming (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestAFailedDeliveryDeletesTheNewKeyInTheSameRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		day      int
		failOp   string
		failCode string
		want     []string
	}{
		{0, "CreateSecret", "InternalServiceError", nil},
		{90, "PutSecretValue", "InternalServiceError", []string{"day 0 Active current"}},
		{90, "PutSecretValue", "Dropped", []string{"day 0 Active current"}},
	} {
		t.Run(fmt.Sprintf("day %d %s %s", tt.day, tt.failOp, tt.failCode), func(t *testing.T) {
			t.Parallel()
			l := newLifecycle(t)
			if tt.day > 0 {
				l.settle(t)
			}
			l.setDay(tt.day)
			l.s.FailNext(tt.failOp, tt.failCode, 1)
			_, err := l.run(t, -1)
			if !errors.Is(err, keys.ErrDeliveryFailed) {
				t.Fatalf("run = %v, want ErrDeliveryFailed", err)
			}
			if diff := cmp.Diff(tt.want, l.view(t)); diff != "" {
				t.Errorf("after the failed delivery (-want +got):\n%s", diff)
			}
			l.settle(t)
			if v := l.view(t); !slices.Contains(v, fmt.Sprintf("day %d Active current", tt.day)) {
				t.Errorf("the next run did not deliver a key: %v", v)
			}
		})
	}
}
