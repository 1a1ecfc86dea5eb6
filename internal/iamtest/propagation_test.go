package iamtest_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/iamtest"
)

// TestPropagationDelay: with a propagation delay, a new user or group is
// NoSuchEntity to the calls that name it until the delay has passed on the
// server's clock, while listings show it and a second create still finds
// it.
func TestPropagationDelay(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	s := iamtest.NewServer(t, iamtest.WithClock(clock), iamtest.WithPropagationDelay(2*time.Second))
	c, _ := clients(t, s, iamtest.DefaultAccountID)
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}, noRetry); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}, noRetry); err != nil {
		t.Fatal(err)
	}
	codeOf := func(err error) string { code, _ := errCode(err); return code }
	checks := []struct {
		name string
		call func() error
		want string // error code before the delay has passed
	}{
		{"GetUser", func() error {
			_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")}, noRetry)
			return err
		}, "NoSuchEntity"},
		{"TagUser", func() error {
			_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}}, noRetry)
			return err
		}, "NoSuchEntity"},
		{"GetGroup", func() error {
			_, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")}, noRetry)
			return err
		}, "NoSuchEntity"},
		{"CreateUser again", func() error {
			_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}, noRetry)
			return err
		}, "EntityAlreadyExists"},
	}
	for _, ch := range checks {
		if got := codeOf(ch.call()); got != ch.want {
			t.Errorf("%s right after creation: code %q, want %q", ch.name, got, ch.want)
		}
	}
	out, err := c.ListUsers(ctx, &iam.ListUsersInput{}, noRetry)
	if err != nil || len(out.Users) == 0 {
		t.Errorf("ListUsers right after creation: %v, %d users; want carol listed", err, len(out.Users))
	}
	advance(2 * time.Second)
	for _, ch := range checks[:3] {
		if err := ch.call(); err != nil {
			t.Errorf("%s after the delay: %v", ch.name, err)
		}
	}
}
