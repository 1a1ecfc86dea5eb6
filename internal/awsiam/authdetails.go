package awsiam

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/state"
)

// AuthDetailsReader reads a whole account with paginated
// iam:GetAccountAuthorizationDetails calls (users and groups, 1,000 items a
// page), then reads per user only the details the caller's needs function
// asks for, starting those calls while later pages are still coming. It is
// the reader roster uses whenever the role allows it.
type AuthDetailsReader struct {
	account *Account
	opts    Options
}

// NewAuthDetailsReader returns the account-wide reader for a.
func NewAuthDetailsReader(a *Account, opts Options) *AuthDetailsReader {
	return &AuthDetailsReader{account: a, opts: opts}
}

// Read implements Reader.
func (r *AuthDetailsReader) Read(ctx context.Context, needs func(*state.User) state.Details) (*state.Account, error) {
	a := r.account
	acct := newAccount(a.ID)
	p := iam.NewGetAccountAuthorizationDetailsPaginator(a.iam, &iam.GetAccountAuthorizationDetailsInput{
		Filter:   []types.EntityType{types.EntityTypeUser, types.EntityTypeGroup},
		MaxItems: aws.Int32(pageSize),
	})
	// Pages are fetched in their own goroutine, so that per-user details
	// are read while later pages are still coming.
	type result struct {
		page *iam.GetAccountAuthorizationDetailsOutput
		err  error
	}
	fetchCtx, stopFetch := context.WithCancel(ctx)
	pages := make(chan result, 4)
	go func() {
		defer close(pages)
		for p.HasMorePages() {
			page, err := p.NextPage(fetchCtx)
			select {
			case pages <- result{page, err}:
			case <-fetchCtx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	details := newGroup(ctx, r.opts.concurrency())
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
		page, err := res.page, res.err
		if err != nil {
			err = classify(a.Env, a.Role, err)
			var ad *AccessDeniedError
			if first && errors.As(err, &ad) {
				return fail(&deniedFirstPage{err})
			}
			return fail(err)
		}
		first = false
		for _, d := range page.UserDetailList {
			u, err := userFromDetail(d)
			if err != nil {
				return fail(&EnvError{Env: a.Env, Err: err})
			}
			acct.Users[u.Name] = u
			if needs == nil {
				continue
			}
			if want := needs(u); want != 0 {
				details.Go(func(ctx context.Context) error { return readDetails(ctx, a.iam, u, want) })
			}
		}
		for _, d := range page.GroupDetailList {
			g, err := groupFromDetail(d)
			if err != nil {
				return fail(&EnvError{Env: a.Env, Err: err})
			}
			acct.Groups[g.Name] = g
		}
	}
	stopFetch()
	if err := details.Wait(); err != nil {
		return nil, classify(a.Env, a.Role, err)
	}
	finish(acct)
	return acct, nil
}

func userFromDetail(d types.UserDetail) (*state.User, error) {
	u := &state.User{
		Name:    aws.ToString(d.UserName),
		Path:    aws.ToString(d.Path),
		ARN:     aws.ToString(d.Arn),
		ID:      aws.ToString(d.UserId),
		Created: aws.ToTime(d.CreateDate).UTC(),
		Groups:  append([]string(nil), d.GroupList...),
		Tags:    tagMap(d.Tags),
	}
	for _, p := range d.AttachedManagedPolicies {
		u.ManagedPolicies = append(u.ManagedPolicies, aws.ToString(p.PolicyArn))
	}
	if d.PermissionsBoundary != nil {
		u.PermissionsBoundary = aws.ToString(d.PermissionsBoundary.PermissionsBoundaryArn)
	}
	for _, p := range d.UserPolicyList {
		name := aws.ToString(p.PolicyName)
		doc, err := inlinePolicy("user "+u.Name, name, aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, err
		}
		if u.InlinePolicies == nil {
			u.InlinePolicies = map[string]string{}
		}
		u.InlinePolicies[name] = doc
	}
	return u, nil
}

func groupFromDetail(d types.GroupDetail) (*state.Group, error) {
	g := &state.Group{
		Name: aws.ToString(d.GroupName),
		Path: aws.ToString(d.Path),
		ARN:  aws.ToString(d.Arn),
		ID:   aws.ToString(d.GroupId),
	}
	for _, p := range d.AttachedManagedPolicies {
		g.ManagedPolicies = append(g.ManagedPolicies, aws.ToString(p.PolicyArn))
	}
	for _, p := range d.GroupPolicyList {
		name := aws.ToString(p.PolicyName)
		doc, err := inlinePolicy("group "+g.Name, name, aws.ToString(p.PolicyDocument))
		if err != nil {
			return nil, err
		}
		if g.InlinePolicies == nil {
			g.InlinePolicies = map[string]string{}
		}
		g.InlinePolicies[name] = doc
	}
	return g, nil
}
