package manifest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/manifest"
)

// ignorePos leaves positions out of repository comparisons; TestPositions
// checks them.
var ignorePos = cmpopts.IgnoreFields(manifest.User{}, "Pos")

var ignoreAllPos = cmp.Options{
	ignorePos,
	cmpopts.IgnoreFields(manifest.Group{}, "Pos"),
	cmpopts.IgnoreFields(manifest.Environment{}, "Pos"),
	cmpopts.IgnoreFields(manifest.Config{}, "Pos"),
}

func date(s string) *manifest.Expiry {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	e := manifest.EndOfDay(t)
	return &e
}

func readKey(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestLoadFull(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "good", "full", "access")
	repo, diags := manifest.Load(dir, manifest.WithClock(clock))
	if diags.HasErrors() {
		t.Fatalf("Load reported errors:\n%v", diags)
	}

	// The armored key is the block scalar, with YAML's final newline.
	people := readKey(t, filepath.Join(dir, "development", "teams", "payments", "people.yaml"))
	start := strings.Index(people, "-----BEGIN")
	end := strings.Index(people, "-----END PGP PUBLIC KEY BLOCK-----") + len("-----END PGP PUBLIC KEY BLOCK-----")
	var armored strings.Builder
	for _, line := range strings.Split(people[start:end], "\n") {
		armored.WriteString(strings.TrimPrefix(line, "      ") + "\n")
	}
	_, after, _ := strings.Cut(people, `pgp_key: "`)
	base64Key, _, _ := strings.Cut(after, `"`)

	forbidden := []string{"arn:aws:iam::aws:policy/AdministratorAccess"}
	devDir := filepath.ToSlash(filepath.Join(dir, "development"))
	want := &manifest.Repository{
		Dir: dir,
		Config: manifest.Config{
			Order:        []string{"development", "staging", "production", "sandbox"},
			OwnershipTag: "acme:managed",
			OwnerTag:     "acme:owner",
			Defaults: manifest.Defaults{
				Path: "/staff/",
				Tags: map[string]string{"cost-center": "1234", "team": "unassigned"},
				Guardrails: manifest.Guardrails{
					ForbiddenManagedPolicies: forbidden,
					MaxAccessKeyAgeDays:      90,
					MaxDeletions:             5,
				},
			},
		},
		Environments: []*manifest.Environment{
			{
				Name:       "development",
				Dir:        devDir,
				AccountID:  "111111111111",
				RoleARN:    "arn:aws:iam::111111111111:role/roster-apply",
				Region:     "us-east-1",
				Guardrails: manifest.Guardrails{ForbiddenManagedPolicies: forbidden, MaxAccessKeyAgeDays: 90, MaxDeletions: 10},
				Groups: []*manifest.Group{
					{
						Name: "developers",
						Path: "/teams/",
						ManagedPolicies: []string{
							"arn:aws:iam::aws:policy/PowerUserAccess",
							"arn:aws:iam::aws:policy/IAMReadOnlyAccess",
						},
						InlinePolicies: map[string]string{
							"deny-billing": `{"Statement":[{"Action":"aws-portal:*","Effect":"Deny","Resource":"*"}],"Version":"2012-10-17"}`,
						},
					},
					{Name: "legacy", Path: "/staff/", Absent: true},
				},
				Users: []*manifest.User{
					{
						Kind:    manifest.Person,
						Name:    "Alice",
						Path:    "/staff/",
						Groups:  []string{"developers"},
						Tags:    manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "payments", "email": "alice@example.com"}),
						Console: true,
						PGPKey:  armored.String(),
					},
					{
						Kind:    manifest.Person,
						Name:    "bob",
						Path:    "/contractors/",
						Groups:  []string{"developers"},
						Tags:    manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "unassigned"}),
						Console: true,
						PGPKey:  base64Key,
						Expires: date("2027-03-31"),
					},
					{
						Kind:    manifest.Person,
						Name:    "carol",
						Path:    "/staff/",
						Tags:    manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "unassigned"}),
						PGPKey:  "unused",
						Expires: date("2026-05-31"),
					},
				},
			},
			{
				Name:       "staging",
				Dir:        filepath.ToSlash(filepath.Join(dir, "staging")),
				AccountID:  "222222222222",
				Region:     "eu-west-1",
				Production: true,
				Guardrails: manifest.Guardrails{ForbiddenManagedPolicies: forbidden, ForbidAdminEquivalent: true, MaxAccessKeyAgeDays: 90, MaxDeletions: 5},
				Unmanaged:  manifest.Unmanaged{Ignore: []string{"break-glass-*", "ops-?"}},
				Users: []*manifest.User{
					{
						Kind: manifest.Person,
						Name: "dave",
						Path: "/staff/",
						ManagedPolicies: []string{
							"arn:aws:iam::aws:policy/ReadOnlyAccess",
							"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
							"arn:aws:iam::222222222222:policy/p1",
							"arn:aws:iam::222222222222:policy/p2",
							"arn:aws:iam::222222222222:policy/p3",
							"arn:aws:iam::222222222222:policy/p4",
							"arn:aws:iam::222222222222:policy/p5",
							"arn:aws:iam::222222222222:policy/p6",
							"arn:aws:iam::222222222222:policy/p7",
							"arn:aws:iam::222222222222:policy/p8",
							"arn:aws:iam::222222222222:policy/teams/p9",
						},
						Tags: manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "unassigned"}),
					},
				},
			},
			{
				Name:        "production",
				Dir:         filepath.ToSlash(filepath.Join(dir, "production")),
				AccountID:   "444444444444",
				RoleARN:     "arn:aws:iam::444444444444:role/roster-apply",
				PlanRoleARN: "arn:aws:iam::444444444444:role/roster-plan",
				Region:      "us-east-1",
				Production:  true,
				Guardrails: manifest.Guardrails{
					ForbiddenManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::aws:policy/IAMFullAccess"},
					ForbidAdminEquivalent:    true,
					ConsoleRequiresMFA:       true,
					MaxAccessKeyAgeDays:      90,
					MaxDeletions:             0,
				},
				Users: []*manifest.User{
					{
						Kind: manifest.Person,
						Name: "alice",
						Path: "/staff/",
						Tags: manifest.TagsOf(map[string]string{"cost-center": "1234", "team": "unassigned"}),
					},
					{
						Kind:                manifest.ServiceAccount,
						Name:                "ci-deployer",
						Path:                "/machines/",
						ManagedPolicies:     []string{"arn:aws:iam::444444444444:policy/deploy"},
						PermissionsBoundary: "arn:aws:iam::444444444444:policy/boundary",
						InlinePolicies: map[string]string{
							"read-artifacts": `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::artifacts","arn:aws:s3:::artifacts/*"],"Sid":"ReadArtifacts"}],"Version":"2012-10-17"}`,
						},
						// The entry's "Team" replaces the default "team":
						// IAM tag keys are case-insensitive.
						Tags:  manifest.TagsOf(map[string]string{"cost-center": "1234", "Team": "platform"}),
						Owner: "platform-team",
					},
				},
			},
			{
				Name:       "sandbox",
				Dir:        filepath.ToSlash(filepath.Join(dir, "sandbox")),
				AccountID:  "555555555555",
				Region:     "us-east-1",
				Guardrails: manifest.Guardrails{ForbiddenManagedPolicies: forbidden, MaxAccessKeyAgeDays: 90, MaxDeletions: 5},
			},
		},
	}
	if diff := cmp.Diff(want, repo, ignoreAllPos); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}

	people2 := filepath.ToSlash(filepath.Join(dir, "development", "teams", "payments", "people.yaml"))
	readers := filepath.ToSlash(filepath.Join(dir, "staging", "readers.yaml"))
	wantDiags := []string{
		people2 + ":29:14 warning expired",
		people2 + ":30:14 warning pgp-key-unused",
		readers + ":3:5 warning managed-policy-count",
	}
	if diff := cmp.Diff(wantDiags, brief(diags)); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

// brief renders findings as "pos severity rule".
func brief(l diag.List) []string {
	var out []string
	for _, d := range l {
		out = append(out, d.Pos.String()+" "+string(d.Severity)+" "+d.Rule)
	}
	return out
}

func TestLoadMinimal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "good", "minimal", "access")
	repo, diags := manifest.Load(dir)
	if len(diags) > 0 {
		t.Fatalf("Load reported findings:\n%v", diags)
	}
	want := &manifest.Repository{
		Dir: dir,
		Config: manifest.Config{
			Order:        []string{"prod"},
			OwnershipTag: manifest.DefaultOwnershipTag,
			OwnerTag:     manifest.DefaultOwnerTag,
			Defaults:     manifest.Defaults{Path: "/", Guardrails: manifest.Guardrails{MaxDeletions: manifest.DefaultMaxDeletions}},
		},
		Environments: []*manifest.Environment{{
			Name:       "prod",
			Dir:        filepath.ToSlash(filepath.Join(dir, "prod")),
			AccountID:  "999999999999",
			Region:     "us-east-1",
			Production: true, // named prod
			Guardrails: manifest.Guardrails{ForbidAdminEquivalent: true, MaxDeletions: manifest.DefaultMaxDeletions},
			Pos:        diag.Pos{File: filepath.ToSlash(filepath.Join(dir, "prod", "environment.yaml")), Line: 1, Col: 1},
		}},
	}
	if diff := cmp.Diff(want, repo); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
}

// TestPositions checks that loaded entries point at their list items, so
// later stages (plan, drift) can refer the user back to the manifest.
func TestPositions(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "good", "full", "access")
	repo, diags := manifest.Load(dir, manifest.WithClock(clock))
	if repo == nil {
		t.Fatalf("Load failed:\n%v", diags)
	}
	prod := repo.Environment("production")
	if prod == nil {
		t.Fatal("no production environment")
	}
	file := filepath.ToSlash(filepath.Join(dir, "production", "service-accounts.yaml"))
	got := map[string]diag.Pos{}
	for _, u := range prod.Users {
		got[u.Name] = u.Pos
	}
	want := map[string]diag.Pos{
		"ci-deployer": {File: file, Line: 2, Col: 5},
		"alice":       {File: file, Line: 19, Col: 5},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions mismatch (-want +got):\n%s", diff)
	}
	if got, want := repo.Environment("development").Groups[0].Pos, (diag.Pos{File: filepath.ToSlash(filepath.Join(dir, "development", "groups.yml")), Line: 2, Col: 5}); got != want {
		t.Errorf("group position = %v, want %v", got, want)
	}
}

// TestExpiry checks the day boundary: a user exists through its expires
// day, and is reported from the next day on.
func TestExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		now     time.Time
		warning bool
	}{
		{"the day before", time.Date(2026, 3, 30, 23, 59, 0, 0, time.UTC), false},
		{"on the last day", time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC), false},
		{"the next day", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), true},
		{"next day in another zone", time.Date(2026, 3, 31, 20, 0, 0, 0, time.FixedZone("EDT", -4*3600)), true},
	}
	dir := writeTree(t, map[string]string{
		"production/environment.yaml": `account_id: "111122223333"` + "\n",
		"production/people.yaml":      "users:\n  - name: temp\n    expires: 2026-03-31\n",
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo, diags := manifest.Load(dir, manifest.WithClock(func() time.Time { return tc.now }))
			if repo == nil {
				t.Fatalf("Load failed:\n%v", diags)
			}
			if got := diags.Count(diag.Warning) == 1; got != tc.warning {
				t.Errorf("expired warning = %v, want %v (findings: %v)", got, tc.warning, diags)
			}
			if got := repo.Environments[0].Users[0].Expires; got == nil || !got.Day || !got.End.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("Expires = %v, want 2026-03-31", got)
			}
		})
	}
}

// TestAllErrorsAtOnce checks that problems in several files and
// environments are all reported in one run, sorted by file and line.
func TestAllErrorsAtOnce(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"roster.yaml":                  "order: [production, nowhere]\n",
		"production/environment.yaml":  "account_id: 111122223333\n",
		"production/a.yaml":            "users:\n  - name: bad name\n",
		"production/b.yaml":            "users: [\n",
		"staging/environment.yaml":     `account_id: "222233334444"` + "\n",
		"staging/team/people.yaml":     "users:\n  - name: x\n    groups: [nope]\n",
		"staging/team/more/extra.yaml": "service_accounts:\n  - name: y\n",
	})
	_, diags := manifest.Load(dir)
	got := brief(diags)
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], filepath.ToSlash(dir)+"/")
	}
	want := []string{
		"production/a.yaml:2:11 error user-name",
		"production/b.yaml:1:1 error yaml-syntax",
		"production/environment.yaml:1:13 error account-id-quoted",
		"roster.yaml:1:21 error order-unknown-environment",
		"staging/team/more/extra.yaml:2:5 error service-account-owner",
		"staging/team/people.yaml:3:14 error group-unknown",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

// writeTree writes files (slash-separated paths relative to an access
// directory) into a temporary access directory and returns its path.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "access")
	for rel, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAcceptedAtTheLimits loads trees that sit exactly on a limit or use a
// less common but valid form: each must load without any finding.
func TestAcceptedAtTheLimits(t *testing.T) {
	t.Parallel()
	const env = `account_id: "111122223333"` + "\n"
	tags := func(n int) string {
		var b strings.Builder
		b.WriteString("    tags:\n")
		for i := range n {
			fmt.Fprintf(&b, "      k%02d: v\n", i)
		}
		return b.String()
	}
	policies := func(n int) string {
		var b strings.Builder
		b.WriteString("    managed_policies:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - arn:aws:iam::111122223333:policy/p%02d\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name  string
		files map[string]string
	}{
		{"64-character user name", map[string]string{"p/people.yaml": "users:\n  - name: " + strings.Repeat("a", 64) + "\n"}},
		{"128-character group name", map[string]string{"p/people.yaml": "groups:\n  - name: " + strings.Repeat("g", 128) + "\n"}},
		{"name with every allowed symbol", map[string]string{"p/people.yaml": "users:\n  - name: a+b=c,d.e@f_g-h\n"}},
		{"512-character path", map[string]string{"p/people.yaml": "users:\n  - name: a\n    path: /" + strings.Repeat("x", 510) + "/\n"}},
		{"49 tags plus the ownership tag", map[string]string{"p/people.yaml": "users:\n  - name: a\n" + tags(49)}},
		{"48 tags plus ownership and owner tags", map[string]string{"p/people.yaml": "service_accounts:\n  - name: a\n    owner: team\n" + tags(48)}},
		{"10 managed policies, no warning", map[string]string{"p/people.yaml": "users:\n  - name: a\n" + policies(10)}},
		{"10 groups", map[string]string{"p/people.yaml": "groups:\n" +
			"  - name: g0\n  - name: g1\n  - name: g2\n  - name: g3\n  - name: g4\n  - name: g5\n  - name: g6\n  - name: g7\n  - name: g8\n  - name: g9\n" +
			"users:\n  - name: a\n    groups: [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9]\n"}},
		{"unicode tag value and 256 characters", map[string]string{"p/people.yaml": "users:\n  - name: a\n    tags: {city: Zürich, note: " + strings.Repeat("é", 256) + ", empty: \"\"}\n"}},
		{"GovCloud partition throughout", map[string]string{
			"p/environment.yaml": env + "role_arn: arn:aws-us-gov:iam::111122223333:role/ops/roster\n",
			"p/people.yaml":      "users:\n  - name: a\n    managed_policies: [arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess]\n    permissions_boundary: arn:aws-us-gov:iam::111122223333:policy/teams/boundary\n",
		}},
		{"AWS managed policy with a path", map[string]string{"p/people.yaml": "users:\n  - name: a\n    managed_policies: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]\n"}},
		{"quoted expires in the future", map[string]string{"p/people.yaml": "users:\n  - name: a\n    expires: \"2030-12-31\"\n"}},
		{"null and empty values", map[string]string{"p/people.yaml": "users:\n  - name: a\n    groups:\n    tags: {}\n    path: ~\n    inline_policies:\n"}},
		{"JSON syntax", map[string]string{"p/people.yaml": `{"users": [{"name": "a", "inline_policies": {"p": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}}]}` + "\n"}},
		{"anchors and aliases", map[string]string{"p/people.yaml": "users:\n  - name: a\n    tags: &t {team: x}\n  - name: b\n    tags: *t\n"}},
		{"explicit document markers and comments only", map[string]string{"p/people.yaml": "---\n# nobody yet\n...\n"}},
		{"zero guardrails", map[string]string{"p/environment.yaml": env + "guardrails: {max_deletions: 0, max_access_key_age_days: 0}\n"}},
		{"glob with classes", map[string]string{"p/environment.yaml": env + "unmanaged: {ignore: [\"break-glass-[0-9]*\", \"\\\\[legacy\\\\]\"]}\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"p/environment.yaml": env}
			for k, v := range tc.files {
				files[k] = v
			}
			repo, diags := manifest.Load(writeTree(t, files), manifest.WithClock(clock))
			if repo == nil || len(diags) > 0 {
				t.Errorf("Load reported findings for a valid tree:\n%v", diags)
			}
		})
	}
}

// TestSymlinks follows a link to a file inside the access directory and
// refuses links to folders and links that leave it.
func TestSymlinks(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"production/environment.yaml":  `account_id: "111122223333"` + "\n",
		"production/shared/people.txt": "users:\n  - name: alice\n",
	})
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
	}
	link("shared/people.txt", "production/people.yaml")
	repo, diags := manifest.Load(dir)
	if repo == nil || len(diags) > 0 {
		t.Fatalf("a link inside the access directory was refused:\n%v", diags)
	}
	if got := repo.Environments[0].Users; len(got) != 1 || got[0].Name != "alice" {
		t.Errorf("users through the link = %v, want alice", got)
	}

	link("shared", "production/linked-folder")
	link(filepath.Join(t.TempDir(), "elsewhere.yaml"), "production/broken.yaml")
	_, diags = manifest.Load(dir)
	got := brief(diags)
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], filepath.ToSlash(dir)+"/")
	}
	want := []string{
		"production/broken.yaml error symlink",
		"production/linked-folder error symlink",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings mismatch (-want +got):\n%s", diff)
	}
}

// TestPlanRole checks the one place the plan role's default lives: plans
// assume plan_role_arn, else role_arn, else the base credentials.
func TestPlanRole(t *testing.T) {
	t.Parallel()
	const apply, planRole = "arn:aws:iam::111122223333:role/apply", "arn:aws:iam::111122223333:role/plan"
	tests := []struct {
		name string
		env  manifest.Environment
		want string
	}{
		{"both", manifest.Environment{RoleARN: apply, PlanRoleARN: planRole}, planRole},
		{"role_arn only", manifest.Environment{RoleARN: apply}, apply},
		{"plan_role_arn only", manifest.Environment{PlanRoleARN: planRole}, planRole},
		{"neither", manifest.Environment{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.env.PlanRole(); got != tt.want {
				t.Errorf("PlanRole() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRegionDefault: an environment that sets no region calls STS in its
// partition's default region (a GovCloud role cannot be assumed through
// us-east-1); a region that is set is kept.
func TestRegionDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, env, want string
	}{
		{"commercial", "role_arn: arn:aws:iam::111122223333:role/roster\n", "us-east-1"},
		{"no ARN at all", "", "us-east-1"},
		{"GovCloud", "role_arn: arn:aws-us-gov:iam::111122223333:role/roster\n", "us-gov-west-1"},
		{"China", "role_arn: arn:aws-cn:iam::111122223333:role/roster\n", "cn-north-1"},
		{"China, region set", "role_arn: arn:aws-cn:iam::111122223333:role/roster\nregion: cn-northwest-1\n", "cn-northwest-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			repo, diags := manifest.Load(writeTree(t, map[string]string{
				"p/environment.yaml": `account_id: "111122223333"` + "\n" + tt.env,
			}))
			if repo == nil {
				t.Fatalf("Load refused a valid tree:\n%v", diags)
			}
			if got := repo.Environments[0].Region; got != tt.want {
				t.Errorf("Region = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAccessDirLinkedOutside: an access directory that is a symbolic link
// resolving outside the repository (the folder holding .git, or the access
// directory's parent) is refused, so a pull request cannot point roster at
// /etc or another checkout; a link within the repository is followed.
func TestAccessDirLinkedOutside(t *testing.T) {
	t.Parallel()
	tree := map[string]string{"production/environment.yaml": `account_id: "111122223333"` + "\n"}
	outside := writeTree(t, tree)
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(repo, "config", "access")
	if err := os.MkdirAll(filepath.Dir(inside), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(inside, os.DirFS(outside)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, target string
		refused      bool
	}{
		{"outside", outside, true},
		{"inside", filepath.Join("config", "access"), false},
	} {
		link := filepath.Join(repo, "access-"+tc.name)
		if err := os.Symlink(tc.target, link); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
		repoOut, diags := manifest.Load(link)
		got := brief(diags)
		for i := range got {
			got[i] = strings.TrimPrefix(got[i], filepath.ToSlash(repo)+"/")
		}
		var want []string
		if tc.refused {
			want = []string{"access-outside error symlink"}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: findings (-want +got):\n%s", tc.name, diff)
		}
		if (repoOut == nil) != tc.refused {
			t.Errorf("%s: repository loaded = %v, want %v", tc.name, repoOut != nil, !tc.refused)
		}
	}
}
