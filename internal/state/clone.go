package state

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of the account, so a caller can change one
// without touching the other (simulators, before/after comparisons).
func (a *Account) Clone() *Account {
	out := &Account{AccountID: a.AccountID, Users: make(map[string]*User, len(a.Users)), Groups: make(map[string]*Group, len(a.Groups))}
	for k, u := range a.Users {
		out.Users[k] = u.Clone()
	}
	for k, g := range a.Groups {
		out.Groups[k] = g.Clone()
	}
	if a.Secrets != nil {
		out.Secrets = make(map[string]*Secret, len(a.Secrets))
		for k, s := range a.Secrets {
			c := *s
			c.Tags = maps.Clone(s.Tags)
			out.Secrets[k] = &c
		}
	}
	out.UnassignedMFADevices = slices.Clone(a.UnassignedMFADevices)
	return out
}

// Clone returns a deep copy of the user.
func (u *User) Clone() *User {
	c := *u
	c.Access = u.Access.Clone()
	c.AccessKeys = slices.Clone(u.AccessKeys)
	c.MFADevices = slices.Clone(u.MFADevices)
	c.SSHPublicKeys = slices.Clone(u.SSHPublicKeys)
	c.SigningCertificates = slices.Clone(u.SigningCertificates)
	c.ServiceSpecificCredentials = slices.Clone(u.ServiceSpecificCredentials)
	return &c
}

// Clone returns a deep copy of the access.
func (a Access) Clone() Access {
	return Access{
		Groups:              slices.Clone(a.Groups),
		ManagedPolicies:     slices.Clone(a.ManagedPolicies),
		InlinePolicies:      maps.Clone(a.InlinePolicies),
		PermissionsBoundary: a.PermissionsBoundary,
		Tags:                maps.Clone(a.Tags),
	}
}

// Clone returns a deep copy of the group.
func (g *Group) Clone() *Group {
	c := *g
	c.ManagedPolicies = slices.Clone(g.ManagedPolicies)
	c.InlinePolicies = maps.Clone(g.InlinePolicies)
	c.Members = slices.Clone(g.Members)
	return &c
}
