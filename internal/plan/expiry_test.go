package plan

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// elevated is priya in developers for good and in prod-operators until
// 18:00 on 2026-06-01.
func elevated() *manifest.User {
	u := person("priya")
	u.Groups = []string{"developers", "prod-operators"}
	u.GroupExpires = map[string]manifest.Expiry{"prod-operators": manifest.At(time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC))}
	return u
}

func groupsEnv(users ...*manifest.User) *manifest.Environment {
	return testEnv(users, []*manifest.Group{{Name: "developers", Path: "/"}, {Name: "prod-operators", Path: "/"}})
}

func groupsLive(users ...*state.User) *state.Account {
	return withGroups(account(users...), &state.Group{Name: "developers", Path: "/"}, &state.Group{Name: "prod-operators", Path: "/"})
}

func inGroups(u *state.User, groups ...string) *state.User {
	u.Groups = groups
	return u
}

func TestDiffTimeBoundMembership(t *testing.T) {
	t.Parallel()
	live := groupsLive(inGroups(liveUser("priya", managedTags()), "developers", "prod-operators"))
	at := func(h, m int) time.Time { return time.Date(2026, 6, 1, h, m, 0, 0, time.UTC) }

	before := Diff(testCfg, groupsEnv(elevated()), live, at(17, 59))
	if len(before.Changes) != 0 {
		t.Errorf("at 17:59 the plan changes %v, want nothing", before.Changes)
	}
	wantGrants := []Grant{{GrantKey: GrantKey{Kind: KindUser, User: "priya", Group: "prod-operators"}, Until: "2026-06-01 18:00 UTC", Ends: at(18, 0)}}
	if diff := cmp.Diff(wantGrants, before.TimeBound); diff != "" {
		t.Errorf("TimeBound at 17:59 (-want +got):\n%s", diff)
	}

	after := Diff(testCfg, groupsEnv(elevated()), live, at(18, 0))
	want := []Change{{
		Action: Update, Kind: KindUser, Name: "priya", Reason: "membership of prod-operators ended at 2026-06-01 18:00 UTC",
		Before:      &Resource{Path: "/", Access: state.Access{Groups: []string{"developers", "prod-operators"}, Tags: managedTags()}},
		After:       &Resource{Path: "/", Access: state.Access{Groups: []string{"developers"}, Tags: managedTags()}},
		Ops:         []Op{{Type: OpRemoveUserFromGroup, User: "priya", Group: "prod-operators"}},
		EndedGroups: []string{"prod-operators"},
	}}
	if diff := cmp.Diff(want, after.Changes, ignoreOrder); diff != "" {
		t.Errorf("Changes at 18:00 (-want +got):\n%s", diff)
	}
	if len(after.TimeBound) != 0 {
		t.Errorf("TimeBound at 18:00 = %v, want none", after.TimeBound)
	}
}

func TestExpiryOnly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 18, 0, 0, 0, time.UTC)
	power := "arn:aws:iam::aws:policy/PowerUserAccess"
	drifted := func(name string) *state.User { // a managed user with a policy attached by hand
		u := liveUser(name, managedTags())
		u.ManagedPolicies = []string{power}
		return u
	}
	gone := func(name string) *manifest.User { u := person(name); u.Expires = date("2026-05-31"); return u }
	tests := []struct {
		name        string
		env         *manifest.Environment
		live        *state.Account
		wantKept    []string // "action name ops..."
		wantSkipped []string
		refused     bool
	}{
		{
			name:        "an ended membership goes; other drift stays",
			env:         groupsEnv(elevated(), person("bob")),
			live:        groupsLive(inGroups(liveUser("priya", managedTags()), "developers", "prod-operators"), drifted("bob")),
			wantKept:    []string{"update priya RemoveUserFromGroup:prod-operators"},
			wantSkipped: []string{"update bob DetachUserPolicy:"},
		},
		{
			name:        "a change that also does other things is split",
			env:         groupsEnv(elevated()),
			live:        groupsLive(inGroups(drifted("priya"), "developers", "prod-operators")),
			wantKept:    []string{"update priya RemoveUserFromGroup:prod-operators"},
			wantSkipped: []string{"update priya DetachUserPolicy:"},
		},
		{
			name:     "an expired user is offboarded; a user removed from the manifests is not even planned",
			env:      groupsEnv(gone("carol")),
			live:     groupsLive(inGroups(liveUser("carol", managedTags()), "developers"), liveUser("dan", managedTags())),
			wantKept: []string{"delete carol RemoveUserFromGroup:developers DeleteUser:"},
		},
		{
			name: "a tombstone that has not expired waits for the reviewed apply",
			env: groupsEnv(func() *manifest.User {
				u := person("erin")
				u.Absent = true
				return u
			}()),
			live:        groupsLive(liveUser("erin", managedTags())),
			wantSkipped: []string{"delete erin DeleteUser:"},
		},
		{
			name:     "an expired tombstone goes",
			env:      groupsEnv(func() *manifest.User { u := gone("erin"); u.Absent = true; return u }()),
			live:     groupsLive(liveUser("erin", managedTags())),
			wantKept: []string{"delete erin DeleteUser:"},
		},
		{
			name: "an expired user without the ownership tag is never deleted",
			env:  groupsEnv(gone("frank")),
			live: groupsLive(liveUser("frank", nil)),
		},
		{
			name: "an expired user unmanaged.ignore matches is never deleted, tag or not",
			env: func() *manifest.Environment {
				e := groupsEnv(gone("break-glass"), gone("Break-Glass2"))
				e.Unmanaged.Ignore = []string{"break-glass*"}
				return e
			}(),
			live: groupsLive(liveUser("break-glass", managedTags()), liveUser("Break-Glass2", nil)),
		},
		{
			name: "more expired users than max_deletions: refused",
			env: func() *manifest.Environment {
				e := groupsEnv(gone("u1"), gone("u2"))
				e.Guardrails.MaxDeletions = 1
				return e
			}(),
			live:     groupsLive(liveUser("u1", managedTags()), liveUser("u2", managedTags())),
			wantKept: []string{"delete u1 DeleteUser:", "delete u2 DeleteUser:"},
			refused:  true,
		},
		{
			name:        "an unmanaged user is not adopted",
			env:         groupsEnv(elevated()),
			live:        groupsLive(inGroups(liveUser("priya", nil), "developers", "prod-operators")),
			wantSkipped: []string{"adopt priya TagUser: RemoveUserFromGroup:prod-operators"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			full := Diff(testCfg, tt.env, tt.live, now)
			full.AccessKeys = []AccessKey{{ServiceAccount: "ci-deployer"}} // a rotation that is due
			keep, skipped := ExpiryOnly(full, tt.env)
			if len(keep.AccessKeys) != 0 {
				t.Errorf("kept access key steps %v, want none: a rotation is not an expiry", keep.AccessKeys)
			}
			if diff := cmp.Diff(tt.wantKept, summarize(keep.Changes), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, summarize(skipped), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if got := keep.Refused != ""; got != tt.refused {
				t.Errorf("refused = %v (%q), want %v", got, keep.Refused, tt.refused)
			}
			if keep.Digest != DigestOf(keep.AccountID, keep.Changes) {
				t.Errorf("digest %s is not the kept changes' digest", keep.Digest)
			}
		})
	}
}

func summarize(chs []Change) []string {
	var out []string
	for _, ch := range chs {
		s := string(ch.Action) + " " + ch.Name
		for _, op := range ch.Ops {
			s += " " + string(op.Type) + ":" + op.Group
		}
		out = append(out, s)
	}
	return out
}
