package plan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/state"
)

// productionEnv is the desired state that goes with testdata/live.json: a
// production account where one person joins, one changes team, one leaves (a tombstone),
// one has expired, a hand-made service account is adopted, a group gets a new
// policy set, a new group appears and an old admin group is marked absent.
func productionEnv() *manifest.Environment {
	const key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBGcXYZ...\n-----END PGP PUBLIC KEY BLOCK-----\n"
	denyBilling := `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`
	cc := func(kv ...string) map[string]string {
		m := map[string]string{"cost-center": "1234"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return &manifest.Environment{
		Name: "production", Dir: "access/production", AccountID: "444444444444", Production: true,
		Guardrails: manifest.Guardrails{ConsoleRequiresMFA: true, MaxDeletions: 5,
			ForbiddenManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}},
		Unmanaged: manifest.Unmanaged{Ignore: []string{"break-glass-*"}},
		Groups: []*manifest.Group{
			{Name: "auditors", Path: "/teams/", ManagedPolicies: []string{"arn:aws:iam::aws:policy/SecurityAudit"}},
			{Name: "developers", Path: "/teams/", ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"},
				InlinePolicies: map[string]string{"deny-billing": denyBilling}},
			{Name: "old-admins", Path: "/", Absent: true},
		},
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Path: "/people/", Groups: []string{"developers"},
				Tags: manifest.TagsOf(cc("team", "payments")), Console: true, PGPKey: key},
			{Kind: manifest.Person, Name: "bob", Path: "/people/", Groups: []string{"developers"}, Tags: manifest.TagsOf(cc("team", "payments"))},
			{Kind: manifest.ServiceAccount, Name: "ci-deployer", Path: "/machines/", Owner: "platform-team",
				ManagedPolicies: []string{"arn:aws:iam::444444444444:policy/deploy"}, Tags: manifest.TagsOf(cc())},
			{Kind: manifest.Person, Name: "carol", Path: "/people/", Absent: true},
			{Kind: manifest.Person, Name: "dave", Path: "/people/", Tags: manifest.TagsOf(cc()), Expires: date("2026-05-31")},
			{Kind: manifest.Person, Name: "erin", Path: "/people/", Groups: []string{"auditors", "developers"},
				Tags: manifest.TagsOf(cc("team", "security")), Console: true, PGPKey: key},
		},
	}
}

func TestDiffGolden(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "live.json"))
	if err != nil {
		t.Fatal(err)
	}
	var live state.Account
	if err := json.Unmarshal(raw, &live); err != nil {
		t.Fatalf("decode live.json: %v", err)
	}
	got := Diff(manifest.Config{OwnershipTag: "roster:managed", OwnerTag: "roster:owner"}, productionEnv(), &live, testNow)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	golden.File(t, "production.golden.json", buf.Bytes())
}
