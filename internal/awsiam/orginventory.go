package awsiam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/scaffold"
	"github.com/roster-dev/roster/internal/state"
)

// inventoryConcurrency bounds the accounts whose IAM users are read at once.
const inventoryConcurrency = 8

// OrgDriftPermissions are what the organization block's management role
// must allow: drift only lists the accounts. In each uncovered account the
// plan role calls iam:ListUsers, which the published plan policy allows.
var OrgDriftPermissions = []string{"organizations:ListAccounts"}

// Organization lists the accounts of the AWS Organization through org's
// management role (assumed from the run's credentials, like the drift
// role), and reads the IAM user names of every active account inventory
// asks for, assuming the plan role of deploy/cloudformation/roster-roles.yaml
// (roster-plan) in it. An account without that role, or that refuses, is
// returned with Unread saying so; only the listing itself is an error.
func (s *Source) Organization(ctx context.Context, org *manifest.Organization, inventory func(accountID string) bool) ([]state.OrgAccount, error) {
	part := policy.PartitionOf(org.ManagementRoleARN)
	mgmt := &manifest.Environment{Name: manifest.OrganizationReport, AccountID: org.AccountID, RoleARN: org.ManagementRoleARN, Region: policy.RegionOf(part)}
	acct, err := Connect(ctx, s.Base, mgmt, ForDrift)
	if err != nil {
		return nil, err
	}
	p := organizations.NewListAccountsPaginator(organizations.NewFromConfig(acct.Config()), &organizations.ListAccountsInput{})
	accounts, err := listed(ctx, p, func(page *organizations.ListAccountsOutput) []state.OrgAccount {
		return each(page.Accounts, func(a orgtypes.Account) state.OrgAccount {
			st := string(a.State)
			if st == "" {
				st = string(a.Status)
			}
			return state.OrgAccount{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), State: st}
		})
	})
	if err != nil {
		return nil, orgError("organizations:ListAccounts", err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, inventoryConcurrency)
	for i := range accounts {
		a := &accounts[i]
		if a.State != state.AccountActive || !inventory(a.ID) {
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a.Users, a.Unread = s.accountUsers(ctx, part, a.ID, mgmt.Region)
			a.Inventoried = a.Unread == ""
		})
	}
	wg.Wait()
	return accounts, ctx.Err()
}

// accountUsers reads the names of an account's IAM users with its plan
// role, or says why it could not.
func (s *Source) accountUsers(ctx context.Context, partition, id, region string) (users []string, unread string) {
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, id, scaffold.DefaultPlanRole)
	env := &manifest.Environment{Name: "account-" + id, AccountID: id, PlanRoleARN: role, Region: region}
	acct, err := Connect(ctx, s.Base, env, ForDrift)
	if err != nil {
		var ad *AccessDeniedError
		if errors.As(err, &ad) {
			return nil, fmt.Sprintf("no role %s it may assume (deploy deploy/cloudformation/roster-roles.yaml there)", scaffold.DefaultPlanRole)
		}
		return nil, err.Error()
	}
	p := iam.NewListUsersPaginator(acct.iam, &iam.ListUsersInput{MaxItems: aws.Int32(pageSize)})
	users, err = listed(ctx, p, func(page *iam.ListUsersOutput) []string {
		return each(page.Users, func(u types.User) string { return aws.ToString(u.UserName) })
	})
	if err != nil {
		return nil, classify(env.Name, role, err).Error()
	}
	slices.Sort(users)
	return users, ""
}
