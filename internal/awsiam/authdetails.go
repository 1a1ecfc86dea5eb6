package awsiam

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/state"
)

func readAuthDetails(ctx context.Context, a *Account, opts Options, needs func(*state.User) state.Details) (*state.Account, error) {
	acct := newAccount(a.ID)
	fetchCtx, stopFetch := context.WithCancel(ctx)
	pages := fetchPages(fetchCtx, iam.NewGetAccountAuthorizationDetailsPaginator(a.iam, &iam.GetAccountAuthorizationDetailsInput{
		Filter:   []types.EntityType{types.EntityTypeUser, types.EntityTypeGroup},
		MaxItems: aws.Int32(pageSize),
	}))
	details := newGroup(ctx, opts.concurrency())
	fail := func(err error) (*state.Account, error) {
		stopFetch()
		// Drain until the fetcher has stopped.
		for range pages {
		}
		details.cancel()
		_ = details.Wait()
		return nil, err
	}
	first := true
	for res := range pages {
		if details.ctx.Err() != nil {
			break // a detail read failed; Wait reports it
		}
		if res.err != nil {
			err := classify(a.Env, a.Role, res.err)
			var ad *AccessDeniedError
			if first && errors.As(err, &ad) {
				return fail(&deniedFirstPage{err})
			}
			return fail(err)
		}
		first = false
		if err := addPage(a.iam, acct, res.page, needs, details); err != nil {
			return fail(&EnvError{Env: a.Env, Err: err})
		}
	}
	stopFetch()
	if err := details.Wait(); err != nil {
		return nil, err
	}
	if err := readUnassignedMFA(ctx, a.iam, acct); err != nil {
		return nil, err
	}
	finish(acct)
	return acct, nil
}

// detailsPage is one page of GetAccountAuthorizationDetails, or the error
// that ended the pages.
type detailsPage struct {
	page *iam.GetAccountAuthorizationDetailsOutput
	err  error
}

// fetchPages fetches the pages in their own goroutine, so that per-user
// details are read while later pages are still coming. The channel closes
// after the last page, the first error, or when ctx is done.
func fetchPages(ctx context.Context, p *iam.GetAccountAuthorizationDetailsPaginator) <-chan detailsPage {
	pages := make(chan detailsPage, 4)
	go func() {
		defer close(pages)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			select {
			case pages <- detailsPage{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return pages
}

// addPage puts a page's users and groups into acct, and starts reading the
// details needs asks for.
func addPage(c *iam.Client, acct *state.Account, page *iam.GetAccountAuthorizationDetailsOutput, needs func(*state.User) state.Details, details *group) error {
	for _, d := range page.UserDetailList {
		u, err := userFromDetail(d)
		if err != nil {
			return err
		}
		acct.Users[u.Name] = u
		if needs == nil {
			continue
		}
		if want := needs(u); want != 0 {
			details.Go(func(ctx context.Context) error { return readDetails(ctx, c, u, want) })
		}
	}
	for _, d := range page.GroupDetailList {
		g, err := groupFromDetail(d)
		if err != nil {
			return err
		}
		acct.Groups[g.Name] = g
	}
	return nil
}

func userFromDetail(d types.UserDetail) (*state.User, error) {
	u := liveUser(d.UserName, d.Path, d.Arn, d.UserId, d.CreateDate)
	u.Groups = append([]string(nil), d.GroupList...)
	u.Tags = tagMap(d.Tags)
	u.ManagedPolicies = policyARNs(d.AttachedManagedPolicies)
	if d.PermissionsBoundary != nil {
		u.PermissionsBoundary = aws.ToString(d.PermissionsBoundary.PermissionsBoundaryArn)
	}
	var err error
	u.InlinePolicies, err = inlinePolicies("user "+u.Name, d.UserPolicyList)
	return u, err
}

func groupFromDetail(d types.GroupDetail) (*state.Group, error) {
	g := liveGroup(d.GroupName, d.Path, d.Arn, d.GroupId)
	g.ManagedPolicies = policyARNs(d.AttachedManagedPolicies)
	var err error
	g.InlinePolicies, err = inlinePolicies("group "+g.Name, d.GroupPolicyList)
	return g, err
}

// policyARNs lists the ARNs of attached managed policies, nil for none.
func policyARNs(list []types.AttachedPolicy) []string {
	return each(list, func(p types.AttachedPolicy) string { return aws.ToString(p.PolicyArn) })
}

// inlinePolicies decodes the inline policies of owner ("user alice"), nil
// for none.
func inlinePolicies(owner string, list []types.PolicyDetail) (map[string]string, error) {
	var out map[string]string
	for _, p := range list {
		name := aws.ToString(p.PolicyName)
		doc, err := inlinePolicy(owner, name, aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = doc
	}
	return out, nil
}
