package awsiam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

// DefaultConcurrency is how many IAM calls a reader has in flight at once
// when Options.Concurrency is zero.
const DefaultConcurrency = 16

// pageSize is the MaxItems of every paginated call: IAM's largest page.
const pageSize = 1000

// Reader reads the live IAM state of one account. needs says which per-user
// details (console access, credentials) to read for each user; a nil needs
// reads none.
type Reader interface {
	Read(ctx context.Context, needs func(*state.User) state.Details) (*state.Account, error)
}

// Options tune a reader.
type Options struct {
	// Concurrency bounds the IAM calls in flight (DefaultConcurrency when
	// zero or negative).
	Concurrency int
	// Logger receives notes such as a fallback to the per-user reader;
	// nil discards them.
	Logger *slog.Logger
}

func (o Options) concurrency() int {
	if o.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return o.Concurrency
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o.Logger
}

// Compile-time check that FallbackReader implements Reader.
var _ Reader = (*FallbackReader)(nil)

// FallbackReader reads with the account-wide reader and, when the role may
// not call iam:GetAccountAuthorizationDetails, with the per-user reader
// instead.
type FallbackReader struct {
	fast     Reader
	slow     Reader
	log      *slog.Logger
	env      string
	fellBack atomic.Bool
}

// NewReader returns the reader roster uses: the account-wide read, falling
// back to per-user reads (and logging it) when the first
// GetAccountAuthorizationDetails call is denied.
func NewReader(a *Account, opts Options) *FallbackReader {
	return &FallbackReader{
		fast: NewAuthDetailsReader(a, opts),
		slow: NewPerUserReader(a, opts),
		log:  opts.logger(),
		env:  a.Env,
	}
}

// NewAuthDetailsReader returns the account-wide reader for a: it reads the
// whole account with paginated iam:GetAccountAuthorizationDetails calls
// (users and groups, 1,000 items a page), then reads per user only the
// details the caller's needs function asks for, starting those calls while
// later pages are still coming. It is the reader roster uses whenever the
// role allows it.
func NewAuthDetailsReader(a *Account, opts Options) Reader {
	return &accountReader{account: a, opts: opts, read: readAuthDetails}
}

// NewPerUserReader returns the per-user reader for a: it reads the account
// with list calls and separate calls for every user and group. It needs only
// the narrow iam:List*/Get* permissions, so it serves roles without
// iam:GetAccountAuthorizationDetails; it makes about seven calls per user,
// so it is otherwise the slow baseline. It returns exactly what the
// account-wide reader (NewAuthDetailsReader) returns.
func NewPerUserReader(a *Account, opts Options) Reader {
	return &accountReader{account: a, opts: opts, read: readPerUser}
}

// accountReader reads one account, with its options, in one of two ways:
// readAuthDetails or readPerUser. Every error it returns names the
// environment (see classify).
type accountReader struct {
	account *Account
	opts    Options
	read    func(ctx context.Context, a *Account, opts Options, needs func(*state.User) state.Details) (*state.Account, error)
}

// Read implements Reader.
func (r *accountReader) Read(ctx context.Context, needs func(*state.User) state.Details) (*state.Account, error) {
	acct, err := r.read(ctx, r.account, r.opts, needs)
	if err != nil {
		return nil, classify(r.account.Env, r.account.Role, err)
	}
	return acct, nil
}

// Read implements Reader.
func (r *FallbackReader) Read(ctx context.Context, needs func(*state.User) state.Details) (*state.Account, error) {
	acct, err := r.fast.Read(ctx, needs)
	if !errors.Is(err, errAuthDetailsDenied) {
		return acct, err
	}
	r.fellBack.Store(true)
	r.log.Warn("role may not call iam:GetAccountAuthorizationDetails; reading users one by one (slower: grant that permission to the role)",
		"environment", r.env)
	return r.slow.Read(ctx, needs)
}

// FellBack reports whether the last Read used the per-user reader.
func (r *FallbackReader) FellBack() bool { return r.fellBack.Load() }

// errAuthDetailsDenied marks the AccessDeniedError of the first
// GetAccountAuthorizationDetails page.
var errAuthDetailsDenied = errors.New("iam:GetAccountAuthorizationDetails denied")

type deniedFirstPage struct{ err error }

func (e *deniedFirstPage) Error() string   { return e.err.Error() }
func (e *deniedFirstPage) Unwrap() []error { return []error{e.err, errAuthDetailsDenied} }

// group runs tasks with at most n in flight and returns the first error;
// after an error, tasks not yet started are skipped.
type group struct {
	sem    chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	ctx    context.Context
	cancel context.CancelFunc
	parent context.Context
}

func newGroup(ctx context.Context, n int) *group {
	inner, cancel := context.WithCancel(ctx)
	return &group{sem: make(chan struct{}, n), ctx: inner, cancel: cancel, parent: ctx}
}

func (g *group) Go(f func(ctx context.Context) error) {
	select {
	case g.sem <- struct{}{}:
	case <-g.ctx.Done():
		return
	}
	g.wg.Add(1)
	go func() {
		defer func() { <-g.sem; g.wg.Done() }()
		if g.ctx.Err() != nil {
			return
		}
		if err := f(g.ctx); err != nil {
			g.once.Do(func() { g.err = err; g.cancel() })
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	if g.err == nil && g.parent.Err() != nil {
		// Tasks may have been skipped.
		return context.Cause(g.parent)
	}
	return g.err
}

// readDetails reads the details want asks about into u and records them in
// u.Details.
func readDetails(ctx context.Context, c *iam.Client, u *state.User, want state.Details) error {
	if want.Has(state.LoginProfile) {
		if err := readLoginProfile(ctx, c, u); err != nil {
			return err
		}
	}
	if !want.Has(state.Credentials) && !want.Has(state.AccessKeys) {
		return nil
	}
	if err := readAccessKeys(ctx, c, u); err != nil {
		return err
	}
	u.Details |= want & state.AccessKeys
	if !want.Has(state.Credentials) {
		return nil
	}
	if err := readCredentials(ctx, c, u); err != nil {
		return err
	}
	u.Details |= state.Credentials
	return nil
}

// readLoginProfile reads whether u has console access.
func readLoginProfile(ctx context.Context, c *iam.Client, u *state.User) error {
	_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(u.Name)})
	var nse *types.NoSuchEntityException
	switch {
	case err == nil:
		u.LoginProfile = true
	case errors.As(err, &nse):
		u.LoginProfile = false
	default:
		return fmt.Errorf("read login profile of user %s: %w", u.Name, err)
	}
	u.Details |= state.LoginProfile
	return nil
}

func readAccessKeys(ctx context.Context, c *iam.Client, u *state.User) (err error) {
	keys := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: aws.String(u.Name), MaxItems: aws.Int32(pageSize)})
	if u.AccessKeys, err = listed(ctx, keys, func(p *iam.ListAccessKeysOutput) []state.AccessKey {
		return each(p.AccessKeyMetadata, func(k types.AccessKeyMetadata) state.AccessKey {
			return state.AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: aws.ToTime(k.CreateDate).UTC()}
		})
	}); err != nil {
		return fmt.Errorf("list access keys of user %s: %w", u.Name, err)
	}
	return nil
}

// readCredentials reads the credentials other than access keys that IAM
// makes a user give up before DeleteUser: MFA devices, SSH public keys,
// signing certificates and service-specific credentials.
func readCredentials(ctx context.Context, c *iam.Client, u *state.User) (err error) {
	name, limit := aws.String(u.Name), aws.Int32(pageSize)
	mfa := iam.NewListMFADevicesPaginator(c, &iam.ListMFADevicesInput{UserName: name, MaxItems: limit})
	if u.MFADevices, err = listed(ctx, mfa, mfaSerials); err != nil {
		return fmt.Errorf("list MFA devices of user %s: %w", u.Name, err)
	}
	ssh := iam.NewListSSHPublicKeysPaginator(c, &iam.ListSSHPublicKeysInput{UserName: name, MaxItems: limit})
	if u.SSHPublicKeys, err = listed(ctx, ssh, sshKeyIDs); err != nil {
		return fmt.Errorf("list SSH public keys of user %s: %w", u.Name, err)
	}
	certs := iam.NewListSigningCertificatesPaginator(c, &iam.ListSigningCertificatesInput{UserName: name, MaxItems: limit})
	if u.SigningCertificates, err = listed(ctx, certs, certificateIDs); err != nil {
		return fmt.Errorf("list signing certificates of user %s: %w", u.Name, err)
	}
	return readServiceCredentials(ctx, c, u)
}

// What the readers keep of a listing's page.

func mfaSerials(p *iam.ListMFADevicesOutput) []string {
	return each(p.MFADevices, func(d types.MFADevice) string { return aws.ToString(d.SerialNumber) })
}

func virtualMFASerials(p *iam.ListVirtualMFADevicesOutput) []string {
	return each(p.VirtualMFADevices, func(d types.VirtualMFADevice) string { return aws.ToString(d.SerialNumber) })
}

func sshKeyIDs(p *iam.ListSSHPublicKeysOutput) []string {
	return each(p.SSHPublicKeys, func(k types.SSHPublicKeyMetadata) string { return aws.ToString(k.SSHPublicKeyId) })
}

func certificateIDs(p *iam.ListSigningCertificatesOutput) []string {
	return each(p.Certificates, func(c types.SigningCertificate) string { return aws.ToString(c.CertificateId) })
}

// readServiceCredentials pages by hand: ListServiceSpecificCredentials has
// no paginator in the SDK.
func readServiceCredentials(ctx context.Context, c *iam.Client, u *state.User) error {
	in := &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(u.Name)}
	for {
		page, err := c.ListServiceSpecificCredentials(ctx, in)
		if err != nil {
			return fmt.Errorf("list service-specific credentials of user %s: %w", u.Name, err)
		}
		for _, sc := range page.ServiceSpecificCredentials {
			u.ServiceSpecificCredentials = append(u.ServiceSpecificCredentials, state.ServiceCredential{
				ID: aws.ToString(sc.ServiceSpecificCredentialId), ServiceName: aws.ToString(sc.ServiceName),
			})
		}
		if !page.IsTruncated || aws.ToString(page.Marker) == "" {
			return nil
		}
		in.Marker = page.Marker
	}
}

// readUnassignedMFA lists the account's virtual MFA devices that no user
// has into acct.
func readUnassignedMFA(ctx context.Context, c *iam.Client, acct *state.Account) (err error) {
	p := iam.NewListVirtualMFADevicesPaginator(c, &iam.ListVirtualMFADevicesInput{
		AssignmentStatus: types.AssignmentStatusTypeUnassigned, MaxItems: aws.Int32(pageSize),
	})
	if acct.UnassignedMFADevices, err = listed(ctx, p, virtualMFASerials); err != nil {
		return fmt.Errorf("list unassigned virtual MFA devices: %w", err)
	}
	return nil
}

// inlinePolicy returns the canonical form of an inline policy document as
// IAM returns it (URL-encoded JSON).
func inlinePolicy(owner, name, doc string) (string, error) {
	c, err := policy.Canonical(doc)
	if err != nil {
		return "", fmt.Errorf("inline policy %s of %s: %w", name, owner, err)
	}
	return c, nil
}

// finish puts an account into the normal form both readers share: sorted
// slices, nil for empty maps and slices, group members from the users'
// group lists.
func finish(acct *state.Account) {
	for _, g := range acct.Groups {
		g.Members = nil
	}
	for _, name := range sortedKeys(acct.Users) {
		u := acct.Users[name]
		for _, gn := range u.Groups {
			if g, ok := acct.Groups[gn]; ok {
				g.Members = append(g.Members, u.Name)
			}
		}
		u.Groups = sortedOrNil(u.Groups)
		u.ManagedPolicies = sortedOrNil(u.ManagedPolicies)
		u.InlinePolicies = mapOrNil(u.InlinePolicies)
		u.Tags = mapOrNil(u.Tags)
		u.MFADevices = sortedOrNil(u.MFADevices)
		u.SSHPublicKeys = sortedOrNil(u.SSHPublicKeys)
		u.SigningCertificates = sortedOrNil(u.SigningCertificates)
		slices.SortFunc(u.AccessKeys, func(a, b state.AccessKey) int { return cmp.Compare(a.ID, b.ID) })
		if len(u.AccessKeys) == 0 {
			u.AccessKeys = nil
		}
		slices.SortFunc(u.ServiceSpecificCredentials, func(a, b state.ServiceCredential) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.ServiceName, b.ServiceName))
		})
		if len(u.ServiceSpecificCredentials) == 0 {
			u.ServiceSpecificCredentials = nil
		}
	}
	acct.UnassignedMFADevices = sortedOrNil(acct.UnassignedMFADevices)
	for _, g := range acct.Groups {
		g.Members = sortedOrNil(g.Members)
		g.ManagedPolicies = sortedOrNil(g.ManagedPolicies)
		g.InlinePolicies = mapOrNil(g.InlinePolicies)
	}
}

func sortedOrNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	return slices.Compact(s)
}

func mapOrNil[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return nil
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// liveUser is a user as IAM's listings name it (ListUsers, and
// GetAccountAuthorizationDetails' user details), so that both readers give
// the same user.
func liveUser(name, path, arn, id *string, created *time.Time) *state.User {
	return &state.User{
		Name:    aws.ToString(name),
		Path:    aws.ToString(path),
		ARN:     aws.ToString(arn),
		ID:      aws.ToString(id),
		Created: aws.ToTime(created).UTC(),
	}
}

// liveGroup is a group as IAM's listings name it (ListGroups, and
// GetAccountAuthorizationDetails' group details).
func liveGroup(name, path, arn, id *string) *state.Group {
	return &state.Group{Name: aws.ToString(name), Path: aws.ToString(path), ARN: aws.ToString(arn), ID: aws.ToString(id)}
}

func newAccount(id string) *state.Account {
	return &state.Account{AccountID: id, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
}

// ReadPermissions are the IAM actions the account-wide reader calls: what a
// plan role needs (besides a trust policy that lets roster assume it).
var ReadPermissions = []string{
	"iam:GetAccountAuthorizationDetails",
	"iam:GetLoginProfile",
	"iam:ListAccessKeys",
	"iam:ListMFADevices",
	"iam:ListSSHPublicKeys",
	"iam:ListServiceSpecificCredentials",
	"iam:ListSigningCertificates",
	"iam:ListVirtualMFADevices",
}

// PerUserReadPermissions are the IAM actions the per-user reader calls, for
// roles that cannot be granted iam:GetAccountAuthorizationDetails.
var PerUserReadPermissions = []string{
	"iam:GetGroupPolicy",
	"iam:GetLoginProfile",
	"iam:GetUser",
	"iam:GetUserPolicy",
	"iam:ListAccessKeys",
	"iam:ListAttachedGroupPolicies",
	"iam:ListAttachedUserPolicies",
	"iam:ListGroupPolicies",
	"iam:ListGroups",
	"iam:ListGroupsForUser",
	"iam:ListMFADevices",
	"iam:ListSSHPublicKeys",
	"iam:ListServiceSpecificCredentials",
	"iam:ListSigningCertificates",
	"iam:ListUserPolicies",
	"iam:ListUserTags",
	"iam:ListUsers",
	"iam:ListVirtualMFADevices",
}
