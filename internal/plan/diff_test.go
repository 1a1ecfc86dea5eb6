package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

const testAccount = "111122223333"

var (
	testCfg = manifest.Config{OwnershipTag: "roster:managed", OwnerTag: "roster:owner"}
	// testNow is mid-afternoon on 2026-06-01 UTC.
	testNow = time.Date(2026, 6, 1, 15, 4, 5, 0, time.UTC)
)

const (
	docA  = `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	docB  = `{"Statement":[{"Action":"s3:PutObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	power = "arn:aws:iam::aws:policy/PowerUserAccess"
	read  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	bound = "arn:aws:iam::111122223333:policy/boundary"
	pgp   = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF...\n-----END PGP PUBLIC KEY BLOCK-----\n"
)

func managedTags(extra ...string) map[string]string {
	m := map[string]string{"roster:managed": "true"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func date(s string) *manifest.Expiry {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	e := manifest.EndOfDay(t)
	return &e
}

// testEnv is a production-like environment with default guardrails.
func testEnv(users []*manifest.User, groups []*manifest.Group) *manifest.Environment {
	return &manifest.Environment{
		Name:       "production",
		Dir:        "access/production",
		AccountID:  testAccount,
		Production: true,
		Guardrails: manifest.Guardrails{MaxDeletions: 5},
		Users:      users,
		Groups:     groups,
	}
}

func person(name string) *manifest.User {
	return &manifest.User{Kind: manifest.Person, Name: name, Path: "/"}
}

// tombstone is a person's entry marked absent: true.
func tombstone(name string) *manifest.User {
	return &manifest.User{Kind: manifest.Person, Name: name, Path: "/", Absent: true}
}

func liveUser(name string, tags map[string]string) *state.User {
	return &state.User{
		Name:    name,
		Path:    "/",
		ARN:     "arn:aws:iam::" + testAccount + ":user/" + name,
		Access:  state.Access{Tags: tags},
		Details: state.LoginProfile | state.Credentials,
	}
}

func account(users ...*state.User) *state.Account {
	a := &state.Account{AccountID: testAccount, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	for _, u := range users {
		a.Users[u.Name] = u
	}
	return a
}

func withGroups(a *state.Account, groups ...*state.Group) *state.Account {
	for _, g := range groups {
		a.Groups[g.Name] = g
	}
	return a
}

func TestDiffUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   *manifest.Environment
		live  *state.Account
		want  []Change
		mfa   bool
		unman []Unmanaged
		// undeclared and warnings are checked when the case sets them.
		undeclared []Unmanaged
		warnings   []string
	}{
		{
			name: "create a person with everything",
			mfa:  true,
			env: testEnv([]*manifest.User{{
				Kind: manifest.Person, Name: "alice", Path: "/people/",
				Groups:              []string{"developers"},
				ManagedPolicies:     []string{read},
				InlinePolicies:      map[string]string{"s3": docA},
				PermissionsBoundary: bound,
				Tags:                manifest.TagsOf(map[string]string{"team": "payments"}),
				Console:             true, PGPKey: pgp,
			}}, []*manifest.Group{{Name: "developers", Path: "/"}}),
			live: withGroups(account(), &state.Group{Name: "developers", Path: "/"}),
			want: []Change{{
				Action: Create, Kind: KindUser, Name: "alice",
				After: &Resource{
					Path: "/people/", Access: state.Access{
						Groups:              []string{"developers"},
						ManagedPolicies:     []string{read},
						InlinePolicies:      map[string]string{"s3": docA, RequireMFAPolicyName: RequireMFAPolicy},
						PermissionsBoundary: bound,
						Tags:                managedTags("team", "payments"),
					}, Console: true,
				},
				Ops: []Op{
					{Type: OpCreateUser, User: "alice", Path: "/people/", Tags: managedTags("team", "payments"), PolicyARN: bound},
					{Type: OpAddUserToGroup, User: "alice", Group: "developers"},
					{Type: OpAttachUserPolicy, User: "alice", PolicyARN: read},
					{Type: OpPutUserPolicy, User: "alice", PolicyName: RequireMFAPolicyName, PolicyDocument: RequireMFAPolicy},
					{Type: OpPutUserPolicy, User: "alice", PolicyName: "s3", PolicyDocument: docA},
					{Type: OpCreateLoginProfile, User: "alice", PGPKey: pgp},
				},
			}},
		},
		{
			name: "create a console person without the MFA guardrail gets no MFA policy",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "alice", Console: true, PGPKey: pgp}}, nil),
			live: account(),
			want: []Change{{
				Action: Create, Kind: KindUser, Name: "alice",
				After: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}, Console: true},
				Ops: []Op{
					{Type: OpCreateUser, User: "alice", Path: "/", Tags: managedTags()},
					{Type: OpCreateLoginProfile, User: "alice", PGPKey: pgp},
				},
			}},
		},
		{
			name: "create a service account",
			mfa:  true,
			env: testEnv([]*manifest.User{{
				Kind: manifest.ServiceAccount, Name: "ci-deployer", Path: "/machines/", Owner: "platform-team",
				ManagedPolicies: []string{power}, Tags: manifest.TagsOf(map[string]string{"cost-center": "1234"}),
			}}, nil),
			live: account(),
			want: []Change{{
				Action: Create, Kind: KindServiceAccount, Name: "ci-deployer",
				After: &Resource{
					Path: "/machines/", Access: state.Access{
						ManagedPolicies: []string{power},
						Tags:            managedTags("cost-center", "1234", "roster:owner", "platform-team"),
					},
				},
				Ops: []Op{
					{Type: OpCreateUser, User: "ci-deployer", Path: "/machines/", Tags: managedTags("cost-center", "1234", "roster:owner", "platform-team")},
					{Type: OpAttachUserPolicy, User: "ci-deployer", PolicyARN: power},
				},
			}},
		},
		{
			name: "update path",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/people/"}}, nil),
			live: account(liveUser("bob", managedTags())),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				After:  &Resource{Path: "/people/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpUpdateUser, User: "bob", Path: "/people/"}},
			}},
		},
		{
			name: "update tags: removed keys untagged, added and changed keys tagged",
			env: testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/",
				Tags: manifest.TagsOf(map[string]string{"team": "payments", "email": "bob@example.com"})}}, nil),
			live: account(liveUser("bob", managedTags("team", "billing", "old", "x", "zzz", "y"))),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags("team", "billing", "old", "x", "zzz", "y")}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags("team", "payments", "email", "bob@example.com")}},
				Ops: []Op{
					{Type: OpUntagUser, User: "bob", TagKeys: []string{"old", "zzz"}},
					{Type: OpTagUser, User: "bob", Tags: map[string]string{"team": "payments", "email": "bob@example.com"}},
				},
			}},
		},
		{
			name: "update boundary: set",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/", PermissionsBoundary: bound}}, nil),
			live: account(liveUser("bob", managedTags())),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags(), PermissionsBoundary: bound}},
				Ops:    []Op{{Type: OpPutUserPermissionsBoundary, User: "bob", PolicyARN: bound}},
			}},
		},
		{
			name: "update boundary: removed",
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: account(func() *state.User { u := liveUser("bob", managedTags()); u.PermissionsBoundary = bound; return u }()),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags(), PermissionsBoundary: bound}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpDeleteUserPermissionsBoundary, User: "bob"}},
			}},
		},
		{
			name: "update groups and policies: removals before additions",
			env: testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/",
				Groups:          []string{"developers"},
				ManagedPolicies: []string{read},
				InlinePolicies:  map[string]string{"keep": docA, "change": docB, "new": docA},
			}}, []*manifest.Group{{Name: "developers", Path: "/"}, {Name: "ops", Path: "/"}}),
			live: withGroups(account(func() *state.User {
				u := liveUser("bob", managedTags())
				u.Groups = []string{"ops"}
				u.ManagedPolicies = []string{power}
				u.InlinePolicies = map[string]string{"keep": docA, "change": docA, "gone": docB}
				return u
			}()), &state.Group{Name: "developers", Path: "/"}, &state.Group{Name: "ops", Path: "/", Members: []string{"bob"}}),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{
					Tags:            managedTags(),
					Groups:          []string{"ops"},
					ManagedPolicies: []string{power},
					InlinePolicies:  map[string]string{"keep": docA, "change": docA, "gone": docB},
				}},
				After: &Resource{Path: "/", Access: state.Access{
					Tags:            managedTags(),
					Groups:          []string{"developers"},
					ManagedPolicies: []string{read},
					InlinePolicies:  map[string]string{"keep": docA, "change": docB, "new": docA},
				}},
				Ops: []Op{
					{Type: OpRemoveUserFromGroup, User: "bob", Group: "ops"},
					{Type: OpDetachUserPolicy, User: "bob", PolicyARN: power},
					{Type: OpDeleteUserPolicy, User: "bob", PolicyName: "gone"},
					{Type: OpAddUserToGroup, User: "bob", Group: "developers"},
					{Type: OpAttachUserPolicy, User: "bob", PolicyARN: read},
					{Type: OpPutUserPolicy, User: "bob", PolicyName: "change", PolicyDocument: docB},
					{Type: OpPutUserPolicy, User: "bob", PolicyName: "new", PolicyDocument: docA},
				},
			}},
		},
		{
			name: "a managed user leaves a group the manifests no longer name",
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: withGroups(account(func() *state.User {
				u := liveUser("bob", managedTags())
				u.Groups = []string{"legacy"}
				return u
			}()), &state.Group{Name: "legacy", Path: "/", Members: []string{"bob"}, ManagedPolicies: []string{power}}),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags(), Groups: []string{"legacy"}}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpRemoveUserFromGroup, User: "bob", Group: "legacy"}},
			}},
		},
		{
			name: "update console: on, with the MFA policy",
			mfa:  true,
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/", Console: true, PGPKey: pgp}}, nil),
			live: account(liveUser("bob", managedTags())),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags(), InlinePolicies: map[string]string{RequireMFAPolicyName: RequireMFAPolicy}}, Console: true},
				Ops: []Op{
					{Type: OpPutUserPolicy, User: "bob", PolicyName: RequireMFAPolicyName, PolicyDocument: RequireMFAPolicy},
					{Type: OpCreateLoginProfile, User: "bob", PGPKey: pgp},
				},
			}},
		},
		{
			name: "update console: off removes the login profile and the MFA policy",
			mfa:  true,
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: account(func() *state.User {
				u := liveUser("bob", managedTags())
				u.LoginProfile = true
				u.InlinePolicies = map[string]string{RequireMFAPolicyName: RequireMFAPolicy}
				return u
			}()),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags(), InlinePolicies: map[string]string{RequireMFAPolicyName: RequireMFAPolicy}}, Console: true},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops: []Op{
					{Type: OpDeleteUserPolicy, User: "bob", PolicyName: RequireMFAPolicyName},
					{Type: OpDeleteLoginProfile, User: "bob"},
				},
			}},
		},
		{
			name: "an undelivered password is reset, then its record removed",
			mfa:  true,
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/", Console: true, PGPKey: pgp}}, nil),
			live: account(func() *state.User {
				u := liveUser("bob", managedTags(manifest.PasswordTag, manifest.PasswordUndelivered))
				u.LoginProfile = true
				u.InlinePolicies = map[string]string{RequireMFAPolicyName: RequireMFAPolicy}
				return u
			}()),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags(manifest.PasswordTag, manifest.PasswordUndelivered), InlinePolicies: map[string]string{RequireMFAPolicyName: RequireMFAPolicy}}, Console: true},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags(), InlinePolicies: map[string]string{RequireMFAPolicyName: RequireMFAPolicy}}, Console: true},
				Ops: []Op{
					{Type: OpUpdateLoginProfile, User: "bob", PGPKey: pgp},
					{Type: OpUntagUser, User: "bob", TagKeys: []string{manifest.PasswordTag}},
				},
			}},
		},
		{
			name: "console off: the login profile and the undelivered record go",
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: account(func() *state.User {
				u := liveUser("bob", managedTags(manifest.PasswordTag, manifest.PasswordUndelivered))
				u.LoginProfile = true
				return u
			}()),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags(manifest.PasswordTag, manifest.PasswordUndelivered)}, Console: true},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops: []Op{
					{Type: OpDeleteLoginProfile, User: "bob"},
					{Type: OpUntagUser, User: "bob", TagKeys: []string{manifest.PasswordTag}},
				},
			}},
		},
		{
			name: "an undelivered record on an unmanaged user: never touched",
			env:  testEnv(nil, nil),
			live: account(func() *state.User {
				u := liveUser("eve", map[string]string{manifest.PasswordTag: manifest.PasswordUndelivered})
				u.LoginProfile = true
				return u
			}()),
			want:  []Change{},
			unman: []Unmanaged{{Name: "eve", ARN: "arn:aws:iam::111122223333:user/eve"}},
		},
		{
			name: "unassigned virtual MFA devices: those named after a managed user go",
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: func() *state.Account {
				a := account(liveUser("bob", managedTags()), liveUser("eve", nil))
				a.UnassignedMFADevices = []string{
					"arn:aws:iam::111122223333:mfa/Bob",
					"arn:aws:iam::111122223333:mfa/people/bob",
					"arn:aws:iam::111122223333:mfa/eve",
					"arn:aws:iam::111122223333:mfa/stranger",
				}
				return a
			}(),
			want: []Change{{
				Action: Update, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops: []Op{
					{Type: OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/Bob"},
					{Type: OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/people/bob"},
				},
			}},
			unman: []Unmanaged{{Name: "eve", ARN: "arn:aws:iam::111122223333:user/eve"}},
		},
		{
			name: "unassigned virtual MFA device of a user being offboarded goes before the user",
			env:  testEnv([]*manifest.User{tombstone("carol")}, nil),
			live: func() *state.Account {
				a := account(liveUser("carol", managedTags()))
				a.UnassignedMFADevices = []string{"arn:aws:iam::111122223333:mfa/carol"}
				return a
			}(),
			want: []Change{{
				Action: Delete, Kind: KindUser, Name: "carol", Reason: "marked absent in the manifests",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops: []Op{
					{Type: OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/carol"},
					{Type: OpDeleteUser, User: "carol"},
				},
			}},
		},
		{
			name: "nothing differs: no change",
			mfa:  true,
			env: testEnv([]*manifest.User{{Kind: manifest.Person, Name: "bob", Path: "/", Console: true, PGPKey: pgp,
				Groups: []string{"developers"}, InlinePolicies: map[string]string{"s3": docA}}}, []*manifest.Group{{Name: "developers", Path: "/"}}),
			live: withGroups(account(func() *state.User {
				u := liveUser("bob", managedTags())
				u.LoginProfile = true
				u.Groups = []string{"developers"}
				u.InlinePolicies = map[string]string{"s3": docA, RequireMFAPolicyName: RequireMFAPolicy}
				u.AccessKeys = []state.AccessKey{{ID: "AKIA1", Status: "Active"}}
				return u
			}()), &state.Group{Name: "developers", Path: "/", Members: []string{"bob"}}),
			want: []Change{},
		},
		{
			name: "adopt an untagged service account, then update it",
			env: testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "platform",
				ManagedPolicies: []string{power}}}, nil),
			live: account(liveUser("ci", map[string]string{"made-by": "hand"})),
			want: []Change{{
				Action: Adopt, Kind: KindServiceAccount, Name: "ci",
				Before: &Resource{Path: "/", Access: state.Access{Tags: map[string]string{"made-by": "hand"}}},
				After:  &Resource{Path: "/", Access: state.Access{ManagedPolicies: []string{power}, Tags: managedTags("roster:owner", "platform")}},
				Ops: []Op{
					{Type: OpTagUser, User: "ci", Tags: managedTags("roster:owner", "platform")},
					{Type: OpUntagUser, User: "ci", TagKeys: []string{"made-by"}},
					{Type: OpAttachUserPolicy, User: "ci", PolicyARN: power},
				},
			}},
		},
		{
			name: "owner: unknown is never written as the owner tag",
			env:  testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "unknown"}}, nil),
			live: account(liveUser("ci", nil)),
			want: []Change{{
				Action: Adopt, Kind: KindServiceAccount, Name: "ci",
				Before: &Resource{Path: "/"},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpTagUser, User: "ci", Tags: managedTags()}},
			}},
		},
		{
			name: "owner: unknown on a new service account writes no owner tag",
			env:  testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "Unknown"}}, nil),
			live: account(),
			want: []Change{{
				Action: Create, Kind: KindServiceAccount, Name: "ci",
				After: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:   []Op{{Type: OpCreateUser, User: "ci", Path: "/", Tags: managedTags()}},
			}},
		},
		{
			name: "owner: unknown keeps the owner tag the user has",
			env:  testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "unknown"}}, nil),
			live: account(liveUser("ci", managedTags("roster:owner", "data-team"))),
			want: []Change{},
		},
		{
			name: "adopt with nothing else to change still tags",
			env:  testEnv([]*manifest.User{person("bob")}, nil),
			live: account(liveUser("bob", map[string]string{"roster:managed": "false"})),
			want: []Change{{
				Action: Adopt, Kind: KindUser, Name: "bob",
				Before: &Resource{Path: "/", Access: state.Access{Tags: map[string]string{"roster:managed": "false"}}},
				After:  &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpTagUser, User: "bob", Tags: managedTags()}},
			}},
		},
		{
			name: "delete with full teardown in the order IAM requires",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "carol", Path: "/people/", Absent: true}}, nil),
			live: withGroups(account(&state.User{
				Name: "carol", Path: "/people/", ARN: "arn:aws:iam::111122223333:user/people/carol",
				Access: state.Access{
					Tags:                managedTags("team", "x"),
					Groups:              []string{"developers", "ops"},
					ManagedPolicies:     []string{power},
					InlinePolicies:      map[string]string{"b": docB, "a": docA},
					PermissionsBoundary: bound,
				},
				Details:             state.LoginProfile | state.Credentials,
				LoginProfile:        true,
				AccessKeys:          []state.AccessKey{{ID: "AKIA2"}, {ID: "AKIA1"}},
				MFADevices:          []string{"arn:aws:iam::111122223333:mfa/carol", "GAHT12345678", "arn:aws:iam::111122223333:u2f/user/carol/key-1"},
				SSHPublicKeys:       []string{"APKA1"},
				SigningCertificates: []string{"CERT1"},
				ServiceSpecificCredentials: []state.ServiceCredential{
					{ID: "ACCA1", ServiceName: "codecommit.amazonaws.com"},
				},
			}), &state.Group{Name: "developers", Members: []string{"carol"}}, &state.Group{Name: "ops", Members: []string{"carol"}}),
			want: []Change{{
				Action: Delete, Kind: KindUser, Name: "carol", Reason: "marked absent in the manifests",
				Before: &Resource{Path: "/people/", Access: state.Access{
					Tags:                managedTags("team", "x"),
					Groups:              []string{"developers", "ops"},
					ManagedPolicies:     []string{power},
					InlinePolicies:      map[string]string{"a": docA, "b": docB},
					PermissionsBoundary: bound,
				}, Console: true},
				Ops: []Op{
					{Type: OpDeleteLoginProfile, User: "carol"},
					{Type: OpDeleteAccessKey, User: "carol", ID: "AKIA1"},
					{Type: OpDeleteAccessKey, User: "carol", ID: "AKIA2"},
					{Type: OpDeactivateMFADevice, User: "carol", ID: "GAHT12345678"},
					{Type: OpDeactivateMFADevice, User: "carol", ID: "arn:aws:iam::111122223333:mfa/carol"},
					{Type: OpDeleteVirtualMFADevice, ID: "arn:aws:iam::111122223333:mfa/carol"},
					{Type: OpDeactivateMFADevice, User: "carol", ID: "arn:aws:iam::111122223333:u2f/user/carol/key-1"},
					{Type: OpDeleteSSHPublicKey, User: "carol", ID: "APKA1"},
					{Type: OpDeleteSigningCertificate, User: "carol", ID: "CERT1"},
					{Type: OpDeleteServiceSpecificCredential, User: "carol", ID: "ACCA1"},
					{Type: OpRemoveUserFromGroup, User: "carol", Group: "developers"},
					{Type: OpRemoveUserFromGroup, User: "carol", Group: "ops"},
					{Type: OpDetachUserPolicy, User: "carol", PolicyARN: power},
					{Type: OpDeleteUserPolicy, User: "carol", PolicyName: "a"},
					{Type: OpDeleteUserPolicy, User: "carol", PolicyName: "b"},
					{Type: OpDeleteUserPermissionsBoundary, User: "carol"},
					{Type: OpDeleteUser, User: "carol"},
				},
			}},
		},
		{
			name: "a service account's tombstone deletes it as a service account",
			env:  testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Owner: "platform", Absent: true}}, nil),
			live: account(liveUser("ci", managedTags("roster:owner", "platform"))),
			want: []Change{{
				Action: Delete, Kind: KindServiceAccount, Name: "ci", Reason: "marked absent in the manifests",
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags("roster:owner", "platform")}},
				Ops:    []Op{{Type: OpDeleteUser, User: "ci"}},
			}},
		},
		{
			name: "expiry: the expiry day itself keeps the user",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "dave", Path: "/", Expires: date("2026-06-01")}}, nil),
			live: account(liveUser("dave", managedTags())),
			want: []Change{},
		},
		{
			name: "expiry: the day after deletes the user",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "dave", Path: "/", Expires: date("2026-05-31")}}, nil),
			live: account(liveUser("dave", managedTags())),
			want: []Change{{
				Action: Delete, Kind: KindUser, Name: "dave", Reason: "expired on 2026-05-31", Expired: true,
				Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
				Ops:    []Op{{Type: OpDeleteUser, User: "dave"}},
			}},
		},
		{
			name: "expiry: an expired user not yet created is not created",
			env:  testEnv([]*manifest.User{{Kind: manifest.Person, Name: "dave", Path: "/", Expires: date("2026-05-31")}}, nil),
			live: account(),
			want: []Change{},
		},
		{
			name:  "expiry: an unmanaged user is never deleted",
			env:   testEnv([]*manifest.User{{Kind: manifest.Person, Name: "dave", Path: "/", Expires: date("2020-01-01")}}, nil),
			live:  account(liveUser("dave", nil)),
			want:  []Change{},
			unman: []Unmanaged{{Name: "dave", ARN: "arn:aws:iam::111122223333:user/dave"}},
		},
		{
			name: "removed from the manifests without a tombstone: never deleted or changed, the plan says what to write",
			env:  testEnv(nil, nil),
			live: account(func() *state.User {
				u := liveUser("carol", managedTags("team", "x"))
				u.ManagedPolicies, u.LoginProfile = []string{power}, true
				return u
			}()),
			want:       []Change{},
			undeclared: []Unmanaged{{Name: "carol", ARN: "arn:aws:iam::111122223333:user/carol"}},
			warnings: []string{"user \"carol\" is managed but not declared: it carries the roster:managed tag, but no manifest of production names it, " +
				"so roster does not change or delete it. Add an entry with `absent: true` to offboard it, or remove the tag"},
		},
		{
			name: "a hand-added ownership tag on break-glass-admin: warned about, never deleted or changed",
			env:  testEnv(nil, nil),
			live: account(func() *state.User {
				u := liveUser("break-glass-admin", managedTags())
				u.ManagedPolicies, u.LoginProfile = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, true
				return u
			}()),
			want:       []Change{},
			undeclared: []Unmanaged{{Name: "break-glass-admin", ARN: "arn:aws:iam::111122223333:user/break-glass-admin"}},
			warnings: []string{"user \"break-glass-admin\" is managed but not declared: it carries the roster:managed tag, but no manifest of production names it, " +
				"so roster does not change or delete it. Add an entry with `absent: true` to offboard it, or remove the tag"},
		},
		{
			name: "a hand-added ownership tag on an ignored break-glass user: silent, never deleted or changed",
			env: func() *manifest.Environment {
				e := testEnv(nil, nil)
				e.Unmanaged.Ignore = []string{"break-glass-*"}
				return e
			}(),
			live: account(func() *state.User {
				u := liveUser("Break-Glass-Admin", managedTags())
				u.ManagedPolicies, u.LoginProfile = []string{"arn:aws:iam::aws:policy/AdministratorAccess"}, true
				return u
			}()),
			want:     []Change{},
			warnings: []string{},
		},
		{
			name: "an ignored name is never touched, even declared or tombstoned",
			env: func() *manifest.Environment {
				e := testEnv([]*manifest.User{person("break-glass-a"), tombstone("break-glass-b")}, nil)
				e.Unmanaged.Ignore = []string{"break-glass-*"}
				return e
			}(),
			live:     account(liveUser("break-glass-a", nil), liveUser("break-glass-b", managedTags())),
			want:     []Change{},
			warnings: []string{},
		},
		{
			name:     "a tombstone of a user that no longer exists is harmless",
			env:      testEnv([]*manifest.User{tombstone("gone")}, nil),
			live:     account(),
			want:     []Change{},
			warnings: []string{},
		},
		{
			name:  "a tombstone of an unmanaged user: never deleted, the plan says so",
			env:   testEnv([]*manifest.User{tombstone("dave")}, nil),
			live:  account(liveUser("dave", nil)),
			want:  []Change{},
			unman: []Unmanaged{{Name: "dave", ARN: "arn:aws:iam::111122223333:user/dave"}},
			warnings: []string{"user \"dave\" is marked for offboarding (marked absent in the manifests) but is not managed by roster " +
				"(it lacks the roster:managed tag), so roster does not delete it; delete it by hand, then remove its entry"},
		},
		{
			name:  "an unmanaged user is never changed, whatever it holds",
			env:   testEnv(nil, nil),
			live:  account(func() *state.User { u := liveUser("root-ish", nil); u.ManagedPolicies = []string{power}; return u }()),
			want:  []Change{},
			unman: []Unmanaged{{Name: "root-ish", ARN: "arn:aws:iam::111122223333:user/root-ish"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env.Guardrails.ConsoleRequiresMFA = tt.mfa
			got := Diff(testCfg, tt.env, tt.live, testNow)
			if diff := cmp.Diff(tt.want, got.Changes, cmpopts.EquateEmpty(), ignoreOrder); diff != "" {
				t.Errorf("Changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unman, got.Unmanaged, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Unmanaged (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.undeclared, got.Undeclared, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Undeclared (-want +got):\n%s", diff)
			}
			if tt.warnings != nil {
				if diff := cmp.Diff(tt.warnings, got.Warnings, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Warnings (-want +got):\n%s", diff)
				}
			}
			if got.Refused != "" {
				t.Errorf("Refused = %q, want none", got.Refused)
			}
		})
	}
}

func TestDiffGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      *manifest.Environment
		live     *state.Account
		want     []Change
		warnings []string
	}{
		{
			name: "create a group before its first member",
			env: testEnv([]*manifest.User{{Kind: manifest.Person, Name: "alice", Path: "/", Groups: []string{"developers"}}},
				[]*manifest.Group{{Name: "developers", Path: "/teams/", ManagedPolicies: []string{power}, InlinePolicies: map[string]string{"deny": docA}}}),
			live: account(),
			want: []Change{
				{
					Action: Create, Kind: KindGroup, Name: "developers",
					After: &Resource{Path: "/teams/", Access: state.Access{ManagedPolicies: []string{power}, InlinePolicies: map[string]string{"deny": docA}}, Members: []string{"alice"}},
					Ops: []Op{
						{Type: OpCreateGroup, Group: "developers", Path: "/teams/"},
						{Type: OpAttachGroupPolicy, Group: "developers", PolicyARN: power},
						{Type: OpPutGroupPolicy, Group: "developers", PolicyName: "deny", PolicyDocument: docA},
					},
				},
				{
					Action: Create, Kind: KindUser, Name: "alice",
					After: &Resource{Path: "/", Access: state.Access{Groups: []string{"developers"}, Tags: managedTags()}},
					Ops: []Op{
						{Type: OpCreateUser, User: "alice", Path: "/", Tags: managedTags()},
						{Type: OpAddUserToGroup, User: "alice", Group: "developers"},
					},
				},
			},
		},
		{
			name: "update a group: path and exclusive policies, removals first",
			env: testEnv(nil, []*manifest.Group{{Name: "developers", Path: "/teams/", ManagedPolicies: []string{read},
				InlinePolicies: map[string]string{"keep": docA, "change": docB}}}),
			live: withGroups(account(), &state.Group{Name: "developers", Path: "/", ManagedPolicies: []string{power},
				InlinePolicies: map[string]string{"keep": docA, "change": docA, "extra": docB}}),
			want: []Change{{
				Action: Update, Kind: KindGroup, Name: "developers",
				Before: &Resource{Path: "/", Access: state.Access{ManagedPolicies: []string{power}, InlinePolicies: map[string]string{"keep": docA, "change": docA, "extra": docB}}},
				After:  &Resource{Path: "/teams/", Access: state.Access{ManagedPolicies: []string{read}, InlinePolicies: map[string]string{"keep": docA, "change": docB}}},
				Ops: []Op{
					{Type: OpUpdateGroup, Group: "developers", Path: "/teams/"},
					{Type: OpDetachGroupPolicy, Group: "developers", PolicyARN: power},
					{Type: OpDeleteGroupPolicy, Group: "developers", PolicyName: "extra"},
					{Type: OpAttachGroupPolicy, Group: "developers", PolicyARN: read},
					{Type: OpPutGroupPolicy, Group: "developers", PolicyName: "change", PolicyDocument: docB},
				},
			}},
		},
		{
			name: "an unmanaged member of a managed group stays, with a warning",
			env:  testEnv(nil, []*manifest.Group{{Name: "developers", Path: "/"}}),
			live: withGroups(account(func() *state.User { u := liveUser("mallory", nil); u.Groups = []string{"developers"}; return u }()),
				&state.Group{Name: "developers", Path: "/", Members: []string{"mallory"}}),
			want:     []Change{},
			warnings: []string{`group "developers" has member "mallory", which roster does not manage; roster leaves it in the group: add "mallory" to the manifests or remove it from the group by hand`},
		},
		{
			name: "an ignored unmanaged member of a managed group stays silently",
			env: func() *manifest.Environment {
				e := testEnv(nil, []*manifest.Group{{Name: "admins", Path: "/"}})
				e.Unmanaged.Ignore = []string{"break-glass-*"}
				return e
			}(),
			live: withGroups(account(func() *state.User { u := liveUser("break-glass-1", nil); u.Groups = []string{"admins"}; return u }()),
				&state.Group{Name: "admins", Path: "/", Members: []string{"break-glass-1"}}),
			want: []Change{},
		},
		{
			name: "absent group: members that stay are removed, then policies, then the group",
			env: testEnv([]*manifest.User{person("bob"), tombstone("gone")},
				[]*manifest.Group{{Name: "old", Absent: true}}),
			live: withGroups(account(
				func() *state.User { u := liveUser("bob", managedTags()); u.Groups = []string{"old"}; return u }(),
				func() *state.User { u := liveUser("gone", managedTags()); u.Groups = []string{"old"}; return u }(),
			), &state.Group{Name: "old", Path: "/", Members: []string{"bob", "gone"}, ManagedPolicies: []string{power},
				InlinePolicies: map[string]string{"x": docA}}),
			want: []Change{
				{
					Action: Delete, Kind: KindUser, Name: "gone", Reason: "marked absent in the manifests",
					Before: &Resource{Path: "/", Access: state.Access{Groups: []string{"old"}, Tags: managedTags()}},
					Ops: []Op{
						{Type: OpRemoveUserFromGroup, User: "gone", Group: "old"},
						{Type: OpDeleteUser, User: "gone"},
					},
				},
				{
					Action: Delete, Kind: KindGroup, Name: "old", Reason: "marked absent in the manifests",
					Before: &Resource{Path: "/", Members: []string{"bob", "gone"}, Access: state.Access{ManagedPolicies: []string{power}, InlinePolicies: map[string]string{"x": docA}}},
					Ops: []Op{
						{Type: OpRemoveUserFromGroup, User: "bob", Group: "old"},
						{Type: OpDetachGroupPolicy, Group: "old", PolicyARN: power},
						{Type: OpDeleteGroupPolicy, Group: "old", PolicyName: "x"},
						{Type: OpDeleteGroup, Group: "old"},
					},
				},
			},
		},
		{
			name: "absent group that does not exist: nothing to do",
			env:  testEnv(nil, []*manifest.Group{{Name: "old", Absent: true}}),
			live: account(),
			want: []Change{},
		},
		{
			name: "absent group with an unmanaged member is not deleted",
			env:  testEnv(nil, []*manifest.Group{{Name: "old", Absent: true}}),
			live: withGroups(account(func() *state.User { u := liveUser("mallory", nil); u.Groups = []string{"old"}; return u }()),
				&state.Group{Name: "old", Path: "/", Members: []string{"mallory"}}),
			want:     []Change{},
			warnings: []string{`group "old" is marked absent but has members roster does not change (mallory); roster never changes unmanaged, ignored or undeclared users, so it does not delete the group: remove them from the group by hand or declare them in the manifests`},
		},
		{
			name: "a group removed from the manifests is left alone",
			env:  testEnv(nil, nil),
			live: withGroups(account(), &state.Group{Name: "legacy", Path: "/", ManagedPolicies: []string{power},
				InlinePolicies: map[string]string{"x": docA}}),
			want: []Change{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diff(testCfg, tt.env, tt.live, testNow)
			if diff := cmp.Diff(tt.want, got.Changes, cmpopts.EquateEmpty(), ignoreOrder); diff != "" {
				t.Errorf("Changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, got.Warnings, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// ignoreOrder leaves Phase and DependsOn out of comparisons of a change's
// content; TestDiffOrder checks them.
var ignoreOrder = cmpopts.IgnoreFields(Change{}, "Phase", "DependsOn")

// TestDiffOrder checks the apply order across kinds of change, each
// change's phase, and what it waits for: users joining a group wait for
// its creation or update, a group delete waits for every change that
// touches the group.
func TestDiffOrder(t *testing.T) {
	t.Parallel()
	env := testEnv([]*manifest.User{
		{Kind: manifest.Person, Name: "zed", Path: "/", Groups: []string{"new"}},     // adopt, joins a new group
		{Kind: manifest.Person, Name: "amy", Path: "/", Groups: []string{"Changed"}}, // create, joins an updated group
		{Kind: manifest.Person, Name: "bob", Path: "/people/"},                       // update
		{Kind: manifest.Person, Name: "ann", Path: "/"},                              // adopt
		tombstone("old0"), tombstone("old1"), // delete
	}, []*manifest.Group{
		{Name: "new", Path: "/"},
		{Name: "changed", Path: "/x/"},
		{Name: "another", Path: "/"},
		{Name: "dead", Absent: true},
	})
	old0 := liveUser("old0", managedTags())
	old0.Groups = []string{"dead"}
	live := withGroups(account(
		liveUser("zed", nil), liveUser("ann", nil),
		liveUser("bob", managedTags()),
		liveUser("old1", managedTags()), old0,
	), &state.Group{Name: "changed", Path: "/"}, &state.Group{Name: "dead", Path: "/", Members: []string{"old0"}})
	got := Diff(testCfg, env, live, testNow)
	type key struct {
		Action    Action
		Kind      Kind
		Name      string
		Phase     Phase
		DependsOn []int
	}
	var keys []key
	for _, c := range got.Changes {
		keys = append(keys, key{c.Action, c.Kind, c.Name, c.Phase, c.DependsOn})
	}
	want := []key{
		{Create, KindGroup, "another", PhaseGroupCreate, nil},
		{Create, KindGroup, "new", PhaseGroupCreate, nil},
		{Adopt, KindUser, "ann", PhaseAdopt, nil},
		{Adopt, KindUser, "zed", PhaseAdopt, []int{1}},
		{Update, KindGroup, "changed", PhaseGroupUpdate, nil},
		{Create, KindUser, "amy", PhaseUserChange, []int{4}},
		{Update, KindUser, "bob", PhaseUserChange, nil},
		{Delete, KindUser, "old0", PhaseUserDelete, nil},
		{Delete, KindUser, "old1", PhaseUserDelete, nil},
		{Delete, KindGroup, "dead", PhaseGroupDelete, []int{7}},
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("change order (-want +got):\n%s", diff)
	}
}

// TestOrderSorts: Order puts changes listed in any order into phases,
// keeping the order within a phase, and points dependencies at the new
// positions.
func TestOrderSorts(t *testing.T) {
	t.Parallel()
	changes := []Change{
		{Action: Delete, Kind: KindGroup, Name: "old", Ops: []Op{{Type: OpDeleteGroup, Group: "old"}}},
		{Action: Create, Kind: KindUser, Name: "b", Ops: []Op{{Type: OpCreateUser, User: "b"}, {Type: OpAddUserToGroup, User: "b", Group: "NEW"}}},
		{Action: Delete, Kind: KindUser, Name: "a", Ops: []Op{{Type: OpRemoveUserFromGroup, User: "a", Group: "old"}, {Type: OpDeleteUser, User: "a"}}},
		{Action: Update, Kind: KindUser, Name: "c", Ops: []Op{{Type: OpRemoveUserFromGroup, User: "c", Group: "new"}}},
		{Action: Create, Kind: KindGroup, Name: "new", Ops: []Op{{Type: OpCreateGroup, Group: "new"}}},
	}
	Order(changes)
	type key struct {
		Name      string
		Phase     Phase
		DependsOn []int
	}
	var got []key
	for _, c := range changes {
		got = append(got, key{c.Name, c.Phase, c.DependsOn})
	}
	want := []key{
		{"new", PhaseGroupCreate, nil},
		{"b", PhaseUserChange, []int{0}}, // joins "new", whatever the case
		{"c", PhaseUserChange, nil},      // only leaves a group: waits for nothing
		{"a", PhaseUserDelete, nil},
		{"old", PhaseGroupDelete, []int{3}}, // a leaves it in its teardown
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Order (-want +got):\n%s", diff)
	}
}

func TestDiffUnmanagedIgnore(t *testing.T) {
	t.Parallel()
	env := testEnv(nil, nil)
	env.Unmanaged.Ignore = []string{"break-glass-*", "[", "root?"}
	live := account(liveUser("break-glass-1", nil), liveUser("zoe", nil), liveUser("admin", nil),
		liveUser("root1", nil), liveUser("root10", nil), liveUser("managed", managedTags()))
	env.Users = []*manifest.User{person("managed")}
	got := Diff(testCfg, env, live, testNow)
	want := []Unmanaged{
		{Name: "admin", ARN: "arn:aws:iam::111122223333:user/admin"},
		{Name: "root10", ARN: "arn:aws:iam::111122223333:user/root10"},
		{Name: "zoe", ARN: "arn:aws:iam::111122223333:user/zoe"},
	}
	if diff := cmp.Diff(want, got.Unmanaged); diff != "" {
		t.Errorf("Unmanaged (-want +got):\n%s", diff)
	}
	if got.HasChanges() {
		t.Errorf("unexpected changes: %+v", got.Changes)
	}
}

func TestDiffMaxDeletions(t *testing.T) {
	t.Parallel()
	live := account(liveUser("a", managedTags()), liveUser("b", managedTags()), liveUser("c", managedTags()),
		liveUser("u", nil))
	tests := []struct {
		name  string
		limit int
		want  string
	}{
		{name: "at the limit", limit: 3},
		{name: "above the limit", limit: 2, want: "This plan deletes 3 users, more than max_deletions (2) allows in production, " +
			"so roster will not apply it. If the deletions are intended, raise guardrails.max_deletions in " +
			"access/production/environment.yaml in this change (and lower it again afterwards), or split the change " +
			"into pull requests that each delete at most 2."},
		{name: "zero allows none", limit: 0, want: "This plan deletes 3 users, more than max_deletions (0) allows in production, " +
			"so roster will not apply it. If the deletions are intended, raise guardrails.max_deletions in " +
			"access/production/environment.yaml in this change (and lower it again afterwards)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv([]*manifest.User{tombstone("a"), tombstone("b"), tombstone("c"), tombstone("u")}, nil)
			env.Guardrails.MaxDeletions = tt.limit
			got := Diff(testCfg, env, live, testNow)
			if got.Refused != tt.want {
				t.Errorf("Refused = %q, want %q", got.Refused, tt.want)
			}
			if n := got.Counts().Delete; n != 3 {
				t.Errorf("deletions listed = %d, want 3 (a refused plan still lists its changes)", n)
			}
		})
	}
}

// TestDiffGroupDeletionsDoNotCount checks that max_deletions counts users
// only: deleting an absent group is not offboarding anyone.
func TestDiffGroupDeletionsDoNotCount(t *testing.T) {
	t.Parallel()
	env := testEnv(nil, []*manifest.Group{{Name: "a", Absent: true}, {Name: "b", Absent: true}})
	env.Guardrails.MaxDeletions = 0
	live := withGroups(account(), &state.Group{Name: "a"}, &state.Group{Name: "b"})
	got := Diff(testCfg, env, live, testNow)
	if got.Refused != "" {
		t.Errorf("Refused = %q, want none", got.Refused)
	}
	if n := got.Counts().Delete; n != 2 {
		t.Errorf("deletions = %d, want 2", n)
	}
}

func TestDiffCaseInsensitiveNames(t *testing.T) {
	t.Parallel()
	env := testEnv([]*manifest.User{{Kind: manifest.Person, Name: "Alice", Path: "/", Groups: []string{"Developers"}}},
		[]*manifest.Group{{Name: "Developers", Path: "/"}})
	live := withGroups(account(func() *state.User {
		u := liveUser("alice", managedTags())
		u.Groups = []string{"developers"}
		return u
	}()), &state.Group{Name: "developers", Path: "/", Members: []string{"alice"}})
	got := Diff(testCfg, env, live, testNow)
	if got.HasChanges() {
		t.Errorf("a name differing only in case must match the live user and group; changes: %+v", got.Changes)
	}
	wantWarnings := []string{
		`group "Developers" is called "developers" in the account; IAM names are case-insensitive, so roster manages the existing group "developers"`,
		`user "Alice" is called "alice" in the account; IAM names are case-insensitive, so roster manages the existing user "alice"`,
	}
	if diff := cmp.Diff(wantWarnings, got.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}

func TestDiffExpiredUnmanagedWarns(t *testing.T) {
	t.Parallel()
	env := testEnv([]*manifest.User{{Kind: manifest.Person, Name: "dave", Path: "/", Expires: date("2026-05-31")}}, nil)
	got := Diff(testCfg, env, account(liveUser("dave", nil)), testNow)
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], `"dave" is marked for offboarding (expired on 2026-05-31) but is not managed`) {
		t.Errorf("Warnings = %q, want one about dave's expiry", got.Warnings)
	}
}

func TestDiffEnvironmentFields(t *testing.T) {
	t.Parallel()
	env := testEnv(nil, nil)
	got := Diff(testCfg, env, nil, testNow)
	want := &Environment{
		Name: "production", AccountID: testAccount, Production: true,
		Changes: []Change{}, Digest: DigestOf(testAccount, nil),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff over an empty account (-want +got):\n%s", diff)
	}
}

func TestDiffDefaultTagKeys(t *testing.T) {
	t.Parallel()
	// A zero Config uses the default ownership and owner tags.
	env := testEnv([]*manifest.User{{Kind: manifest.ServiceAccount, Name: "ci", Path: "/", Owner: "team"}}, nil)
	live := account(liveUser("ci", map[string]string{manifest.DefaultOwnershipTag: "true", manifest.DefaultOwnerTag: "team"}))
	if got := Diff(manifest.Config{}, env, live, testNow); got.HasChanges() {
		t.Errorf("changes with default tag keys: %+v", got.Changes)
	}
}

func TestManaged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tags map[string]string
		want bool
	}{
		{tags: nil, want: false},
		{tags: map[string]string{"roster:managed": "true"}, want: true},
		{tags: map[string]string{"roster:managed": "false"}, want: false},
		{tags: map[string]string{"roster:managed": "TRUE"}, want: false},
		{tags: map[string]string{"other": "true"}, want: false},
	}
	for _, tt := range tests {
		if got := Managed(testCfg, &state.User{Name: "u", Access: state.Access{Tags: tt.tags}}); got != tt.want {
			t.Errorf("Managed(tags %v) = %v, want %v", tt.tags, got, tt.want)
		}
	}
	if Managed(testCfg, nil) {
		t.Error("Managed(nil) = true")
	}
}

func TestNeeds(t *testing.T) {
	t.Parallel()
	env := testEnv([]*manifest.User{
		person("kept"),
		person("Adopted"),
		{Kind: manifest.Person, Name: "expired", Path: "/", Expires: date("2026-05-31")},
		{Kind: manifest.Person, Name: "expired-unmanaged", Path: "/", Expires: date("2026-05-31")},
		tombstone("absent"),
		tombstone("break-glass-1"),
	}, nil)
	env.Unmanaged.Ignore = []string{"break-glass-*"}
	needs := Needs(testCfg, env, testNow)
	tests := []struct {
		user *state.User
		want state.Details
	}{
		{user: liveUser("kept", managedTags()), want: state.LoginProfile},
		{user: liveUser("adopted", nil), want: state.LoginProfile},
		{user: liveUser("expired", managedTags()), want: state.LoginProfile | state.Credentials},
		{user: liveUser("expired-unmanaged", nil), want: state.LoginProfile},
		{user: liveUser("absent", managedTags()), want: state.LoginProfile | state.Credentials},
		{user: liveUser("removed", managedTags()), want: state.LoginProfile},
		{user: liveUser("break-glass-1", managedTags()), want: 0},
		{user: liveUser("stranger", nil), want: 0},
	}
	for _, tt := range tests {
		if got := needs(tt.user); got != tt.want {
			t.Errorf("Needs(%s) = %b, want %b", tt.user.Name, got, tt.want)
		}
	}
}

// TestDiffMissingDetails checks that users whose per-user details were not
// read are planned conservatively and visibly.
func TestDiffMissingDetails(t *testing.T) {
	t.Parallel()
	noDetails := func(name string) *state.User { u := liveUser(name, managedTags()); u.Details = 0; return u }
	env := testEnv([]*manifest.User{{Kind: manifest.Person, Name: "alice", Path: "/", Console: true, PGPKey: pgp}, tombstone("bob")}, nil)
	got := Diff(testCfg, env, account(noDetails("alice"), noDetails("bob")), testNow)
	wantChanges := []Change{{
		Action: Delete, Kind: KindUser, Name: "bob", Reason: "marked absent in the manifests", Phase: PhaseUserDelete,
		Before: &Resource{Path: "/", Access: state.Access{Tags: managedTags()}},
		Ops:    []Op{{Type: OpDeleteUser, User: "bob"}},
	}}
	if diff := cmp.Diff(wantChanges, got.Changes); diff != "" {
		t.Errorf("Changes (-want +got):\n%s", diff)
	}
	wantWarnings := []string{
		`console access of user "alice" was not read from the account, so this plan does not change it`,
		`the console access and credentials of user "bob" were not read from the account, so its teardown may be incomplete and DeleteUser may fail`,
	}
	if diff := cmp.Diff(wantWarnings, got.Warnings); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
}
