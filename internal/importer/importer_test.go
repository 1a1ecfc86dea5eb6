package importer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/policy"
	"github.com/roster-dev/roster/internal/state"
)

// TestPolicyNodeRoundTrip writes canonical documents as YAML and reads them
// back the way the loader does: the canonical form must not change, or the
// next plan would rewrite the policy.
func TestPolicyNodeRoundTrip(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		`{"Statement":[{"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"},"NumericLessThan":{"s3:max-keys":10}},"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Sid":"x"}],"Version":"2012-10-17"}`,
		`{"Statement":[{"Action":["a:b"],"Effect":"Allow","Resource":["arn:aws:s3:::b/*","*"],"Condition":{"StringEquals":{"k":["true","null","123","yes","@x","- y","a: b","#c"]}}}],"Version":"2012-10-17","Id":"2012-10-17"}`,
		`{"Statement":[{"Action":"x:y","Effect":"Allow","Principal":{"AWS":"*"},"Resource":"*","Condition":{"NumericEquals":{"n":1.5}}}],"Version":"2008-10-17"}`,
	}
	for _, doc := range docs {
		want, err := policy.Canonical(doc)
		if err != nil {
			t.Fatal(err)
		}
		data, err := encode(policyNode(want))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		got, err := policy.CanonicalValue(v)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("round trip of\n%s\n(-want +got):\n%s", data, diff)
		}
		if !strings.HasPrefix(string(data), "Version:") {
			t.Errorf("document does not start with Version:\n%s", data)
		}
	}
}

func TestGroupFileNames(t *testing.T) {
	t.Parallel()
	var groups []*state.Group
	for _, n := range []string{"environment", "users", "service-accounts", ".hidden", "ops", "users-group", "Environment-group"} {
		groups = append(groups, &state.Group{Name: n})
	}
	want := map[string]string{
		"environment":       "environment-group.yaml",
		"users":             "users-group.yaml",
		"service-accounts":  "service-accounts-group.yaml",
		".hidden":           "group.hidden.yaml",
		"ops":               "ops.yaml",
		"users-group":       "users-group-group.yaml",
		"Environment-group": "Environment-group-group.yaml",
	}
	if diff := cmp.Diff(want, groupFileNames(groups)); diff != "" {
		t.Errorf("file names (-want +got):\n%s", diff)
	}
}

// TestBuildForceReimports checks that with Force, entries declared in a file
// the import replaces are imported again instead of being lost.
func TestBuildForceReimports(t *testing.T) {
	t.Parallel()
	env := &manifest.Environment{
		Name: "dev", Dir: "access/dev", AccountID: "111122223333",
		Users: []*manifest.User{
			{Kind: manifest.Person, Name: "alice", Pos: diag.Pos{File: "access/dev/users.yaml"}},
			{Kind: manifest.Person, Name: "bob", Pos: diag.Pos{File: "access/dev/team/people.yaml"}},
		},
	}
	live := &state.Account{Users: map[string]*state.User{
		"alice": {Name: "alice", Path: "/"},
		"bob":   {Name: "bob", Path: "/"},
		"carol": {Name: "carol", Path: "/"},
	}}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, force := range []bool{false, true} {
		r, err := Build(manifest.Config{}, env, live, Options{Force: force, Now: now, Rand: rand.NewChaCha8([32]byte{})})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"carol"}
		wantDeclared := []string{"alice", "bob"}
		if force {
			want = []string{"alice", "carol"}
			wantDeclared = []string{"bob"}
		}
		if diff := cmp.Diff(want, r.Users); diff != "" {
			t.Errorf("force=%v: imported (-want +got):\n%s", force, diff)
		}
		if diff := cmp.Diff(wantDeclared, r.DeclaredUsers); diff != "" {
			t.Errorf("force=%v: skipped as declared (-want +got):\n%s", force, diff)
		}
	}
}

// TestPlaceholderKeyIsPublicOnly checks that the placeholder is a key the
// loader accepts and holds no private key.
func TestPlaceholderKeyIsPublicOnly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	k, err := PlaceholderKey(rand.NewChaCha8([32]byte{1}), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(k) > 800 || strings.ContainsAny(k, "\n ") {
		t.Errorf("placeholder is not one short base64 line: %q", k)
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"dev/environment.yaml": "account_id: \"111122223333\"\n",
		"dev/people.yaml":      "users:\n  - name: alice\n    console: true\n    pgp_key: " + k + "\n",
	})
	if _, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return now.AddDate(5, 0, 0) })); diags.HasErrors() {
		t.Errorf("loader rejects the placeholder key: %v", diags)
	}
}
