package awsiam

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
)

var benchOrgAccounts = flag.Int("roster.bench.accounts", 0,
	"accounts in BenchmarkReadOrg (default 50; 4 with -short); users per account from -roster.bench.users (default 100 there)")

// BenchmarkReadOrg reads an organization at once: 50 accounts of 100
// managed users (and 20 unmanaged) each, every call answered after 20 ms,
// through one configuration whose calls in flight are bounded by
// DefaultReadConcurrency across all accounts (as a plan or drift over the
// organization runs). Three readers take turns in the same run: the fast
// reader, the per-user reader and a Terraform-style reader that reads every
// user with its own calls. For each it reports the wall time, the ideal
// (calls × latency ÷ bound, the time the bound allows), their ratio and
// the calls per managed user. With -short: 4 accounts of 50 users. At
// -roster.bench.users 1000 the three readers make over a million calls
// between them, which takes longer than go test's default 10-minute
// timeout on two cores: give -timeout 30m.
func BenchmarkReadOrg(b *testing.B) {
	managed, accounts := *benchUsers, *benchOrgAccounts
	if managed <= 0 {
		managed = 100
		if testing.Short() {
			managed = 50
		}
	}
	if accounts <= 0 {
		accounts = 50
		if testing.Short() {
			accounts = 4
		}
	}
	s := iamtest.NewServer(b)
	cfg, err := LoadConfigWith(context.Background(), getenvFrom(s.Env(iamtest.DefaultAccountID)), Concurrency{}, noSharedFiles...)
	if err != nil {
		b.Fatal(err)
	}
	var accts []*Account
	for i := range accounts {
		id := fmt.Sprintf("%012d", 200000000000+i)
		seedBench(s, id, managed, managed/5)
		s.Account(id).AddRole("roster-plan")
		env := &manifest.Environment{Name: "env-" + id[8:], AccountID: id, RoleARN: "arn:aws:iam::" + id + ":role/roster-plan"}
		a, err := Connect(context.Background(), cfg, env, ForPlan)
		if err != nil {
			b.Fatal(err)
		}
		accts = append(accts, a)
	}
	s.SetLatency(*benchLatency)

	readers := []struct {
		name string
		read func(context.Context, *Account) error
	}{
		{"fast", func(ctx context.Context, a *Account) error {
			_, err := NewAuthDetailsReader(a, Options{}).Read(ctx, managedNeeds)
			return err
		}},
		{"peruser", func(ctx context.Context, a *Account) error {
			_, err := NewPerUserReader(a, Options{}).Read(ctx, managedNeeds)
			return err
		}},
		{"terraform", terraformRead},
	}
	type tally struct {
		wall  time.Duration
		calls int
	}
	tallies := make([]tally, len(readers))
	rounds := 0
	for b.Loop() {
		for i, r := range readers {
			s.ResetCalls()
			start := time.Now()
			var wg sync.WaitGroup
			for _, a := range accts {
				wg.Go(func() {
					if err := r.read(context.Background(), a); err != nil {
						b.Errorf("%s reader: %v", r.name, err)
					}
				})
			}
			wg.Wait()
			tallies[i].wall += time.Since(start)
			for _, a := range accts {
				tallies[i].calls += s.TotalCalls(a.ID)
			}
		}
		rounds++
	}
	n := float64(rounds)
	for i, r := range readers {
		wall := tallies[i].wall.Seconds() / n
		calls := float64(tallies[i].calls) / n
		ideal := calls * benchLatency.Seconds() / DefaultReadConcurrency
		b.ReportMetric(wall, r.name+"-s")
		b.ReportMetric(ideal, r.name+"-ideal-s")
		b.ReportMetric(wall/ideal, r.name+"-wall/ideal")
		b.ReportMetric(calls/float64(accounts*managed), r.name+"-calls/managed-user")
	}
}

// terraformRead reads an account the way a resource-per-user tool does:
// every user listed, then GetUser, ListGroupsForUser,
// ListAttachedUserPolicies, ListUserPolicies and GetUserPolicy for each
// inline policy, ListUserTags, GetLoginProfile, ListAccessKeys and
// ListMFADevices for each user, DefaultConcurrency users at a time. It only
// reads (a baseline of calls and time), building no state.
func terraformRead(ctx context.Context, a *Account) error {
	c := a.iam
	var names []string
	for p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, u := range page.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	sem := make(chan struct{}, DefaultConcurrency)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for _, name := range names {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs <- terraformReadUser(ctx, c, aws.String(name))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// terraformReadUser makes one user's calls; a missing login profile is
// an answer, not an error.
func terraformReadUser(ctx context.Context, c *iam.Client, name *string) error {
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name}); err != nil {
		return err
	}
	if _, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name}); err != nil {
		return err
	}
	if _, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: name}); err != nil {
		return err
	}
	pols, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: name})
	if err != nil {
		return err
	}
	for _, p := range pols.PolicyNames {
		if _, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(p)}); err != nil {
			return err
		}
	}
	if _, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: name}); err != nil {
		return err
	}
	if _, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name}); err != nil && errorCode(err) != codeNoSuchEntity {
		return err
	}
	if _, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name}); err != nil {
		return err
	}
	_, err = c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: name})
	return err
}
