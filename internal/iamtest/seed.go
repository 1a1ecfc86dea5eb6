package iamtest

import (
	"maps"
	"slices"

	"github.com/roster-dev/roster/internal/state"
)

// PutState seeds the account with a live state as roster reads it (a
// snapshot file, or a test's generated account): its groups, then its users
// with their tags, memberships, policies, boundary, login profile and
// credentials. Customer managed policies it names must exist
// ([Account.CreatePolicy]). A user's MFA devices become virtual devices
// assigned to it; a seeded login profile has a fixed password.
func (a *Account) PutState(live *state.Account) {
	for _, name := range slices.Sorted(maps.Keys(live.Groups)) {
		g := live.Groups[name]
		a.PutGroup(Group{Name: g.Name, Path: g.Path, ManagedPolicies: g.ManagedPolicies, InlinePolicies: g.InlinePolicies})
	}
	for _, name := range slices.Sorted(maps.Keys(live.Users)) {
		a.PutUser(userFromState(live.Users[name]))
	}
}

// userFromState is the fake's user for a user of roster's live state.
func userFromState(u *state.User) User {
	out := User{
		Name: u.Name, Path: u.Path, CreateDate: u.Created, Groups: u.Groups, ManagedPolicies: u.ManagedPolicies,
		InlinePolicies: u.InlinePolicies, PermissionsBoundary: u.PermissionsBoundary,
	}
	for _, k := range slices.Sorted(maps.Keys(u.Tags)) {
		out.Tags = append(out.Tags, Tag{Key: k, Value: u.Tags[k]})
	}
	if u.LoginProfile {
		out.LoginProfile = &LoginProfile{Password: "Seeded-Passw0rd!"}
	}
	for _, k := range u.AccessKeys {
		out.AccessKeys = append(out.AccessKeys, AccessKey{ID: k.ID, Status: k.Status, CreateDate: k.Created})
	}
	for _, s := range u.MFADevices {
		out.MFADevices = append(out.MFADevices, MFADevice{SerialNumber: s})
	}
	for _, id := range u.SSHPublicKeys {
		out.SSHPublicKeys = append(out.SSHPublicKeys, SSHPublicKey{ID: id})
	}
	for _, id := range u.SigningCertificates {
		out.SigningCertificates = append(out.SigningCertificates, SigningCertificate{ID: id})
	}
	for _, c := range u.ServiceSpecificCredentials {
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, ServiceSpecificCredential{ID: c.ID, ServiceName: c.ServiceName})
	}
	return out
}
