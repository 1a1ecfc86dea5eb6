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

func readGroup(ctx context.Context, c *iam.Client, g *state.Group) error {
	name, limit := aws.String(g.Name), aws.Int32(pageSize)
	attached := iam.NewListAttachedGroupPoliciesPaginator(c, &iam.ListAttachedGroupPoliciesInput{GroupName: name, MaxItems: limit})
	if err := eachPage(ctx, attached, func(page *iam.ListAttachedGroupPoliciesOutput) {
		g.ManagedPolicies = append(g.ManagedPolicies, policyARNs(page.AttachedPolicies)...)
	}); err != nil {
		return fmt.Errorf("list attached policies of group %s: %w", g.Name, err)
	}
	var names []string
	inline := iam.NewListGroupPoliciesPaginator(c, &iam.ListGroupPoliciesInput{GroupName: name, MaxItems: limit})
	if err := eachPage(ctx, inline, func(page *iam.ListGroupPoliciesOutput) { names = append(names, page.PolicyNames...) }); err != nil {
		return fmt.Errorf("list inline policies of group %s: %w", g.Name, err)
	}
	var err error
	g.InlinePolicies, err = getInlinePolicies("group "+g.Name, names, func(pn string) (*string, error) {
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
	if err := eachPage(ctx, groups, func(page *iam.ListGroupsForUserOutput) {
		for _, g := range page.Groups {
			u.Groups = append(u.Groups, aws.ToString(g.GroupName))
		}
	}); err != nil {
		return fmt.Errorf("list groups of user %s: %w", u.Name, err)
	}
	attached := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: name, MaxItems: limit})
	if err := eachPage(ctx, attached, func(page *iam.ListAttachedUserPoliciesOutput) {
		u.ManagedPolicies = append(u.ManagedPolicies, policyARNs(page.AttachedPolicies)...)
	}); err != nil {
		return fmt.Errorf("list attached policies of user %s: %w", u.Name, err)
	}
	var names []string
	inline := iam.NewListUserPoliciesPaginator(c, &iam.ListUserPoliciesInput{UserName: name, MaxItems: limit})
	if err := eachPage(ctx, inline, func(page *iam.ListUserPoliciesOutput) { names = append(names, page.PolicyNames...) }); err != nil {
		return fmt.Errorf("list inline policies of user %s: %w", u.Name, err)
	}
	u.InlinePolicies, err = getInlinePolicies("user "+u.Name, names, func(pn string) (*string, error) {
		out, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: aws.String(pn)})
		if err != nil {
			return nil, err
		}
		return out.PolicyDocument, nil
	})
	if err != nil {
		return err
	}
	var tags []types.Tag
	tagPages := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: name, MaxItems: limit})
	if err := eachPage(ctx, tagPages, func(page *iam.ListUserTagsOutput) { tags = append(tags, page.Tags...) }); err != nil {
		return fmt.Errorf("list tags of user %s: %w", u.Name, err)
	}
	u.Tags = tagMap(tags)
	return nil
}

// getInlinePolicies gets the documents of owner's ("user alice") inline
// policies names one by one with get, and decodes them as the account-wide
// read does (inlinePolicies).
func getInlinePolicies(owner string, names []string, get func(name string) (*string, error)) (map[string]string, error) {
	list := make([]types.PolicyDetail, 0, len(names))
	for _, pn := range names {
		doc, err := get(pn)
		if err != nil {
			return nil, fmt.Errorf("get inline policy %s of %s: %w", pn, owner, err)
		}
		list = append(list, types.PolicyDetail{PolicyName: aws.String(pn), PolicyDocument: doc})
	}
	return inlinePolicies(owner, list)
}
