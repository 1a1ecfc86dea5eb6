package awsiam

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

func TestPurposeRole(t *testing.T) {
	t.Parallel()
	both := &manifest.Environment{RoleARN: "arn:aws:iam::111122223333:role/apply", PlanRoleARN: "arn:aws:iam::111122223333:role/plan"}
	applyOnly := &manifest.Environment{RoleARN: "arn:aws:iam::111122223333:role/apply"}
	tests := []struct {
		env     *manifest.Environment
		purpose Purpose
		want    string
	}{
		{both, ForPlan, "arn:aws:iam::111122223333:role/plan"},
		{both, ForApply, "arn:aws:iam::111122223333:role/apply"},
		{both, ForDrift, "arn:aws:iam::111122223333:role/plan"},
		{applyOnly, ForPlan, "arn:aws:iam::111122223333:role/apply"},
		{&manifest.Environment{}, ForPlan, ""},
		{&manifest.Environment{}, ForApply, ""},
	}
	for _, tt := range tests {
		if got := tt.purpose.Role(tt.env); got != tt.want {
			t.Errorf("%v.Role(%+v) = %q, want %q", tt.purpose, tt.env, got, tt.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	t.Parallel()
	if got, want := SessionName(ForPlan, "production"), "roster-plan-production"; got != want {
		t.Errorf("SessionName = %q, want %q", got, want)
	}
	if got := SessionName(ForApply, strings.Repeat("x", 100)); len(got) != 64 {
		t.Errorf("SessionName of a long environment is %d characters, want 64 (the STS limit)", len(got))
	}
}

// TestConnectAssumesRole: the session acts as the assumed role, with the
// session name CloudTrail will show.
func TestConnectAssumesRole(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	s.Account(id).AddRole("roster-plan")
	s.Account(id).AddRole("roster-apply")
	env := &manifest.Environment{
		Name: "staging", AccountID: id,
		RoleARN:     "arn:aws:iam::111122223333:role/roster-apply",
		PlanRoleARN: "arn:aws:iam::111122223333:role/roster-plan",
	}
	for _, tt := range []struct {
		purpose Purpose
		want    string
	}{
		{ForPlan, "arn:aws:sts::111122223333:assumed-role/roster-plan/roster-plan-staging"},
		{ForApply, "arn:aws:sts::111122223333:assumed-role/roster-apply/roster-apply-staging"},
		{ForDrift, "arn:aws:sts::111122223333:assumed-role/roster-plan/roster-drift-staging"},
	} {
		a, err := Connect(context.Background(), s.AWSConfig(id), env, tt.purpose)
		if err != nil {
			t.Fatalf("Connect(%v): %v", tt.purpose, err)
		}
		if a.CallerARN != tt.want || a.ID != id || a.Env != "staging" {
			t.Errorf("Connect(%v) = caller %s account %s env %s, want caller %s", tt.purpose, a.CallerARN, a.ID, a.Env, tt.want)
		}
	}
}

// TestAssumedRoleIsolation: two environments in two accounts, reached from
// the same base credentials, each see only their own account.
func TestAssumedRoleIsolation(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	ids := []string{"111111111111", "222222222222"}
	var wants []*state.Account
	for i, id := range ids {
		sd := seedAccount(t, s, id, rand.New(rand.NewPCG(uint64(i+20), 1)), 15)
		s.Account(id).AddRole("roster-plan")
		wants = append(wants, sd.want)
	}
	base := s.AWSConfig("999999999999")
	for i, id := range ids {
		env := envFor(id, "arn:aws:iam::"+id+":role/roster-plan")
		a, err := Connect(context.Background(), base, env, ForPlan)
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewReader(a, Options{}).Read(context.Background(), testNeeds)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wants[i], got); diff != "" {
			t.Errorf("account %s (-want +got):\n%s", id, diff)
		}
	}
	if n := s.TotalCalls("999999999999"); n > 2 {
		t.Errorf("the base account got %d calls; only sts:AssumeRole should act there: %v", n, s.Calls()["999999999999"])
	}
}

func TestConnectAccountMismatch(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	s.Account("999988887777").AddRole("roster-apply")
	env := &manifest.Environment{Name: "production", AccountID: "444455556666", RoleARN: "arn:aws:iam::999988887777:role/roster-apply"}
	_, err := Connect(context.Background(), s.AWSConfig("999988887777"), env, ForApply)
	want := "environment production: role arn:aws:iam::999988887777:role/roster-apply resolved to account 999988887777, but environment.yaml says 444455556666; fix account_id or role_arn"
	if err == nil || err.Error() != want {
		t.Fatalf("Connect error:\n got %v\nwant %s", err, want)
	}
	var am *AccountMismatchError
	if !errors.As(err, &am) || am.Got != "999988887777" || am.Want != "444455556666" {
		t.Errorf("error is not an AccountMismatchError with both accounts: %#v", err)
	}

	// Without a role, the base credentials are checked the same way.
	_, err = Connect(context.Background(), s.AWSConfig("999988887777"), &manifest.Environment{Name: "dev", AccountID: "111122223333"}, ForPlan)
	if !errors.As(err, &am) || !strings.Contains(err.Error(), "the base credentials resolved to account 999988887777") {
		t.Errorf("Connect without role: %v", err)
	}
}

// TestConnectAssumeRoleDenied: a role that does not exist (or whose trust
// policy refuses the caller) is reported as a trust problem.
func TestConnectAssumeRoleDenied(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	env := &manifest.Environment{Name: "production", AccountID: id, RoleARN: "arn:aws:iam::111122223333:role/missing"}
	_, err := Connect(context.Background(), s.AWSConfig(id), env, ForApply)
	var ad *AccessDeniedError
	if !errors.As(err, &ad) {
		t.Fatalf("Connect error = %v, want an AccessDeniedError", err)
	}
	if !ad.AssumeRole || ad.Action != "sts:AssumeRole" || ad.Env != "production" || ad.Role != env.RoleARN {
		t.Errorf("AccessDeniedError = %+v", ad)
	}
	for _, want := range []string{"environment production", "cannot assume role arn:aws:iam::111122223333:role/missing", "trust policy"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestConnectNoCredentials(t *testing.T) {
	t.Parallel()
	failing := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})
	for name, cfg := range map[string]aws.Config{
		"no provider":      {Region: "us-east-1"},
		"failing provider": {Region: "us-east-1", Credentials: aws.NewCredentialsCache(failing)},
	} {
		_, err := Connect(context.Background(), cfg, &manifest.Environment{Name: "testing", AccountID: "111122223333"}, ForPlan)
		if !errors.Is(err, ErrNoCredentials) {
			t.Errorf("%s: Connect error = %v, want ErrNoCredentials", name, err)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "environment testing: no AWS credentials: set AWS_PROFILE / run aws sso login / configure OIDC in the workflow") {
			t.Errorf("%s: error = %q", name, msg)
		}
	}
}

// closedEndpoint returns a URL nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// getenvFrom returns a getenv for a fixed map.
func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// fakeEnv is what a workflow would set to reach the fake: static keys of the
// account, and the endpoint.
func fakeEnv(s *iamtest.Server, id string, extra map[string]string) map[string]string {
	env := s.Env(id)
	env["AWS_MAX_ATTEMPTS"] = "2" // unreachable endpoints fail fast
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// noSharedFiles keeps tests away from the machine's ~/.aws files.
var noSharedFiles = []func(*config.LoadOptions) error{
	config.WithSharedConfigFiles([]string{}),
	config.WithSharedCredentialsFiles([]string{}),
}

// TestLoadConfigEndpoints: AWS_ENDPOINT_URL points both services at one
// endpoint; AWS_ENDPOINT_URL_IAM and _STS win over it for their service.
func TestLoadConfigEndpoints(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	const id = "111122223333"
	s.Account(id).PutUser(iamtest.User{Name: "alice"})
	fake := s.Env(id)["AWS_ENDPOINT_URL"]
	if fake == "" {
		t.Fatalf("iamtest Env has no AWS_ENDPOINT_URL: %v", s.Env(id))
	}
	closed := closedEndpoint(t)
	tests := []struct {
		name      string
		env       map[string]string
		connectOK bool
		readOK    bool
	}{
		{"one endpoint for all", map[string]string{"AWS_ENDPOINT_URL": fake}, true, true},
		{"service endpoints win", map[string]string{"AWS_ENDPOINT_URL": closed, "AWS_ENDPOINT_URL_IAM": fake, "AWS_ENDPOINT_URL_STS": fake}, true, true},
		{"IAM elsewhere", map[string]string{"AWS_ENDPOINT_URL": fake, "AWS_ENDPOINT_URL_IAM": closed}, true, false},
		{"STS elsewhere", map[string]string{"AWS_ENDPOINT_URL": fake, "AWS_ENDPOINT_URL_STS": closed}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := LoadConfig(context.Background(), getenvFrom(fakeEnv(s, id, tt.env)), noSharedFiles...)
			if err != nil {
				t.Fatal(err)
			}
			env := &manifest.Environment{Name: "development", AccountID: id}
			a, err := Connect(context.Background(), cfg, env, ForPlan)
			if (err == nil) != tt.connectOK {
				t.Fatalf("Connect error = %v, want success %v", err, tt.connectOK)
			}
			if err != nil {
				checkEndpointError(t, err, closed)
				return
			}
			live, err := NewReader(a, Options{}).Read(context.Background(), nil)
			if (err == nil) != tt.readOK {
				t.Fatalf("Read error = %v, want success %v", err, tt.readOK)
			}
			if err != nil {
				checkEndpointError(t, err, closed)
				return
			}
			if live.Users["alice"] == nil {
				t.Errorf("alice not read: %v", live.Users)
			}
		})
	}
}

func checkEndpointError(t *testing.T, err error, endpoint string) {
	t.Helper()
	var ep *EndpointError
	if !errors.As(err, &ep) || ep.Endpoint != endpoint || ep.Env != "development" {
		t.Fatalf("error = %#v, want an EndpointError for %s in development", err, endpoint)
	}
	want := "environment development: cannot reach AWS endpoint " + endpoint + " (connection refused)"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error:\n got %s\nwant prefix %s", err, want)
	}
}

// TestUnreachableEndpointKeepsSecrets: the unreachable-endpoint error names
// the endpoint and never the secret key.
func TestUnreachableEndpointKeepsSecrets(t *testing.T) {
	t.Parallel()
	closed := closedEndpoint(t)
	getenv := getenvFrom(map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIAEXAMPLEEXAMPLE12",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":     "session-token-secret",
		"AWS_ENDPOINT_URL":      closed,
		"AWS_MAX_ATTEMPTS":      "2",
	})
	cfg, err := LoadConfig(context.Background(), getenv, noSharedFiles...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Connect(context.Background(), cfg, &manifest.Environment{Name: "development", AccountID: "111122223333"}, ForPlan)
	checkEndpointError(t, err, closed)
	for _, secret := range []string{"wJalrXUtnFEMI", "session-token-secret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}

// TestLoadConfigRetries: the base configuration retries in the SDK's
// adaptive mode with a bounded number of attempts.
func TestLoadConfigRetries(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig(context.Background(), getenvFrom(map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "eu-west-1",
	}), config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("Region = %q, want eu-west-1 from AWS_REGION", cfg.Region)
	}
	r := iam.NewFromConfig(cfg).Options().Retryer
	if got := r.MaxAttempts(); got != MaxAttempts {
		t.Errorf("MaxAttempts = %d, want %d", got, MaxAttempts)
	}
	if _, ok := r.(*readRetryer); !ok {
		t.Errorf("read retryer %T, want the standard one LoadConfig installs", r)
	}
	// The writer of a session built on that configuration paces its
	// writes, with the same bound on attempts.
	w := NewWriter(&Account{Env: "development", cfg: cfg, iam: iam.NewFromConfig(cfg)}, WriterOptions{})
	wr := w.iam.Options().Retryer
	if _, ok := wr.(*writeRetryer); !ok {
		t.Errorf("writer retryer %T, want the paced write retryer", wr)
	}
	if got := wr.MaxAttempts(); got != MaxAttempts {
		t.Errorf("writer MaxAttempts = %d, want %d", got, MaxAttempts)
	}

	cfg, err = LoadConfig(context.Background(), getenvFrom(map[string]string{"AWS_MAX_ATTEMPTS": "3"}), noSharedFiles...)
	if err != nil {
		t.Fatal(err)
	}
	if got := iam.NewFromConfig(cfg).Options().Retryer.MaxAttempts(); got != 3 {
		t.Errorf("with AWS_MAX_ATTEMPTS=3, MaxAttempts = %d", got)
	}
	if _, err := LoadConfig(context.Background(), getenvFrom(map[string]string{"AWS_MAX_ATTEMPTS": "many"}), noSharedFiles...); err == nil {
		t.Error("AWS_MAX_ATTEMPTS=many accepted")
	}
}

// readOnlyAction reports whether an IAM or STS action only reads. Plans must
// never call anything else. Generate* counts as a write: although
// iam:GenerateCredentialReport changes nothing but a report, it starts a job
// in the account, and the plan has no use for it (drift's hygiene report
// does).
func readOnlyAction(action string) bool {
	for _, p := range []string{"Create", "Put", "Attach", "Detach", "Delete", "Tag", "Untag", "Update", "Add", "Remove",
		"Upload", "Enable", "Deactivate", "Generate", "Set", "Change", "Reset", "Resync"} {
		if strings.HasPrefix(action, p) {
			return false
		}
	}
	return strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") || action == "AssumeRole"
}

// TestPlanPathReadsOnly: connecting for a plan and reading with plan.Needs
// calls only read actions, through the fast and the fallback reader.
func TestPlanPathReadsOnly(t *testing.T) {
	t.Parallel()
	// The second role lacks iam:GetAccountAuthorizationDetails, which
	// drives the fallback reader.
	for _, allow := range [][]string{nil, PerUserReadPermissions} {
		s := iamtest.NewServer(t)
		const id = "111122223333"
		sd := seedAccount(t, s, id, rand.New(rand.NewPCG(8, 8)), 40)
		s.Account(id).AddRole("roster-plan", allow...)
		s.Account(id).AddRole("roster-apply")
		env := &manifest.Environment{
			Name: "production", AccountID: id,
			RoleARN:     "arn:aws:iam::111122223333:role/roster-apply",
			PlanRoleARN: "arn:aws:iam::111122223333:role/roster-plan",
			Guardrails:  manifest.Guardrails{MaxDeletions: 5},
		}
		// Half the users are named in the manifests, so plan.Needs asks for
		// console access and credentials.
		for name, u := range sd.want.Users {
			if hashName(name)%2 == 0 {
				env.Users = append(env.Users, &manifest.User{Kind: manifest.Person, Name: u.Name, Path: u.Path})
			}
		}
		a, err := Connect(context.Background(), s.AWSConfig(id), env, ForPlan)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(a, Options{})
		if _, err := r.Read(context.Background(), plan.Needs(manifest.Config{OwnershipTag: managedTag}, env, baseTime)); err != nil {
			t.Fatal(err)
		}
		if r.FellBack() != (allow != nil) {
			t.Errorf("FellBack() = %v", r.FellBack())
		}
		var actions []string
		for action := range s.Calls()[id] {
			actions = append(actions, action)
			if !readOnlyAction(action) {
				t.Errorf("plan called %s", action)
			}
		}
		slices.Sort(actions)
		if !slices.Contains(actions, "GetLoginProfile") {
			t.Errorf("plan read no login profiles; calls: %v", actions)
		}
		if w := s.Writes(); len(w) != 0 {
			t.Errorf("the fake recorded writes: %v", w)
		}
	}
}
