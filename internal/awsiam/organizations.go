package awsiam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"
)

// OrgAccount is one account of an AWS Organization, with where it sits and
// how it is tagged: what roster init needs to propose environments.
type OrgAccount struct {
	ID    string
	Name  string
	Email string
	// State is the account's lifecycle state (ACTIVE, SUSPENDED,
	// PENDING_CLOSURE, CLOSED, PENDING_ACTIVATION); the retired Status field
	// stands in where Organizations sends no State.
	State string
	// OUPath holds the names of the organizational units from the root down
	// to the account's parent; empty for an account directly under the root.
	OUPath []string
	Tags   map[string]string
}

// Active reports whether the account is in use (State ACTIVE).
func (a OrgAccount) Active() bool { return a.State == string(orgtypes.AccountStateActive) }

// OrgPermissions are the calls ReadOrganization makes: what the management
// account's or a delegated administrator's credentials must allow.
var OrgPermissions = []string{
	"organizations:ListAccounts",
	"organizations:ListParents",
	"organizations:DescribeOrganizationalUnit",
	"organizations:ListTagsForResource",
}

// OrganizationError says why the Organization could not be read, and what
// to do about it.
type OrganizationError struct {
	// Code is the AWS error code, when AWS answered one.
	Code string
	// Action is the refused permission for AccessDeniedException.
	Action string
	Err    error
}

// Error says what failed and what to do about it.
func (e *OrganizationError) Error() string {
	switch e.Code {
	case "AWSOrganizationsNotInUseException":
		return "the account of these credentials is not in an AWS Organization (AWSOrganizationsNotInUseException): name the environments with --env name=account_id instead"
	case "AccessDeniedException", "AccessDenied":
		return fmt.Sprintf("AWS Organizations refused %s (%s): use credentials of the management account or of a delegated administrator, allowed %s",
			e.Action, e.Code, strings.Join(OrgPermissions, ", "))
	case "":
		return fmt.Sprintf("read the AWS Organization: %v", e.Err)
	}
	return fmt.Sprintf("read the AWS Organization: %s failed with %s: %s", e.Action, e.Code, apiMessage(e.Err))
}

// Unwrap returns the cause.
func (e *OrganizationError) Unwrap() error { return e.Err }

// ReadOrganization lists every account of the Organization the base
// credentials belong to (they must be the management account's or a
// delegated administrator's), with its OU path and tags. Accounts come in
// the order Organizations lists them. Organizations is a global service
// served from us-east-1.
func ReadOrganization(ctx context.Context, base aws.Config) ([]OrgAccount, error) {
	cfg := base.Copy()
	cfg.Region = DefaultRegion
	if cfg.Credentials == nil {
		return nil, &CredentialsError{Err: errors.New("no credential provider configured")}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &CredentialsError{Err: err}
	}
	r := &orgReader{c: organizations.NewFromConfig(cfg), ous: map[string]ouInfo{}}
	p := organizations.NewListAccountsPaginator(r.c, &organizations.ListAccountsInput{})
	accounts, err := listed(ctx, p, func(page *organizations.ListAccountsOutput) []orgtypes.Account { return page.Accounts })
	if err != nil {
		return nil, orgError("organizations:ListAccounts", err)
	}
	var out []OrgAccount
	for _, a := range accounts {
		acct, err := r.account(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, acct)
	}
	return out, nil
}

type ouInfo struct {
	name   string
	parent string // "" for the root
}

// orgReader remembers the OUs it has described: accounts share them.
type orgReader struct {
	c   *organizations.Client
	ous map[string]ouInfo
}

func (r *orgReader) account(ctx context.Context, a orgtypes.Account) (OrgAccount, error) {
	acct := OrgAccount{
		ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email),
		State: string(a.State),
	}
	if acct.State == "" {
		acct.State = string(a.Status)
	}
	parent, err := r.parent(ctx, acct.ID)
	if err != nil {
		return acct, err
	}
	for parent != "" {
		ou, err := r.ou(ctx, parent)
		if err != nil {
			return acct, err
		}
		acct.OUPath = append(acct.OUPath, ou.name)
		parent = ou.parent
	}
	slices.Reverse(acct.OUPath)
	acct.Tags, err = r.tags(ctx, acct.ID)
	return acct, err
}

// parent returns the OU that holds child, or "" when it is the root.
func (r *orgReader) parent(ctx context.Context, child string) (string, error) {
	out, err := r.c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)})
	if err != nil {
		return "", orgError("organizations:ListParents", err)
	}
	for _, p := range out.Parents {
		if p.Type == orgtypes.ParentTypeOrganizationalUnit {
			return aws.ToString(p.Id), nil
		}
	}
	return "", nil
}

func (r *orgReader) ou(ctx context.Context, id string) (ouInfo, error) {
	if ou, ok := r.ous[id]; ok {
		return ou, nil
	}
	out, err := r.c.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(id)})
	if err != nil {
		return ouInfo{}, orgError("organizations:DescribeOrganizationalUnit", err)
	}
	ou := ouInfo{}
	if out.OrganizationalUnit != nil {
		ou.name = aws.ToString(out.OrganizationalUnit.Name)
	}
	if ou.parent, err = r.parent(ctx, id); err != nil {
		return ouInfo{}, err
	}
	r.ous[id] = ou
	return ou, nil
}

func (r *orgReader) tags(ctx context.Context, id string) (map[string]string, error) {
	tags := map[string]string{}
	p := organizations.NewListTagsForResourcePaginator(r.c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	if err := eachPage(ctx, p, func(page *organizations.ListTagsForResourceOutput) {
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}); err != nil {
		return nil, orgError("organizations:ListTagsForResource", err)
	}
	return tags, nil
}

// orgError turns an SDK error of one Organizations call into an
// OrganizationError, or an EndpointError when AWS could not be reached.
func orgError(action string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		e := &OrganizationError{Code: api.ErrorCode(), Action: action, Err: err}
		if m := notAuthorized.FindStringSubmatch(api.ErrorMessage()); m != nil {
			e.Action = m[2]
		}
		if credentialCodes[e.Code] {
			return &CredentialsError{Code: e.Code, Err: err}
		}
		return e
	}
	if ep := endpointError("", err); ep != nil {
		return ep
	}
	return &OrganizationError{Action: action, Err: err}
}

// apiMessage is AWS's own message of an API error, without the SDK's
// operation and request-ID wrapping.
func apiMessage(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return err.Error()
}
