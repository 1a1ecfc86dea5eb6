package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/plan"
)

const (
	orgMgmt    = "111111111111"
	orgDev     = "222222222222"
	orgStaging = "333333333333"
	orgProd    = "444444444444"
)

// transcript runs roster commands against the fake as the management
// account and records each as a shell session would show it.
type transcript struct {
	t   *testing.T
	srv *iamtest.Server
	env map[string]string
	dir string // replaced by "access" in the record
	b   strings.Builder
}

func (tr *transcript) run(args ...string) (code int, stdout, stderr string) {
	tr.t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return tr.env[k] },
		Now:    func() time.Time { return importNow },
	})
	clean := func(s string) string { return strings.ReplaceAll(s, tr.dir, "access") }
	fmt.Fprintf(&tr.b, "$ roster %s\n%s%s", clean(strings.Join(args, " ")), clean(out.String()), clean(errOut.String()))
	if code != ExitOK {
		fmt.Fprintf(&tr.b, "(exit status %d)\n", code)
	}
	tr.b.WriteString("\n")
	return code, out.String(), errOut.String()
}

// cat records a file the way `cat access/FILE` shows it.
func (tr *transcript) cat(name string) {
	tr.t.Helper()
	data, err := os.ReadFile(filepath.Join(tr.dir, name))
	if err != nil {
		tr.t.Fatal(err)
	}
	fmt.Fprintf(&tr.b, "$ cat access/%s\n%s\n", filepath.ToSlash(name), data)
}

// seedOrg builds an organization of four accounts: the management account
// under the root, and development, staging and production under
// Workloads/{Dev,Staging,Prod}, holding 200 IAM users between them (people
// in groups, and machine users with access keys), each account with the
// CloudFormation template's roster-plan role.
func seedOrg(t *testing.T, srv *iamtest.Server) map[string]int {
	t.Helper()
	org := srv.CreateOrganization(orgMgmt)
	users := map[string]int{orgDev: 90, orgStaging: 60, orgProd: 50}
	for _, a := range []struct{ id, name, ou string }{
		{orgDev, "workloads-dev", "Workloads/Dev"},
		{orgStaging, "workloads-staging", "Workloads/Staging"},
		{orgProd, "workloads-prod", "Workloads/Prod"},
	} {
		org.AddAccount(iamtest.OrgAccount{ID: a.id, Name: a.name, OU: a.ou, Tags: map[string]string{"cost-center": "4200"}})
		acct := srv.Account(a.id)
		acct.AddRole("roster-plan", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport")
		acct.PutGroup(iamtest.Group{Name: "developers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/PowerUserAccess"}})
		acct.PutGroup(iamtest.Group{Name: "readers", ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
		for i := range users[a.id] {
			if i%10 == 9 {
				acct.PutUser(iamtest.User{Name: fmt.Sprintf("svc-%s-%02d", a.name, i), AccessKeys: []iamtest.AccessKey{{CreateDate: importNow.AddDate(0, -1, 0)}},
					Tags: []iamtest.Tag{{Key: "roster:owner", Value: "platform-team"}}})
			} else {
				group := []string{"developers", "readers"}[i%2]
				acct.PutUser(iamtest.User{Name: fmt.Sprintf("person-%03d", i), Path: "/people/", Groups: []string{group},
					Tags: []iamtest.Tag{{Key: "team", Value: []string{"payments", "search", "data"}[i%3]}}})
			}
		}
	}
	return users
}

// TestInitFromOrganizationTranscript is the path of a new team: a fresh
// folder, init from the Organization, an import per environment, validate,
// plan, ending in a plan that only adopts the 200 users.
func TestInitFromOrganizationTranscript(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t, iamtest.WithClock(func() time.Time { return importNow }))
	users := seedOrg(t, srv)
	tr := &transcript{t: t, srv: srv, env: srv.Env(orgMgmt), dir: filepath.Join(t.TempDir(), "access")}

	if code, _, stderr := tr.run("init", "--dir", tr.dir, "--from-organization"); code != ExitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	tr.cat(filepath.Join("production", "environment.yaml"))
	for _, env := range []string{"development", "staging", "production"} {
		if code, _, stderr := tr.run("import", "--dir", tr.dir, "--env", env); code != ExitOK {
			t.Fatalf("import %s: exit %d\n%s", env, code, stderr)
		}
	}
	if code, _, stderr := tr.run("validate", "--dir", tr.dir); code != ExitOK {
		t.Fatalf("validate: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := tr.run("fmt", "--dir", tr.dir, "--check"); code != ExitOK {
		t.Fatalf("fmt --check: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := tr.run("plan", "--dir", tr.dir); code != ExitOK {
		t.Fatalf("plan: exit %d\n%s", code, stderr)
	}
	golden.File(t, "init-transcript.golden", tr.b.String())

	code, stdout, stderr := tr.run("plan", "--dir", tr.dir, "--format", "json")
	if code != ExitOK {
		t.Fatalf("plan --format json: exit %d\n%s", code, stderr)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	adopted := onlyAdoptions(t, &p)
	if got, want := len(adopted), users[orgDev]+users[orgStaging]+users[orgProd]; got != want {
		t.Errorf("the plan adopts %d users, want all %d", got, want)
	}
	var envs []string
	for _, e := range p.Environments {
		envs = append(envs, e.Name)
	}
	if diff := cmp.Diff([]string{"development", "staging", "production"}, envs); diff != "" {
		t.Errorf("planned environments (-want +got):\n%s", diff)
	}
	if srv.TotalCalls(orgDev) == 0 || len(srv.Writes()) != 0 {
		t.Errorf("calls on development: %d, writes: %v; want reads only", srv.TotalCalls(orgDev), srv.Writes())
	}
}

// runInit runs roster with the credentials of account.
func runInit(t *testing.T, srv *iamtest.Server, account string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{}
	if srv != nil {
		env = srv.Env(account)
	}
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return importNow }})
	return code, out.String(), errOut.String()
}

func TestInitEnvTag(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	org := srv.CreateOrganization(orgMgmt)
	org.AddAccount(iamtest.OrgAccount{ID: orgDev, Name: "app-dev", OU: "Apps", Tags: map[string]string{"environment": "Dev"}})
	org.AddAccount(iamtest.OrgAccount{ID: orgStaging, Name: "app-old", OU: "Apps", State: iamtest.OrgAccountSuspended, Tags: map[string]string{"environment": "staging"}})
	org.AddAccount(iamtest.OrgAccount{ID: orgProd, Name: "app-prod", OU: "Apps", Tags: map[string]string{"environment": "PROD"}})
	org.AddAccount(iamtest.OrgAccount{ID: "555555555555", Name: "sandbox-1", OU: "Sandbox", Tags: map[string]string{"environment": "sandbox"}})
	org.AddAccount(iamtest.OrgAccount{ID: "666666666666", Name: "log-archive", OU: "Security"})
	dir := filepath.Join(t.TempDir(), "access")

	code, stdout, stderr := runInit(t, srv, orgMgmt, "init", "--dir", dir, "--from-organization", "--env-tag", "environment", "--region", "eu-west-1")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"  development  " + orgDev + "  app-dev  (tag environment=Dev)\n",
		"  production   " + orgProd + "  app-prod  (tag environment=PROD)  production: true\n",
		"  sandbox      555555555555  sandbox-1  (tag environment=sandbox)\n",
		"  " + orgStaging + "  app-old: state SUSPENDED\n",
		"  666666666666  log-archive: no tag environment\n",
		"  " + orgMgmt + "  management: no tag environment\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var got []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"development/environment.yaml", "production/environment.yaml", "roster.yaml", "sandbox/environment.yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	roster, _ := os.ReadFile(filepath.Join(dir, "roster.yaml"))
	if !strings.Contains(string(roster), "order: [development, production, sandbox]\n") {
		t.Errorf("roster.yaml:\n%s", roster)
	}
	dev, _ := os.ReadFile(filepath.Join(dir, "development", "environment.yaml"))
	for _, line := range []string{"region: eu-west-1\n", "production: false\n", "role_arn: arn:aws:iam::" + orgDev + ":role/roster-apply\n"} {
		if !strings.Contains(string(dev), line) {
			t.Errorf("development/environment.yaml lacks %q:\n%s", line, dev)
		}
	}
	if code, out, errOut := runInit(t, nil, "", "validate", "--dir", dir); code != ExitOK {
		t.Errorf("validate after init: exit %d\n%s%s", code, out, errOut)
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "access")
	args := []string{"init", "--dir", dir, "--env", "production=" + orgProd + ",development=" + orgDev}
	if code, _, stderr := runInit(t, nil, "", args...); code != ExitOK {
		t.Fatalf("first init: exit %d\n%s", code, stderr)
	}
	prod := filepath.Join(dir, "production", "environment.yaml")
	writeFile(t, prod, "account_id: \"444444444444\"\n# edited by hand\n")
	code, stdout, stderr := runInit(t, nil, "", args...)
	if code != ExitFailure || !strings.Contains(stderr, "never overwrites a file") || !strings.Contains(stderr, "--force") || strings.Contains(stdout, "wrote") {
		t.Errorf("second init: exit %d, stdout %q, stderr %q; want exit 1 naming --force, nothing written", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(prod); !strings.Contains(string(data), "edited by hand") {
		t.Errorf("init replaced an edited file without --force")
	}
	if code, _, stderr := runInit(t, nil, "", append(args, "--force")...); code != ExitOK {
		t.Fatalf("init --force: exit %d\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(prod); strings.Contains(string(data), "edited by hand") || !strings.Contains(string(data), "production: true") {
		t.Errorf("init --force did not replace the file:\n%s", data)
	}
}

func TestInitErrors(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	org := srv.CreateOrganization(orgMgmt)
	org.AddAccount(iamtest.OrgAccount{ID: orgDev, Name: "a", OU: "Workloads/Prod"})
	org.AddAccount(iamtest.OrgAccount{ID: orgStaging, Name: "b", OU: "Prod"})
	tests := []struct {
		name    string
		account string // whose credentials; "" for none
		args    []string
		code    int
		stderr  []string
	}{
		{"no flag", "", nil, ExitUsage, []string{"init needs --from-organization or --env name=account_id", "Usage: roster init"}},
		{"both", "", []string{"--from-organization", "--env", "a=" + orgDev}, ExitUsage, []string{"not both"}},
		{"env-tag alone", "", []string{"--env", "a=" + orgDev, "--env-tag", "environment"}, ExitUsage, []string{"--env-tag only applies with --from-organization"}},
		{"bad pair", "", []string{"--env", "production"}, ExitUsage, []string{`--env "production": want name=account_id`}},
		{"bad account", "", []string{"--env", "production=4444"}, ExitUsage, []string{"12 digits"}},
		{"bad name", "", []string{"--env", "Prod=" + orgProd}, ExitUsage, []string{"lower-case"}},
		{"twice", "", []string{"--env", "prod=" + orgProd, "--env", "prod=" + orgDev}, ExitUsage, []string{"named twice"}},
		{"not in use", "777777777777", []string{"--from-organization"}, ExitFailure, []string{"not in an AWS Organization (AWSOrganizationsNotInUseException)", "--env name=account_id"}},
		{"member account", orgDev, []string{"--from-organization"}, ExitFailure, []string{"refused organizations:ListAccounts (AccessDeniedException)", "management account", "organizations:ListTagsForResource"}},
		{"two accounts, one environment", orgMgmt, []string{"--from-organization"}, ExitFailure, []string{"production: accounts " + orgDev + " (OU Workloads/Prod) and " + orgStaging + " (OU Prod)", "--env name=account_id"}},
		{"nothing maps", orgMgmt, []string{"--from-organization", "--env-tag", "environment"}, ExitFailure, []string{"no account maps to an environment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "access")
			s := srv
			if tt.account == "" {
				s = nil
			}
			code, _, stderr := runInit(t, s, tt.account, append([]string{"init", "--dir", dir}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, "RequestID") || strings.Contains(stderr, "operation error") {
				t.Errorf("stderr shows the SDK's raw error chain:\n%s", stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Errorf("init wrote %s despite the error", dir)
			}
		})
	}
}

// TestImportNotesMatchPlan: what import's notes announce is what the first
// plan shows, as docs/setup.md says: adoptions, whose tagging also adds the
// defaults.tags a user lacks, and the MFA policy for console users without
// it.
func TestImportNotesMatchPlan(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	acct := srv.Account(importAcct)
	acct.PutUser(iamtest.User{Name: "dana"})
	acct.PutUser(iamtest.User{Name: "erin", LoginProfile: &iamtest.LoginProfile{Password: "Seeded-Passw0rd!"}})
	dir := importTree(t, "defaults:\n  tags: { cost-center: \"4200\" }\n", "  console_requires_mfa: true\n")
	code, stdout, stderr := runWith(t, srv, "import", "--env", "development", "--dir", dir)
	if code != ExitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	for _, note := range []string{
		"Note: defaults.tags are added to every user: the first apply tags users that lack cost-center.",
		"Note: console users without the roster-require-mfa policy get it on the first apply (console_requires_mfa).",
		"shows the adoption of the imported users and the changes noted above.",
	} {
		if !strings.Contains(stdout, note) {
			t.Errorf("import output lacks %q:\n%s", note, stdout)
		}
	}
	_, text, _ := runWith(t, srv, "plan", "--dir", dir)
	for _, want := range []string{"adopt user dana", "+ tag cost-center = 4200", "roster-require-mfa"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	p := planJSON(t, srv, dir)
	var kinds []string
	for _, ch := range p.Environments[0].Changes {
		for _, op := range ch.Ops {
			kinds = append(kinds, string(ch.Action)+" "+ch.Name+" "+string(op.Type))
		}
	}
	// The adoption tags with the ownership tag, then adds defaults.tags;
	// erin also gets the MFA policy.
	want := []string{"adopt dana TagUser", "adopt dana TagUser", "adopt erin TagUser", "adopt erin TagUser", "adopt erin PutUserPolicy"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("plan operations (-want +got):\n%s", diff)
	}
}
