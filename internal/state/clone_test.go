package state

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A clone is equal to its original and shares nothing with it: changing
// every slice and map of the clone leaves the original as it was.
func TestCloneIsDeep(t *testing.T) {
	t.Parallel()
	fixture := func() *Account {
		return &Account{
			AccountID: "111111111111",
			Users: map[string]*User{"alice": {
				Name: "alice", Access: Access{
					Groups:          []string{"dev"},
					ManagedPolicies: []string{"arn:p"},
					InlinePolicies:  map[string]string{"p": "{}"},
					Tags:            map[string]string{"team": "a"},
				},
				AccessKeys: []AccessKey{{ID: "AKIA1"}}, MFADevices: []string{"mfa"}, SSHPublicKeys: []string{"APKA1"},
				SigningCertificates: []string{"C1"}, ServiceSpecificCredentials: []ServiceCredential{{ID: "ACCA1"}},
			}},
			Groups: map[string]*Group{"dev": {Name: "dev", ManagedPolicies: []string{"arn:g"}, InlinePolicies: map[string]string{"g": "{}"}, Members: []string{"alice"}}},
		}
	}
	orig, want := fixture(), fixture()

	c := orig.Clone()
	if diff := cmp.Diff(orig, c); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	u, g := c.Users["alice"], c.Groups["dev"]
	u.Groups[0], u.ManagedPolicies[0], u.InlinePolicies["p"], u.Tags["team"] = "x", "x", "x", "x"
	u.AccessKeys[0].ID, u.MFADevices[0], u.SSHPublicKeys[0], u.SigningCertificates[0] = "x", "x", "x", "x"
	u.ServiceSpecificCredentials[0].ID = "x"
	g.ManagedPolicies[0], g.InlinePolicies["g"], g.Members[0] = "x", "x", "x"
	c.Users["bob"] = &User{Name: "bob"}
	if diff := cmp.Diff(want, orig); diff != "" {
		t.Errorf("changing the clone changed the original (-want +got):\n%s", diff)
	}
}
