package awsiam

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/state"
)

func readPerUser(ctx context.Context, a *Account, opts Options, needs func(*state.User) state.Details) (*state.Account, error) {
	c := a.iam
	acct := newAccount(a.ID)
	if err := listUsersAndGroups(ctx, c, acct); err != nil {
		return nil, err
	}
	g := newGroup(ctx, opts.concurrency())
	for _, name := range sortedKeys(acct.Groups) {
		grp := acct.Groups[name]
		g.Go(func(ctx context.Context) error { return readGroup(ctx, c, grp) })
	}
	var (
		mu   sync.Mutex
		gone []string
	)
	for _, name := range sortedKeys(acct.Users) {
		u := acct.Users[name]
		// needs sees the user as the account-wide read shows it (tags,
		// groups, policies), so it is asked after readUser, in the same task.
		g.Go(func(ctx context.Context) error {
			if err := readUser(ctx, c, u); err != nil {
				var nse *types.NoSuchEntityException
				if errors.As(err, &nse) {
					// Deleted since ListUsers: the account no longer
					// has it, as a later account-wide read would show.
					mu.Lock()
					gone = append(gone, u.Name)
					mu.Unlock()
					return nil
				}
				return err
			}
			if needs == nil {
				return nil
			}
			if want := needs(u); want != 0 {
				return readDetails(ctx, c, u, want)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, name := range gone {
		delete(acct.Users, name)
	}
	if err := readUnassignedMFA(ctx, c, acct); err != nil {
		return nil, err
	}
	finish(acct)
	return acct, nil
}

// listUsersAndGroups puts every user and group of the account into acct,
// with what the list calls tell.
func listUsersAndGroups(ctx context.Context, c *iam.Client, acct *state.Account) error {
	users := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(pageSize)})
	if err := eachPage(ctx, users, func(page *iam.ListUsersOutput) {
		for _, u := range page.Users {
			acct.Users[aws.ToString(u.UserName)] = liveUser(u.UserName, u.Path, u.Arn, u.UserId, u.CreateDate)
		}
	}); err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	groups := iam.NewListGroupsPaginator(c, &iam.ListGroupsInput{MaxItems: aws.Int32(pageSize)})
	if err := eachPage(ctx, groups, func(page *iam.ListGroupsOutput) {
		for _, g := range page.Groups {
			acct.Groups[aws.ToString(g.GroupName)] = liveGroup(g.GroupName, g.Path, g.Arn, g.GroupId)
		}
	}); err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	return nil
}

func readGroup(ctx context.Context, c *iam.Client, g *state.Group) (err error) {
	name, limit := aws.String(g.Name), aws.Int32(pageSize)
	attached := iam.NewListAttachedGroupPoliciesPaginator(c, &iam.ListAttachedGroupPoliciesInput{GroupName: name, MaxItems: limit})
	inline := iam.NewListGroupPoliciesPaginator(c, &iam.ListGroupPoliciesInput{GroupName: name, MaxItems: limit})
	g.ManagedPolicies, g.InlinePolicies, err = readPolicies(ctx, "group "+g.Name, attached, groupPolicyARNs, inline, groupPolicyNames,
		func(pn string) (*string, error) {
			out, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: name, PolicyName: aws.String(pn)})
			if err != nil {
				return nil, err
			}
			return out.PolicyDocument, nil
		})
	return err
}

func readUser(ctx context.Context, c *iam.Client, u *state.User) error {
	name, limit := aws.String(u.Name), aws.Int32(pageSize)
	// ListUsers leaves out the permissions boundary; GetUser has it.
	got, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name})
	if err != nil {
		return fmt.Errorf("get user %s: %w", u.Name, err)
	}
	if b := got.User.PermissionsBoundary; b != nil {
		u.PermissionsBoundary = aws.ToString(b.PermissionsBoundaryArn)
	}
	groups := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: name, MaxItems: limit})
	if u.Groups, err = listed(ctx, groups, groupNames); err != nil {
		return fmt.Errorf("list groups of user %s: %w", u.Name, err)
	}
	attached := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: name, MaxItems: limit})
	inline := iam.NewListUserPoliciesPaginator(c, &iam.ListUserPoliciesInput{UserName: name, MaxItems: limit})
	u.ManagedPolicies, u.InlinePolicies, err = readPolicies(ctx, "user "+u.Name, attached, userPolicyARNs, inline, userPolicyNames,
		func(pn string) (*string, error) {
			out, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(pn)})
			if err != nil {
				return nil, err
			}
			return out.PolicyDocument, nil
		})
	if err != nil {
		return err
	}
	tagPages := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: name, MaxItems: limit})
	tags, err := listed(ctx, tagPages, func(p *iam.ListUserTagsOutput) []types.Tag { return p.Tags })
	if err != nil {
		return fmt.Errorf("list tags of user %s: %w", u.Name, err)
	}
	u.Tags = tagMap(tags)
	return nil
}

// What the per-user reader keeps of a listing's page.

func groupNames(p *iam.ListGroupsForUserOutput) []string {
	return each(p.Groups, func(g types.Group) string { return aws.ToString(g.GroupName) })
}

func userPolicyARNs(p *iam.ListAttachedUserPoliciesOutput) []string {
	return policyARNs(p.AttachedPolicies)
}

func groupPolicyARNs(p *iam.ListAttachedGroupPoliciesOutput) []string {
	return policyARNs(p.AttachedPolicies)
}

func userPolicyNames(p *iam.ListUserPoliciesOutput) []string { return p.PolicyNames }

func groupPolicyNames(p *iam.ListGroupPoliciesOutput) []string { return p.PolicyNames }

// readPolicies reads the policies of owner ("user alice", "group dev"),
// a user or a group, as the account-wide read has them: the ARNs of its
// attached managed policies, then its inline policies' names, then each
// inline policy's document with get (decoded by inlinePolicies).
func readPolicies[AttachedPage, AttachedOptions, InlinePage, InlineOptions any](ctx context.Context, owner string,
	attached pager[AttachedPage, AttachedOptions], arns func(AttachedPage) []string,
	inline pager[InlinePage, InlineOptions], names func(InlinePage) []string,
	get func(name string) (*string, error)) (managed []string, docs map[string]string, err error) {
	if managed, err = listed(ctx, attached, arns); err != nil {
		return nil, nil, fmt.Errorf("list attached policies of %s: %w", owner, err)
	}
	inlineNames, err := listed(ctx, inline, names)
	if err != nil {
		return nil, nil, fmt.Errorf("list inline policies of %s: %w", owner, err)
	}
	list := make([]types.PolicyDetail, 0, len(inlineNames))
	for _, pn := range inlineNames {
		doc, err := get(pn)
		if err != nil {
			return nil, nil, fmt.Errorf("get inline policy %s of %s: %w", pn, owner, err)
		}
		list = append(list, types.PolicyDetail{PolicyName: aws.String(pn), PolicyDocument: doc})
	}
	docs, err = inlinePolicies(owner, list)
	return managed, docs, err
}
