package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/manifest"
)

// grantee is a person with its own expires (nil: none) and groups.
func grantee(name string, own *manifest.Expiry, groups ...string) *manifest.User {
	u := person(name)
	u.Expires = own
	u.Groups = groups
	return u
}

// until gives u's membership of group the end e.
func until(u *manifest.User, group string, e manifest.Expiry) *manifest.User {
	if u.GroupExpires == nil {
		u.GroupExpires = map[string]manifest.Expiry{}
	}
	u.GroupExpires[group] = e
	return u
}

func TestEndChanges(t *testing.T) {
	t.Parallel()
	at := func(h int) manifest.Expiry { return manifest.At(time.Date(2026, 12, 3, h, 0, 0, 0, time.UTC)) }
	day := func(d int) *manifest.Expiry {
		e := manifest.EndOfDay(time.Date(2027, 3, d, 0, 0, 0, 0, time.UTC))
		return &e
	}
	midnightAfter31 := manifest.At(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC))
	alice := func() *manifest.User { return grantee("alice", nil, "developers", "prod-operators") }
	svc := &manifest.User{Kind: manifest.ServiceAccount, Name: "ci", Expires: day(31), Path: "/"}
	svcLater := &manifest.User{Kind: manifest.ServiceAccount, Name: "ci", Expires: day(30), Path: "/"}

	tests := []struct {
		name       string
		base, head []*manifest.User
		want       []EndChange
	}{{
		name: "membership extended from 18:00 to 22:00",
		base: []*manifest.User{until(alice(), "prod-operators", at(18))},
		head: []*manifest.User{until(alice(), "prod-operators", at(22))},
		want: []EndChange{{Move: EndExtended, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "prod-operators"}, Until: "2026-12-03 22:00 UTC", Was: "2026-12-03 18:00 UTC"}},
	}, {
		name: "membership shortened",
		base: []*manifest.User{until(alice(), "prod-operators", at(18))},
		head: []*manifest.User{until(alice(), "prod-operators", at(16))},
		want: []EndChange{{Move: EndShortened, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "prod-operators"}, Until: "2026-12-03 16:00 UTC", Was: "2026-12-03 18:00 UTC"}},
	}, {
		name: "permanent membership now ends",
		base: []*manifest.User{alice()},
		head: []*manifest.User{until(alice(), "developers", *day(31))},
		want: []EndChange{{Move: EndAdded, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "developers"}, Until: "the end of 2027-03-31 UTC"}},
	}, {
		name: "time-bound membership becomes permanent",
		base: []*manifest.User{until(alice(), "prod-operators", at(18))},
		head: []*manifest.User{alice()},
		want: []EndChange{{Move: EndRemoved, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "prod-operators"}, Was: "2026-12-03 18:00 UTC"}},
	}, {
		name: "user's own expires moved, service account's shortened",
		base: []*manifest.User{grantee("bob", day(30)), svc},
		head: []*manifest.User{grantee("bob", day(31)), svcLater},
		want: []EndChange{
			{Move: EndExtended, GrantKey: GrantKey{Kind: KindUser, User: "bob"}, Until: "the end of 2027-03-31 UTC", Was: "the end of 2027-03-30 UTC"},
			{Move: EndShortened, GrantKey: GrantKey{Kind: KindServiceAccount, User: "ci"}, Until: "the end of 2027-03-30 UTC", Was: "the end of 2027-03-31 UTC"},
		},
	}, {
		name: "a date and the midnight after it as a time are the same end",
		base: []*manifest.User{grantee("bob", day(31))},
		head: []*manifest.User{grantee("bob", &midnightAfter31)},
	}, {
		name: "a date becomes an earlier time of that day",
		base: []*manifest.User{until(alice(), "prod-operators", *day(3))},
		head: []*manifest.User{until(alice(), "prod-operators", manifest.At(time.Date(2027, 3, 3, 18, 0, 0, 0, time.UTC)))},
		want: []EndChange{{Move: EndShortened, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "prod-operators"}, Until: "2027-03-03 18:00 UTC", Was: "the end of 2027-03-03 UTC"}},
	}, {
		name: "renamed user: a new grant, not an extension",
		base: []*manifest.User{until(alice(), "prod-operators", at(18))},
		head: []*manifest.User{until(grantee("alicia", nil, "prod-operators"), "prod-operators", at(22))},
	}, {
		name: "removed user",
		base: []*manifest.User{until(alice(), "prod-operators", at(18)), grantee("bob", day(30))},
		head: []*manifest.User{until(alice(), "prod-operators", at(18))},
	}, {
		name: "tombstoned user",
		base: []*manifest.User{grantee("bob", day(30))},
		head: []*manifest.User{{Kind: manifest.Person, Name: "bob", Absent: true, Expires: day(31)}},
	}, {
		name: "membership moved to another group: new, not extended",
		base: []*manifest.User{until(grantee("alice", nil, "prod-operators"), "prod-operators", at(18))},
		head: []*manifest.User{until(grantee("alice", nil, "prod-admins"), "prod-admins", at(22))},
	}, {
		name: "names compared as IAM does, shown as the change writes them",
		base: []*manifest.User{until(grantee("Alice", nil, "Prod-Operators"), "Prod-Operators", at(18))},
		head: []*manifest.User{until(grantee("alice", nil, "prod-operators"), "prod-operators", at(20))},
		want: []EndChange{{Move: EndExtended, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "prod-operators"}, Until: "2026-12-03 20:00 UTC", Was: "2026-12-03 18:00 UTC"}},
	}, {
		name: "nothing moved",
		base: []*manifest.User{until(alice(), "prod-operators", at(18)), grantee("bob", day(30))},
		head: []*manifest.User{until(alice(), "prod-operators", at(18)), grantee("bob", day(30))},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, EndChanges(tt.base, tt.head)); diff != "" {
				t.Errorf("EndChanges (-want +got):\n%s", diff)
			}
		})
	}
}

// An environment the base does not have is new: nothing of it is moved.
// An environment both have gets its moves; a rerun replaces them.
func TestPlanCompareBase(t *testing.T) {
	t.Parallel()
	at := func(h int) manifest.Expiry { return manifest.At(time.Date(2026, 12, 3, h, 0, 0, 0, time.UTC)) }
	head := &manifest.Repository{Environments: []*manifest.Environment{
		{Name: "production", Users: []*manifest.User{until(grantee("alice", nil, "ops"), "ops", at(22))}},
		{Name: "sandbox", Users: []*manifest.User{until(grantee("alice", nil, "ops"), "ops", at(22))}},
	}}
	base := map[string][]*manifest.User{"production": {until(grantee("alice", nil, "ops"), "ops", at(18))}}
	p := &Plan{Environments: []*Environment{{Name: "production"}, {Name: "sandbox", EndChanges: []EndChange{{Move: EndAdded}}}}}
	p.CompareBase(head, base)
	want := map[string][]EndChange{
		"production": {{Move: EndExtended, GrantKey: GrantKey{Kind: KindUser, User: "alice", Group: "ops"}, Until: "2026-12-03 22:00 UTC", Was: "2026-12-03 18:00 UTC"}},
		"sandbox":    nil,
	}
	got := map[string][]EndChange{}
	for _, e := range p.Environments {
		got[e.Name] = e.EndChanges
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EndChanges by environment (-want +got):\n%s", diff)
	}
	if !p.MovesEnds() {
		t.Error("MovesEnds() = false, want true")
	}
}
