package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// importNow is the clock of the import tests.
var importNow = time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)

const importAcct = iamtest.DefaultAccountID

// importTree writes an access tree with one environment, "development", of
// the fake's account, and returns the access directory.
func importTree(t *testing.T, rosterYAML, guardrails string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "access")
	envDir := filepath.Join(dir, "development")
	if err := os.MkdirAll(envDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if rosterYAML != "" {
		writeFile(t, filepath.Join(dir, "roster.yaml"), rosterYAML)
	}
	writeFile(t, filepath.Join(envDir, "environment.yaml"), fmt.Sprintf("account_id: %q\nguardrails:\n  forbidden_managed_policies: []\n%s", importAcct, guardrails))
	return dir
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runWith runs roster against the fake.
func runWith(t *testing.T, srv *iamtest.Server, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{}
	if srv != nil {
		env = srv.Env(importAcct)
	}
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return importNow },
	})
	return code, out.String(), errOut.String()
}

// planJSON runs roster plan and decodes its JSON output.
func planJSON(t *testing.T, srv *iamtest.Server, dir string) *plan.Plan {
	t.Helper()
	code, stdout, stderr := runWith(t, srv, "plan", "--dir", dir, "--format", "json")
	if code != ExitOK {
		t.Fatalf("roster plan exit code %d; stderr:\n%s", code, stderr)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, stdout)
	}
	return &p
}

// onlyAdoptions checks that every change of the plan adopts a user by
// tagging it and does nothing else, and returns the adopted names.
func onlyAdoptions(t *testing.T, p *plan.Plan, allowedWarnings ...string) []string {
	t.Helper()
	var adopted []string
	for _, e := range p.Environments {
		for _, w := range e.Warnings {
			if !slices.Contains(allowedWarnings, w) {
				t.Errorf("plan warning: %s", w)
			}
		}
		if e.Refused != "" {
			t.Errorf("plan refused: %s", e.Refused)
		}
		for _, ch := range e.Changes {
			if ch.Action != plan.Adopt || len(ch.Ops) != 1 || ch.Ops[0].Type != plan.OpTagUser {
				j, _ := json.MarshalIndent(ch, "", "  ")
				t.Errorf("change other than a plain adoption:\n%s", j)
				continue
			}
			adopted = append(adopted, ch.Name)
		}
	}
	return adopted
}

// randomAccount seeds the fake with a random account: groups with managed
// and inline policies and paths; people and machine users with groups,
// policies, boundaries, tags, console passwords and access keys. It returns
// the names of the users that are not yet managed by roster.
func randomAccount(t *testing.T, srv *iamtest.Server, rng *rand.Rand, users int, mfa bool) []string {
	t.Helper()
	acct := srv.Account(importAcct)
	custom := []string{}
	for i := range 4 {
		arn := fmt.Sprintf("arn:aws:iam::%s:policy/team/policy-%d", importAcct, i)
		acct.CreatePolicy(arn)
		custom = append(custom, arn)
	}
	boundary := fmt.Sprintf("arn:aws:iam::%s:policy/boundaries/default", importAcct)
	acct.CreatePolicy(boundary)
	managed := slices.Concat(custom, []string{
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/IAMUserChangePassword",
		"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
	})
	pick := func(from []string, most int) []string {
		n := rng.IntN(most + 1)
		out := slices.Clone(from)
		rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out[:min(n, len(out))]
	}
	paths := []string{"/", "/", "/teams/", "/people/eu/", "/service-accounts/"}
	groupNames := []string{"developers", "ops", "Auditors", "read.only", "billing+finance", "users", "environment", "data_eng", "a,b"}
	var groups []string
	for _, g := range pick(groupNames, len(groupNames)) {
		acct.PutGroup(iamtest.Group{
			Name:            g,
			Path:            paths[rng.IntN(len(paths))],
			ManagedPolicies: pick(managed, 2),
			InlinePolicies:  randomPolicies(rng, 2),
		})
		groups = append(groups, g)
	}
	odd := []string{"true", "123", "null", "@admin", "x=y", "a,b", "yes", "-dash"}
	var unmanaged []string
	for i := range users {
		name := fmt.Sprintf("user%04d.%s", i, []string{"a", "b_c", "d-e", "f@example.com"}[rng.IntN(4)])
		if i < len(odd) {
			name = odd[i]
		}
		u := iamtest.User{
			Name:            name,
			Path:            paths[rng.IntN(len(paths))],
			Groups:          pick(groups, 3),
			ManagedPolicies: pick(managed, 3),
		}
		console := rng.IntN(10) < 4
		if console {
			u.LoginProfile = &iamtest.LoginProfile{Password: "Seeded-Passw0rd!"}
		} else if rng.IntN(3) > 0 {
			for range 1 + rng.IntN(2) {
				u.AccessKeys = append(u.AccessKeys, iamtest.AccessKey{})
			}
		}
		u.InlinePolicies = randomPolicies(rng, 2)
		if console && mfa {
			if u.InlinePolicies == nil {
				u.InlinePolicies = map[string]string{}
			}
			u.InlinePolicies[plan.RequireMFAPolicyName] = plan.RequireMFAPolicy
		}
		if rng.IntN(3) == 0 {
			u.PermissionsBoundary = boundary
		}
		u.Tags = []iamtest.Tag{{Key: "source", Value: "iam"}}
		for _, k := range pick([]string{"team", "email", "Cost-Center", "on:call", "empty"}, 3) {
			v := map[string]string{"team": "payments", "email": strings.ReplaceAll(name, ",", ".") + "@example.com", "Cost-Center": "0042", "on:call": "a: b", "empty": ""}[k]
			u.Tags = append(u.Tags, iamtest.Tag{Key: k, Value: v})
		}
		switch rng.IntN(10) {
		case 0: // managed by roster already
			u.Tags = append(u.Tags, iamtest.Tag{Key: manifest.DefaultOwnershipTag, Value: "true"})
			if !console && len(u.AccessKeys) > 0 {
				u.Tags = append(u.Tags, iamtest.Tag{Key: manifest.DefaultOwnerTag, Value: "platform-team"})
			}
		case 1: // a machine whose owner is recorded, not yet managed
			if !console {
				u.Tags = append(u.Tags, iamtest.Tag{Key: manifest.DefaultOwnerTag, Value: "data team"})
			}
			unmanaged = append(unmanaged, name)
		default:
			unmanaged = append(unmanaged, name)
		}
		acct.PutUser(u)
	}
	slices.Sort(unmanaged)
	return unmanaged
}

// randomPolicies returns up to most inline policies, as JSON written the
// way people write it (key order, one-element lists, numbers and string
// booleans vary).
func randomPolicies(rng *rand.Rand, most int) map[string]string {
	n := rng.IntN(most + 1)
	if n == 0 {
		return nil
	}
	out := map[string]string{}
	docs := []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::bucket-%d/*"}]}`,
		`{"Statement":{"Sid":"Deny%d","Effect":"Deny","NotAction":["iam:*","sts:GetCallerIdentity"],"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},"Version":"2012-10-17"}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::logs-%d","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"StringLike":{"s3:prefix":["home/","home/*"]}}}]}`,
	}
	for i := range n {
		out[fmt.Sprintf("inline-%d", i)] = fmt.Sprintf(docs[rng.IntN(len(docs))], rng.IntN(100))
	}
	return out
}

// TestImportRoundTrip imports random accounts from the IAM fake, checks
// that the tree validates and that a plan right after shows only the
// adoption of the users that were not managed yet.
func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		seed  uint64
		users int
		mfa   bool
		root  string
	}{
		{1, 40, false, ""},
		{2, 60, true, ""},
		{3, 25, true, "defaults:\n  path: /people/eu/\n"},
		{4, 80, false, "ownership_tag: roster:managed\ndefaults:\n  path: /teams/\n"},
		{5, 10, true, ""},
		{6, 120, false, ""},
		{7, 33, true, "defaults:\n  tags: { source: iam }\n"},
		{8, 0, false, ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.seed), func(t *testing.T) {
			t.Parallel()
			srv := iamtest.NewServer(t)
			rng := rand.New(rand.NewPCG(c.seed, 7))
			want := randomAccount(t, srv, rng, c.users, c.mfa)
			guard := ""
			if c.mfa {
				guard = "  console_requires_mfa: true\n"
			}
			dir := importTree(t, c.root, guard)
			code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir)
			if code != ExitOK {
				t.Fatalf("roster import exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			got := onlyAdoptions(t, planJSON(t, srv, dir))
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("adopted users (-want +got):\n%s", diff)
			}
			if code, out, _ := runWith(t, srv, "fmt", "--dir", dir, "--check"); code != ExitOK {
				t.Errorf("imported files are not fmt-clean:\n%s", out)
			}
		})
	}
}

// TestImport1000Users imports a 1,000-user account and plans right after.
func TestImport1000Users(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	want := randomAccount(t, srv, rand.New(rand.NewPCG(1000, 1)), 1000, true)
	dir := importTree(t, "", "  console_requires_mfa: true\n")
	if code, _, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir); code != ExitOK {
		t.Fatalf("roster import exit code %d; stderr:\n%s", code, stderr)
	}
	got := onlyAdoptions(t, planJSON(t, srv, dir))
	if len(got) != len(want) {
		t.Errorf("plan adopts %d users, want %d", len(got), len(want))
	}
	t.Logf("1,000 users imported; the plan adopts %d users and makes no other change", len(got))
}

// TestImportOutput runs an import of a small account and compares the
// files written and the summary with golden files.
func TestImportOutput(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	acct := srv.Account(importAcct)
	deploy := "arn:aws:iam::" + importAcct + ":policy/deploy"
	acct.CreatePolicy(deploy)
	acct.PutGroup(iamtest.Group{Name: "developers", Path: "/teams/", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		InlinePolicies: map[string]string{"deny-billing": `{"Version":"2012-10-17","Statement":[{"Sid":"NoBilling","Effect":"Deny","Action":["aws-portal:*","budgets:ModifyBudget"],"Resource":"*"}]}`}})
	acct.PutGroup(iamtest.Group{Name: "auditors"})
	acct.PutUser(iamtest.User{Name: "alice", Path: "/people/", Groups: []string{"developers", "auditors"},
		Tags:           []iamtest.Tag{{Key: "team", Value: "payments"}, {Key: "email", Value: "alice@example.com"}},
		LoginProfile:   &iamtest.LoginProfile{Password: "Seeded-Passw0rd!"},
		InlinePolicies: map[string]string{plan.RequireMFAPolicyName: plan.RequireMFAPolicy}})
	acct.PutUser(iamtest.User{Name: "bob", Groups: []string{"auditors"}})
	acct.PutUser(iamtest.User{Name: "carol"})
	acct.PutUser(iamtest.User{Name: "ci-deployer", ManagedPolicies: []string{deploy}, AccessKeys: []iamtest.AccessKey{{}}})
	acct.PutUser(iamtest.User{Name: "backup", AccessKeys: []iamtest.AccessKey{{}}, Tags: []iamtest.Tag{{Key: "roster:owner", Value: "data-platform"}}})
	acct.PutUser(iamtest.User{Name: "break-glass-1", LoginProfile: &iamtest.LoginProfile{Password: "Seeded-Passw0rd!"}})
	acct.PutUser(iamtest.User{Name: "temp-contractor"})
	dir := importTree(t, "", "  console_requires_mfa: true\nunmanaged:\n  ignore: [\"break-glass-*\"]\n")

	code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir, "--exclude", "temp-*")
	if code != ExitOK {
		t.Fatalf("roster import exit code %d; stderr:\n%s", code, stderr)
	}
	var files strings.Builder
	envDir := filepath.Join(dir, "development")
	entries, _ := os.ReadDir(envDir)
	for _, e := range entries {
		if e.Name() == "environment.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(envDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		// The placeholder key is random: keep its shape, not its bytes.
		text := placeholderRE(string(data))
		fmt.Fprintf(&files, "==> %s <==\n%s", e.Name(), text)
	}
	golden.File(t, "import-files.golden", files.String())
	golden.File(t, "import-summary.golden", strings.ReplaceAll(stdout, dir, "ACCESS"))

	adopted := onlyAdoptions(t, planJSON(t, srv, dir))
	if diff := cmp.Diff([]string{"alice", "backup", "bob", "carol", "ci-deployer"}, adopted); diff != "" {
		t.Errorf("adopted (-want +got):\n%s", diff)
	}
}

func placeholderRE(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "pgp_key: "); i >= 0 {
			line = line[:i] + "pgp_key: PLACEHOLDER"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestImportNeverOverwrites checks that import refuses to replace a file
// without --force and writes nothing then, and that --force replaces it,
// importing again what the replaced file declared.
func TestImportNeverOverwrites(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	acct := srv.Account(importAcct)
	acct.PutUser(iamtest.User{Name: "alice", Path: "/people/"})
	acct.PutUser(iamtest.User{Name: "dave"})
	acct.PutUser(iamtest.User{Name: "ci", AccessKeys: []iamtest.AccessKey{{}}})
	dir := importTree(t, "", "")
	users := filepath.Join(dir, "development", "users.yaml")
	handWritten := "# hand-written\nusers:\n  - name: alice\n    path: /people/\n  - name: ghost\n"
	writeFile(t, users, handWritten)

	code, _, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir)
	if code != ExitFailure || !strings.Contains(stderr, "never overwrites") || !strings.Contains(stderr, "--force") {
		t.Errorf("import over an existing file: exit %d, stderr %q; want %d and a hint about --force", code, stderr, ExitFailure)
	}
	if data, _ := os.ReadFile(users); string(data) != handWritten {
		t.Errorf("users.yaml changed without --force:\n%s", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "development", "service-accounts.yaml")); err == nil {
		t.Errorf("import wrote service-accounts.yaml although it refused to write users.yaml")
	}

	code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir, "--force")
	if code != ExitOK {
		t.Fatalf("import --force: exit %d; stderr:\n%s", code, stderr)
	}
	data, _ := os.ReadFile(users)
	for _, want := range []string{"name: alice", "path: /people/", "name: dave"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("users.yaml after --force lacks %q:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "ghost") || strings.Contains(stdout, "already declared") {
		t.Errorf("--force kept or skipped entries of the replaced file:\n%s\n%s", data, stdout)
	}
	if got := onlyAdoptions(t, planJSON(t, srv, dir)); !slices.Equal(got, []string{"alice", "ci", "dave"}) {
		t.Errorf("adopted %v, want [alice ci dave]", got)
	}
}

// TestImportIntoExistingTree imports into a tree that declares some users
// and a group already: they are skipped and counted, not duplicated, and
// --force re-imports what a replaced file declared.
func TestImportIntoExistingTree(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	acct := srv.Account(importAcct)
	acct.PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	acct.PutGroup(iamtest.Group{Name: "ops"})
	for _, u := range []iamtest.User{
		{Name: "alice", Groups: []string{"developers"}},
		{Name: "Bob", Groups: []string{"developers", "ops"}},
		{Name: "carol", Groups: []string{"ops"}},
		{Name: "dave"},
	} {
		acct.PutUser(u)
	}
	dir := importTree(t, "", "")
	people := filepath.Join(dir, "development", "team", "people.yaml")
	writeFile(t, people, `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
users:
  - name: alice
    groups: [developers]
  - name: bob # IAM names are case-insensitive
    groups: [developers, ops]
`)
	// bob names ops, which only the import declares: the tree is invalid
	// until it runs, so declare ops beside it first.
	writeFile(t, filepath.Join(dir, "development", "ops-group.yaml"), "groups:\n  - name: ops\n")

	code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir)
	if code != ExitOK {
		t.Fatalf("import: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"Imported into development: 2 people, 0 service accounts, 0 groups.",
		"Skipped 2 users already declared in the manifests.", "Skipped 2 groups already declared in the manifests."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	repo, diags := manifest.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("tree invalid after import: %v", diags)
	}
	count := map[string]int{}
	for _, u := range repo.Environment("development").Users {
		count[strings.ToLower(u.Name)]++
	}
	if diff := cmp.Diff(map[string]int{"alice": 1, "bob": 1, "carol": 1, "dave": 1}, count); diff != "" {
		t.Errorf("declared users (-want +got):\n%s", diff)
	}
	caseWarning := `user "bob" is called "Bob" in the account; IAM names are case-insensitive, so roster manages the existing user "Bob"`
	if got := onlyAdoptions(t, planJSON(t, srv, dir), caseWarning); !slices.Equal(got, []string{"Bob", "alice", "carol", "dave"}) {
		t.Errorf("adopted %v", got)
	}

	// A second import finds everything declared and writes nothing.
	code, stdout, _ = runWith(t, srv, "import", "--env", "development", "--dir", dir)
	if code != ExitOK || !strings.Contains(stdout, "nothing to write") || !strings.Contains(stdout, "Skipped 4 users already declared") {
		t.Errorf("second import: exit %d\n%s", code, stdout)
	}
}

// TestImportFilters checks --include, --exclude and unmanaged.ignore, and
// that a filtered import brings only the groups its users need.
func TestImportFilters(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	acct := srv.Account(importAcct)
	acct.PutGroup(iamtest.Group{Name: "ci"})
	acct.PutGroup(iamtest.Group{Name: "people"})
	for _, u := range []iamtest.User{
		{Name: "ci-build", Groups: []string{"ci"}, AccessKeys: []iamtest.AccessKey{{}}},
		{Name: "ci-deploy", Groups: []string{"ci"}, AccessKeys: []iamtest.AccessKey{{}}},
		{Name: "ci-old", AccessKeys: []iamtest.AccessKey{{}}},
		{Name: "alice", Groups: []string{"people"}},
		{Name: "break-glass", LoginProfile: &iamtest.LoginProfile{Password: "Seeded-Passw0rd!"}},
	} {
		acct.PutUser(u)
	}
	dir := importTree(t, "", "unmanaged:\n  ignore: [break-*]\n")
	code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir, "--include", "ci-*,break-*", "--exclude", "*-old")
	if code != ExitOK {
		t.Fatalf("import: exit %d; stderr:\n%s", code, stderr)
	}
	repo, diags := manifest.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("invalid tree: %v", diags)
	}
	env := repo.Environment("development")
	var users, groups []string
	for _, u := range env.Users {
		users = append(users, u.Name)
	}
	for _, g := range env.Groups {
		groups = append(groups, g.Name)
	}
	if diff := cmp.Diff([]string{"ci-build", "ci-deploy"}, users); diff != "" {
		t.Errorf("imported users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ci"}, groups); diff != "" {
		t.Errorf("imported groups (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Skipped 1 user matched by unmanaged.ignore.", "Skipped 2 users left out by --include/--exclude."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}

// TestImportFromSnapshot imports from a snapshot (--live) instead of AWS,
// and plans against the same snapshot.
func TestImportFromSnapshot(t *testing.T) {
	t.Parallel()
	dir := importTree(t, "", "")
	live := t.TempDir()
	snap := &state.Snapshot{Environment: "development", TakenAt: importNow, Account: &state.Account{
		AccountID: importAcct,
		Users: map[string]*state.User{
			"alice": {Name: "alice", Path: "/", Access: state.Access{Groups: []string{"ops"}}, Details: state.LoginProfile | state.Credentials, LoginProfile: true},
			"ci":    {Name: "ci", Path: "/machines/", Details: state.LoginProfile | state.Credentials, AccessKeys: []state.AccessKey{{ID: "AKIA1", Status: "Active"}}},
		},
		Groups: map[string]*state.Group{"ops": {Name: "ops", Path: "/", Members: []string{"alice"}, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
	}}
	var buf bytes.Buffer
	if err := state.WriteSnapshot(&buf, snap); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(live, "development.json"), buf.String())

	code, stdout, stderr := runWith(t, nil, "import", "--env", "development", "--dir", dir, "--live", live)
	if code != ExitOK || !strings.Contains(stdout, "1 person, 1 service account, 1 group") {
		t.Fatalf("import --live: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runWith(t, nil, "plan", "--dir", dir, "--live", live, "--format", "json")
	if code != ExitOK {
		t.Fatalf("plan --live: exit %d\n%s", code, stderr)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if got := onlyAdoptions(t, &p); !slices.Equal(got, []string{"alice", "ci"}) {
		t.Errorf("adopted %v, want [alice ci]", got)
	}
}

func TestImportUsage(t *testing.T) {
	t.Parallel()
	dir := importTree(t, "", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--dir", dir}, "import needs --env NAME"},
		{[]string{"import", "--dir", dir, "--env", "nope"}, "unknown environment nope"},
		{[]string{"import", "--dir", dir, "--env", "development", "extra"}, "import takes no arguments"},
		{[]string{"import", "--dir", dir, "--env", "development", "--live", t.TempDir(), "--include", "[x"}, "bad glob"},
	} {
		code, _, stderr := runWith(t, nil, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, ExitUsage, c.want)
		}
	}
}

// TestImportGuardrailBreach imports an account that breaks a guardrail: the
// files are written (the operator fixes them) and import exits 1, naming
// the file and line.
func TestImportGuardrailBreach(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	srv.Account(importAcct).PutUser(iamtest.User{Name: "root-ish", ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}})
	dir := filepath.Join(t.TempDir(), "access")
	writeFile(t, filepath.Join(dir, "development", "environment.yaml"),
		fmt.Sprintf("account_id: %q\nguardrails:\n  forbidden_managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n", importAcct))
	code, _, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir)
	if code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	for _, want := range []string{"development/users.yaml:", "AdministratorAccess", "the imported manifests do not validate"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "development", "users.yaml")); err != nil {
		t.Errorf("users.yaml not written: %v", err)
	}
}
