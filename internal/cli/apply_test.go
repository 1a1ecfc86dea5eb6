package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/testfixture"
)

var applyNow = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

const (
	devAccount  = "111111111111"
	prodAccount = "444444444444"
)

// applyTree is two environments: development creates a group, a console
// user and a service account; production updates a user and offboards a
// leaver (a tombstone), next to an unmanaged break-glass user.
func applyTree(t *testing.T) string {
	t.Helper()
	pub := testfixture.PGPKey(t).Armored
	indented := "      " + strings.ReplaceAll(strings.TrimSpace(pub), "\n", "\n      ")
	return writeAccess(t, map[string]string{
		"roster.yaml": "order: [development, production]\n",
		"development/environment.yaml": `account_id: "111111111111"
role_arn: arn:aws:iam::111111111111:role/roster-apply
guardrails:
  console_requires_mfa: true
`,
		"development/people.yaml": `groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
users:
  - name: alice
    groups: [developers]
    console: true
    tags: { team: payments }
    pgp_key: |
` + indented + `
service_accounts:
  - name: ci
    owner: platform
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`,
		"production/environment.yaml": `account_id: "444444444444"
role_arn: arn:aws:iam::444444444444:role/roster-apply
unmanaged:
  ignore: ["break-glass-*"]
`,
		"production/people.yaml": "users:\n  - name: bob\n    tags: { team: search }\n  - name: mallory\n    absent: true\n",
	})
}

// applyFake starts the IAM fake with the tree's accounts, apply roles and
// live state.
func applyFake(t *testing.T) *iamtest.Server {
	t.Helper()
	srv := iamtest.NewServer(t)
	for _, id := range []string{devAccount, prodAccount} {
		a := srv.Account(id)
		a.AddRole("roster-apply")
		a.SetPasswordPolicy(&iamtest.PasswordPolicy{MinimumPasswordLength: 16, RequireSymbols: true, RequireNumbers: true,
			RequireUppercaseCharacters: true, RequireLowercaseCharacters: true})
	}
	prod := srv.Account(prodAccount)
	prod.PutUser(iamtest.User{Name: "bob", Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "team", Value: "payments"}}})
	prod.PutUser(iamtest.User{Name: "mallory", Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}},
		LoginProfile:    &iamtest.LoginProfile{Password: "Mallory-Passw0rd!"},
		AccessKeys:      []iamtest.AccessKey{{}},
		MFADevices:      []iamtest.MFADevice{{}},
		ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	prod.PutUser(iamtest.User{Name: "break-glass-1", LoginProfile: &iamtest.LoginProfile{Password: "Break-Glass-Passw0rd!"},
		AccessKeys: []iamtest.AccessKey{{}}, ManagedPolicies: []string{"arn:aws:iam::aws:policy/AdministratorAccess"}})
	return srv
}

type runResult struct {
	code           int
	stdout, stderr string
}

// runRoster runs the command line against the fake, with stdin as typed
// and stdin a terminal or not.
func runRoster(t *testing.T, srv *iamtest.Server, stdin string, terminal bool, args ...string) runResult {
	t.Helper()
	vars := srv.Env(iamtest.DefaultAccountID)
	vars["AWS_MAX_ATTEMPTS"] = "3"
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), args, Env{
		Stdin:      strings.NewReader(stdin),
		Stdout:     &stdout,
		Stderr:     &stderr,
		Getenv:     func(k string) string { return vars[k] },
		Now:        func() time.Time { return applyNow },
		IsTerminal: func() bool { return terminal },
	})
	return runResult{code, stdout.String(), stderr.String()}
}

func writesTo(srv *iamtest.Server, account string) []string {
	var out []string
	for _, w := range srv.Writes() {
		if w.Account == account {
			out = append(out, w.Action)
		}
	}
	return out
}

func TestApplyConfirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stdin    string
		terminal bool
		args     []string
		wantCode int
		wantErr  string
	}{
		{"not a terminal, no --yes", "", false, nil, ExitUsage, "stdin is not a terminal, so apply cannot ask for confirmation: review the plan above and run again with --yes"},
		{"terminal, answer no", "no\n", true, nil, ExitFailure, "apply cancelled: nothing was changed"},
		{"terminal, answer y", "y\n", true, nil, ExitFailure, "apply cancelled: nothing was changed"},
		{"terminal, end of input", "", true, nil, ExitFailure, "apply cancelled: nothing was changed"},
		{"terminal, answer yes", "yes\n", true, nil, ExitOK, ""},
		{"not a terminal, --yes", "", false, []string{"--yes"}, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := applyTree(t)
			srv := applyFake(t)
			r := runRoster(t, srv, tt.stdin, tt.terminal, append([]string{"apply", "--dir", dir}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "Plan: 3 to add, 1 to change, 1 to destroy, 0 to adopt.") {
				t.Errorf("the plan is not shown first:\n%s", r.stdout)
			}
			if tt.wantErr != "" {
				if !strings.Contains(r.stderr, tt.wantErr) {
					t.Errorf("stderr %q, want %q", r.stderr, tt.wantErr)
				}
				if w := srv.Writes(); len(w) != 0 {
					t.Errorf("%d writes without confirmation, want none", len(w))
				}
				return
			}
			if tt.terminal && !strings.Contains(r.stderr, "Apply these changes to development, production? This includes PRODUCTION.\nOnly 'yes' will be accepted: ") {
				t.Errorf("confirmation prompt missing from stderr:\n%s", r.stderr)
			}
			if !strings.Contains(r.stdout, "Apply complete:") {
				t.Errorf("no apply report:\n%s", r.stdout)
			}
		})
	}
}

// TestApplyEndToEnd applies, reads the result back from the fake, and
// plans again: nothing left to do, the unmanaged user untouched.
func TestApplyEndToEnd(t *testing.T) {
	t.Parallel()
	dir := applyTree(t)
	srv := applyFake(t)
	breakGlass, _ := srv.Account(prodAccount).User("break-glass-1")

	r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes")
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	dev := srv.Account(devAccount)
	alice, ok := dev.User("alice")
	if !ok || alice.LoginProfile == nil || !alice.LoginProfile.PasswordResetRequired {
		t.Errorf("alice: exists %v, login profile %+v; want console access with a password to reset", ok, alice.LoginProfile)
	}
	if diff := cmp.Diff([]string{"developers"}, alice.Groups); diff != "" {
		t.Errorf("alice's groups (-want +got):\n%s", diff)
	}
	if _, ok := alice.InlinePolicies["roster-require-mfa"]; !ok {
		t.Errorf("alice lacks the MFA policy console_requires_mfa asks for: %v", alice.InlinePolicies)
	}
	if ci, ok := dev.User("ci"); !ok || len(ci.ManagedPolicies) != 1 {
		t.Errorf("service account ci: exists %v, policies %v", ok, ci.ManagedPolicies)
	}
	prod := srv.Account(prodAccount)
	if _, ok := prod.User("mallory"); ok {
		t.Error("mallory was not offboarded")
	}
	if bob, _ := prod.User("bob"); !hasTag(bob.Tags, iamtest.Tag{Key: "team", Value: "search"}) {
		t.Errorf("bob's tags %v, want team=search", bob.Tags)
	}
	after, _ := prod.User("break-glass-1")
	if diff := cmp.Diff(breakGlass, after); diff != "" {
		t.Errorf("unmanaged user changed (-before +after):\n%s", diff)
	}

	again := runRoster(t, srv, "", false, "plan", "--dir", dir, "--detailed-exitcode")
	if again.code != ExitOK {
		t.Errorf("plan after apply: exit %d, want 0 (no changes)\n%s%s", again.code, again.stdout, again.stderr)
	}
	second := runRoster(t, srv, "", false, "apply", "--dir", dir)
	if second.code != ExitOK || !strings.Contains(second.stdout, "Nothing to apply.") {
		t.Errorf("second apply: exit %d, want 0 with nothing to apply (and no --yes needed)\n%s%s", second.code, second.stdout, second.stderr)
	}
}

func hasTag(tags []iamtest.Tag, want iamtest.Tag) bool {
	for _, tg := range tags {
		if tg == want {
			return true
		}
	}
	return false
}

var armoredMessage = regexp.MustCompile(`(?s)-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----`)

// TestApplyNoSecretsInOutput: in every format, the console password
// appears only encrypted. Decrypting it with the user's private key gives
// the password IAM stored, and that clear text is nowhere in any output.
func TestApplyNoSecretsInOutput(t *testing.T) {
	t.Parallel()
	key := testfixture.PGPKey(t)
	pub := key.Armored
	for _, format := range []string{"text", "markdown", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := applyTree(t)
			srv := applyFake(t)
			r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes", "--format", format)
			if r.code != ExitOK {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			armored := ""
			if format == "json" {
				var report struct {
					Environments []struct {
						Changes []struct {
							Ops []struct {
								EncryptedPassword string `json:"encrypted_password"`
							}
						}
					}
				}
				if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
					t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
				}
				for _, e := range report.Environments {
					for _, c := range e.Changes {
						for _, o := range c.Ops {
							armored += o.EncryptedPassword
						}
					}
				}
			} else {
				armored = armoredMessage.FindString(r.stdout)
				// The text report indents the message.
				armored = regexp.MustCompile(`(?m)^ +`).ReplaceAllString(armored, "")
			}
			if armored == "" {
				t.Fatalf("no encrypted password in the %s report:\n%s", format, r.stdout)
			}
			if !strings.Contains(r.stdout, "gpg --decrypt") {
				t.Errorf("the report does not say how to decrypt the password:\n%s", r.stdout)
			}
			clear := key.Decrypt(t, armored)
			alice, _ := srv.Account(devAccount).User("alice")
			if alice.LoginProfile == nil || clear != alice.LoginProfile.Password {
				t.Fatalf("decrypted %q, but IAM holds another password", clear)
			}
			secret := srv.Env(iamtest.DefaultAccountID)["AWS_SECRET_ACCESS_KEY"]
			for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
				for what, s := range map[string]string{"the clear password": clear, "the AWS secret key": secret, "the PGP public key": pubBody(pub)} {
					if strings.Contains(out, s) {
						t.Errorf("%s holds %s", name, what)
					}
				}
			}
		})
	}
}

// pubBody is a line from the middle of an armored public key.
func pubBody(armored string) string {
	lines := strings.Split(strings.TrimSpace(armored), "\n")
	return lines[len(lines)/2]
}

func TestApplyRefusals(t *testing.T) {
	t.Parallel()

	t.Run("invalid repository", func(t *testing.T) {
		t.Parallel()
		dir := writeAccess(t, map[string]string{"development/environment.yaml": "account_id: 111111111111\n"})
		srv := applyFake(t)
		r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes")
		if r.code != ExitFailure || !strings.Contains(r.stderr, "is invalid") {
			t.Errorf("exit %d, stderr %q; want 1 with the findings", r.code, r.stderr)
		}
		if n := srv.TotalCalls(devAccount) + srv.TotalCalls(iamtest.DefaultAccountID); n != 0 {
			t.Errorf("%d AWS calls for an invalid repository, want none", n)
		}
	})

	t.Run("digest mismatch", func(t *testing.T) {
		t.Parallel()
		dir := applyTree(t)
		srv := applyFake(t)
		stale := "sha256:" + strings.Repeat("ab", 32)
		r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes", "--expect-digest", "development="+stale)
		if r.code != ExitFailure {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{
			"development (account 111111111111): refused\n  the reviewed plan (" + stale + ") differs from the plan of live IAM now (sha256:",
			"production (account 444444444444) [production]: not attempted\n  not attempted because development was refused",
			"Apply refused: nothing was written to development; 0 operations done.",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
		if w := srv.Writes(); len(w) != 0 {
			t.Errorf("%d writes, want none", len(w))
		}
	})

	t.Run("malformed digest", func(t *testing.T) {
		t.Parallel()
		r := runRoster(t, applyFake(t), "", false, "apply", "--dir", applyTree(t), "--yes", "--expect-digest", "development=abc")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "sha256:<64 hex digits>") {
			t.Errorf("exit %d, stderr %q; want a usage error", r.code, r.stderr)
		}
	})

	t.Run("first environment fails, the rest are not attempted", func(t *testing.T) {
		t.Parallel()
		dir := applyTree(t)
		srv := applyFake(t)
		// The development role may read and do everything but CreateUser.
		srv.Account(devAccount).AddRole("roster-apply", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport",
			"iam:CreateGroup", "iam:AttachGroupPolicy", "iam:AddUserToGroup", "iam:AttachUserPolicy", "iam:PutUserPolicy",
			"iam:CreateLoginProfile", "iam:TagUser")
		r := runRoster(t, srv, "", false, "apply", "--dir", dir, "--yes", "--format", "markdown")
		if r.code != ExitFailure {
			t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.HasPrefix(r.stdout, "<!-- roster:apply -->\n") {
			t.Errorf("Markdown report does not start with the marker:\n%s", r.stdout)
		}
		for _, want := range []string{
			"| **development** | 111111111111 | ❌ failed |",
			"| **production** 🔴 production | 444444444444 | ⏸️ not attempted |",
			"iam:CreateUser",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, r.stdout)
			}
		}
		if w := writesTo(srv, prodAccount); len(w) != 0 {
			t.Errorf("production was written after development failed: %v", w)
		}
		if !strings.Contains(r.stderr, "Plan: 3 to add") {
			t.Errorf("with --format markdown the plan goes to stderr:\n%s", r.stderr)
		}
	})
}

// TestApplyInterruptedAtPrompt: an interrupt while apply waits for "yes"
// ends it without writing anything.
func TestApplyInterruptedAtPrompt(t *testing.T) {
	t.Parallel()
	dir := applyTree(t)
	srv := applyFake(t)
	vars := srv.Env(iamtest.DefaultAccountID)
	stdin, typing := io.Pipe()
	defer typing.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &promptWatcher{prompted: make(chan struct{})}
	go func() {
		<-stderr.prompted
		cancel()
	}()
	code := Run(ctx, []string{"apply", "--dir", dir}, Env{
		Stdin: stdin, Stdout: &stdout, Stderr: stderr,
		Getenv:     func(k string) string { return vars[k] },
		Now:        func() time.Time { return applyNow },
		IsTerminal: func() bool { return true },
	})
	if code != ExitFailure || !strings.Contains(stderr.String(), "apply cancelled: nothing was changed") {
		t.Errorf("exit %d, stderr %q; want 1, cancelled", code, stderr.String())
	}
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("%d writes after an interrupt at the prompt, want none", len(w))
	}
}

// promptWatcher is stderr that signals once the confirmation prompt is
// written.
type promptWatcher struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	prompted chan struct{}
	once     sync.Once
}

func (p *promptWatcher) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, err := p.buf.Write(b)
	if strings.Contains(p.buf.String(), "Only 'yes' will be accepted: ") {
		p.once.Do(func() { close(p.prompted) })
	}
	return n, err
}

func (p *promptWatcher) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buf.String()
}

// TestConcurrencyFlags: --read-concurrency and --write-concurrency bound
// the calls in flight across every environment of the run. The fake holds
// the first calls of an action until two arrive at once: they do with the
// defaults, and never with a bound of one.
func TestConcurrencyFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		action   string // held until two arrive at once
		args     []string
		together bool
	}{
		{"plan reads two accounts at once", "GetCallerIdentity", []string{"plan"}, true},
		{"plan with --read-concurrency 1", "GetCallerIdentity", []string{"plan", "--read-concurrency", "1"}, false},
		{"drift with --read-concurrency 1", "GetCallerIdentity", []string{"drift", "--read-concurrency", "1"}, false},
		{"apply writes two users at once", "CreateUser", []string{"apply", "--yes"}, true},
		{"apply with --write-concurrency 1", "CreateUser", []string{"apply", "--yes", "--write-concurrency", "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := applyFake(t)
			srv.Gather(tt.action, 2, time.Second)
			r := runRoster(t, srv, "", false, append(tt.args, "--dir", applyTree(t))...)
			if r.code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if got := srv.Gathered(tt.action); got != tt.together {
				t.Errorf("two %s calls in flight at once: %t, want %t", tt.action, got, tt.together)
			}
		})
	}
	for _, args := range [][]string{{"plan", "--read-concurrency", "0"}, {"apply", "--write-concurrency", "-1"}, {"import", "--env", "x", "--read-concurrency", "many"}} {
		code, _, stderr := runWith(t, nil, args...)
		if code != ExitUsage || !strings.Contains(stderr, "must be a whole number of at least 1") {
			t.Errorf("roster %s: exit %d, stderr %q; want a usage error", strings.Join(args, " "), code, stderr)
		}
	}
}
