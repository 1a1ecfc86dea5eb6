package plan

import (
	"testing"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

func digestBase() []Change {
	return []Change{
		{
			Action: Create, Kind: KindUser, Name: "alice",
			After: &Resource{Path: "/", Access: state.Access{Tags: map[string]string{"roster:managed": "true", "team": "a"}}},
			Ops: []Op{
				{Type: OpCreateUser, User: "alice", Path: "/", Tags: map[string]string{"roster:managed": "true", "team": "a"}},
				{Type: OpAttachUserPolicy, User: "alice", PolicyARN: power},
			},
		},
		{
			Action: Delete, Kind: KindUser, Name: "bob", Reason: "removed from the manifests",
			Before: &Resource{Path: "/"},
			Ops:    []Op{{Type: OpDeleteUser, User: "bob"}},
		},
	}
}

func TestDigestStable(t *testing.T) {
	t.Parallel()
	// A fixed input has a fixed digest: reviewed digests recorded in pull
	// request comments must still match after an upgrade of roster or Go.
	// The digest is the SHA-256 of exactly this JSON (checked with sha256sum):
	//
	//	{"account_id":"111122223333","changes":[{"action":"create","kind":"user","name":"alice",
	//	"after":{"path":"/","tags":{"roster:managed":"true","team":"a"}},"ops":[{"type":"CreateUser",
	//	"user":"alice","path":"/","tags":{"roster:managed":"true","team":"a"}},{"type":"AttachUserPolicy",
	//	"user":"alice","policy_arn":"arn:aws:iam::aws:policy/PowerUserAccess"}]},{"action":"delete",
	//	"kind":"user","name":"bob","before":{"path":"/"},"reason":"removed from the manifests",
	//	"ops":[{"type":"DeleteUser","user":"bob"}]}]}
	const want = "sha256:16949ae41578eb8f389602ba029344f357d8d326186b4966741f06898c4cd607"
	got := DigestOf(testAccount, digestBase())
	if got != want {
		t.Errorf("DigestOf(base) = %s, want %s", got, want)
	}
	if a, b := DigestOf(testAccount, nil), DigestOf(testAccount, []Change{}); a != b {
		t.Errorf("no changes: nil gives %s, empty gives %s", a, b)
	}
}

func TestDigestSensitive(t *testing.T) {
	t.Parallel()
	base := DigestOf(testAccount, digestBase())
	tests := []struct {
		name    string
		account string
		mutate  func([]Change) []Change
	}{
		{name: "account id", account: "444455556666", mutate: func(c []Change) []Change { return c }},
		{name: "op type", mutate: func(c []Change) []Change { c[0].Ops[1].Type = OpDetachUserPolicy; return c }},
		{name: "op policy", mutate: func(c []Change) []Change { c[0].Ops[1].PolicyARN = read; return c }},
		{name: "op tag value", mutate: func(c []Change) []Change { c[0].Ops[0].Tags["team"] = "b"; return c }},
		{name: "op added", mutate: func(c []Change) []Change {
			c[1].Ops = append([]Op{{Type: OpDeleteLoginProfile, User: "bob"}}, c[1].Ops...)
			return c
		}},
		{name: "ops reordered", mutate: func(c []Change) []Change { c[0].Ops[0], c[0].Ops[1] = c[0].Ops[1], c[0].Ops[0]; return c }},
		{name: "changes reordered", mutate: func(c []Change) []Change { return []Change{c[1], c[0]} }},
		{name: "reason text", mutate: func(c []Change) []Change { c[1].Reason = "expired on 2026-03-31"; return c }},
		{name: "after snapshot", mutate: func(c []Change) []Change { c[0].After.Path = "/people/"; return c }},
		{name: "action", mutate: func(c []Change) []Change { c[0].Action = Adopt; return c }},
		{name: "pgp key", mutate: func(c []Change) []Change {
			c[0].Ops = append(c[0].Ops, Op{Type: OpCreateLoginProfile, User: "alice", PGPKey: pgp})
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			account := testAccount
			if tt.account != "" {
				account = tt.account
			}
			if got := DigestOf(account, tt.mutate(digestBase())); got == base {
				t.Errorf("digest did not change: %s", got)
			}
		})
	}
}

// TestDiffDigestDeterministic runs Diff repeatedly over inputs full of maps
// (whose iteration order Go randomizes) and expects one digest.
func TestDiffDigestDeterministic(t *testing.T) {
	t.Parallel()
	var users []*manifest.User
	live := account()
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
		users = append(users, &manifest.User{Kind: manifest.Person, Name: n, Path: "/",
			Tags:           manifest.TagsOf(map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}),
			InlinePolicies: map[string]string{"p1": docA, "p2": docB, "p3": docA}})
		u := liveUser(n+"-old", managedTags("x", "1", "y", "2"))
		u.InlinePolicies = map[string]string{"q1": docA, "q2": docB}
		live.Users[u.Name] = u
	}
	env := testEnv(users, nil)
	env.Guardrails.MaxDeletions = 10
	want := Diff(testCfg, env, live, testNow).Digest
	for range 50 {
		if got := Diff(testCfg, env, live, testNow).Digest; got != want {
			t.Fatalf("digest changed between runs: %s then %s", want, got)
		}
	}
	// A changed reason (expiry instead of removal) changes the digest.
	env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: "u1-old", Path: "/", Expires: date("2026-01-01")})
	if got := Diff(testCfg, env, live, testNow).Digest; got == want {
		t.Errorf("digest did not change when a deletion's reason changed")
	}
}
