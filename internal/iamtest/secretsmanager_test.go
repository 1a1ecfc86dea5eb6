package iamtest_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
)

// Version tokens as the SDK sends them: 32 to 64 characters.
const (
	tokenV1 = "00000000-0000-4000-8000-000000000001"
	tokenV2 = "00000000-0000-4000-8000-000000000002"
	tokenV3 = "00000000-0000-4000-8000-000000000003"
)

func smClient(s *iamtest.Server, account string, opts ...func(*secretsmanager.Options)) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.AWSConfig(account), opts...)
}

func smNoRetry(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 }

func smRetries(n int) func(*secretsmanager.Options) {
	return func(o *secretsmanager.Options) {
		o.RetryMaxAttempts = n
		o.Retryer = retryNoDelay(o.Retryer)
	}
}

func smTags(tags map[string]string) []smtypes.Tag {
	var out []smtypes.Tag
	for k, v := range tags {
		out = append(out, smtypes.Tag{Key: str(k), Value: str(v)})
	}
	return out
}

func describeStages(t *testing.T, c *secretsmanager.Client, id string) map[string][]string {
	t.Helper()
	return must(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str(id)}))(t).VersionIdsToStages
}

func TestSecretVersionsMoveStagingLabelsAsAWSDoes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithClock(func() time.Time { return now }))
	c := smClient(s, acctA, smNoRetry)

	created := must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: str("roster/ci"), SecretString: str("one"), ClientRequestToken: str(tokenV1),
		Tags: smTags(map[string]string{"roster:managed": "true"}),
	}))(t)
	arn := regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:111122223333:secret:roster/ci-[a-zA-Z0-9]{6}$`)
	if !arn.MatchString(aws.ToString(created.ARN)) || aws.ToString(created.VersionId) != tokenV1 {
		t.Fatalf("CreateSecret = %s %s, want the real ARN format and version %s", aws.ToString(created.ARN), aws.ToString(created.VersionId), tokenV1)
	}
	if diff := cmp.Diff(map[string][]string{tokenV1: {"AWSCURRENT"}}, describeStages(t, c, "roster/ci")); diff != "" {
		t.Errorf("after create (-want +got):\n%s", diff)
	}

	put := must(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/ci"), SecretString: str("two"), ClientRequestToken: str(tokenV2)}))(t)
	if diff := cmp.Diff([]string{"AWSCURRENT"}, put.VersionStages); diff != "" {
		t.Errorf("PutSecretValue stages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{tokenV1: {"AWSPREVIOUS"}, tokenV2: {"AWSCURRENT"}}, describeStages(t, c, "roster/ci")); diff != "" {
		t.Errorf("after second version (-want +got):\n%s", diff)
	}

	// A third version: the first loses every label and drops out of
	// VersionIdsToStages (deprecated), found by ARN this time.
	must(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: created.ARN, SecretString: str("three"), ClientRequestToken: str(tokenV3)}))(t)
	if diff := cmp.Diff(map[string][]string{tokenV2: {"AWSPREVIOUS"}, tokenV3: {"AWSCURRENT"}}, describeStages(t, c, aws.ToString(created.ARN))); diff != "" {
		t.Errorf("after third version (-want +got):\n%s", diff)
	}

	d := must(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("arn:aws:secretsmanager:us-east-1:111122223333:secret:roster/ci")}))(t)
	got := struct {
		Name            string
		Tags            []smtypes.Tag
		Created, Change time.Time
	}{aws.ToString(d.Name), d.Tags, aws.ToTime(d.CreatedDate), aws.ToTime(d.LastChangedDate)}
	want := struct {
		Name            string
		Tags            []smtypes.Tag
		Created, Change time.Time
	}{"roster/ci", smTags(map[string]string{"roster:managed": "true"}), now, now}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(smtypes.Tag{})); diff != "" {
		t.Errorf("DescribeSecret by partial ARN (-want +got):\n%s", diff)
	}

	cur := must(c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: str("roster/ci")}))(t)
	prev := must(c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: str("roster/ci"), VersionStage: str("AWSPREVIOUS")}))(t)
	if diff := cmp.Diff([]string{"three " + tokenV3, "two " + tokenV2}, []string{
		aws.ToString(cur.SecretString) + " " + aws.ToString(cur.VersionId),
		aws.ToString(prev.SecretString) + " " + aws.ToString(prev.VersionId),
	}); diff != "" {
		t.Errorf("GetSecretValue AWSCURRENT, AWSPREVIOUS (-want +got):\n%s", diff)
	}
}

func TestSecretRequestsWithTheSameTokenAreIdempotent(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	c := smClient(s, acctA, smNoRetry)
	create := &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("v"), ClientRequestToken: str(tokenV1)}
	must(c.CreateSecret(ctx, create))(t)
	again := must(c.CreateSecret(ctx, create))(t)
	if aws.ToString(again.VersionId) != tokenV1 {
		t.Errorf("retried CreateSecret VersionId = %s, want %s", aws.ToString(again.VersionId), tokenV1)
	}
	put := &secretsmanager.PutSecretValueInput{SecretId: str("roster/x"), SecretString: str("w"), ClientRequestToken: str(tokenV2)}
	must(c.PutSecretValue(ctx, put))(t)
	must(c.PutSecretValue(ctx, put))(t)
	sec, _ := s.Secret(acctA, "us-east-1", "roster/x")
	if len(sec.Versions) != 2 {
		t.Errorf("%d versions after retried requests, want 2", len(sec.Versions))
	}
}

func TestSecretsManagerErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		call       func(c *secretsmanager.Client) error
		wantCode   string
		wantStatus int
		wantMsg    string
	}{
		{
			name: "describe a missing secret",
			call: func(c *secretsmanager.Client) error {
				_, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("roster/none")})
				return err
			},
			wantCode: "ResourceNotFoundException", wantStatus: 400, wantMsg: "Secrets Manager can't find the specified secret.",
		},
		{
			name: "create an existing secret",
			call: func(c *secretsmanager.Client) error {
				_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/seeded"), SecretString: str("x")})
				return err
			},
			wantCode: "ResourceExistsException", wantStatus: 400, wantMsg: "The operation failed because the secret roster/seeded already exists.",
		},
		{
			name: "change an existing version",
			call: func(c *secretsmanager.Client) error {
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/seeded"), SecretString: str("other"), ClientRequestToken: str(tokenV1)})
				return err
			},
			wantCode: "ResourceExistsException", wantStatus: 400, wantMsg: "You can't modify an existing version, you can only create a new version.",
		},
		{
			name: "put to a missing secret",
			call: func(c *secretsmanager.Client) error {
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/none"), SecretString: str("x")})
				return err
			},
			wantCode: "ResourceNotFoundException", wantStatus: 400, wantMsg: "Secrets Manager can't find the specified secret.",
		},
		{
			name: "read a secret without a value",
			call: func(c *secretsmanager.Client) error {
				_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: str("roster/empty")})
				return err
			},
			wantCode: "ResourceNotFoundException", wantStatus: 400, wantMsg: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
		},
		{
			name: "invalid name",
			call: func(c *secretsmanager.Client) error {
				_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/a b")})
				return err
			},
			wantCode: "InvalidParameterException", wantStatus: 400,
			wantMsg: "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
		},
		{
			name: "name longer than 512 characters",
			call: func(c *secretsmanager.Client) error {
				_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/" + strings.Repeat("n", 506))})
				return err
			},
			wantCode: "InvalidParameterException", wantStatus: 400,
			wantMsg: "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
		},
		{
			name: "short request token",
			call: func(c *secretsmanager.Client) error {
				_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/seeded"), SecretString: str("x"), ClientRequestToken: str("short")})
				return err
			},
			wantCode: "ValidationException", wantStatus: 400,
			wantMsg: "1 validation error detected: Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
			s.PutSecret(acctA, "us-east-1", iamtest.Secret{Name: "roster/seeded", Versions: []iamtest.SecretVersion{{ID: tokenV1, String: "x", Stages: []string{"AWSCURRENT"}}}})
			s.PutSecret(acctA, "us-east-1", iamtest.Secret{Name: "roster/empty"})
			err := tt.call(smClient(s, acctA, smNoRetry))
			code, status := errCode(err)
			var ae interface{ ErrorMessage() string }
			msg := ""
			if errors.As(err, &ae) {
				msg = ae.ErrorMessage()
			}
			if diff := cmp.Diff([]any{tt.wantCode, tt.wantStatus, tt.wantMsg}, []any{code, status, msg}); diff != "" {
				t.Errorf("code, status, message (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretErrorsAreTheSDKsModeledTypes(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	c := smClient(s, acctA, smNoRetry)
	_, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("roster/none")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeSecret of a missing secret = %v, want *types.ResourceNotFoundException", err)
	}
	must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x")}))(t)
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x")})
	var ex *smtypes.ResourceExistsException
	if !errors.As(err, &ex) {
		t.Errorf("second CreateSecret = %v, want *types.ResourceExistsException", err)
	}
}

func TestSecretsAreKeptPerAccountAndRegion(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctB).AddRole("roster-apply")
	cfg := s.AWSConfig(acctA)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::444455556666:role/roster-apply"))
	inB := secretsmanager.NewFromConfig(cfg, smNoRetry)
	inA := smClient(s, acctA, smNoRetry)
	inAWest := smClient(s, acctA, smNoRetry, func(o *secretsmanager.Options) { o.Region = "eu-west-1" })

	b := must(inB.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/ci"), SecretString: str("b")}))(t)
	if !strings.HasPrefix(aws.ToString(b.ARN), "arn:aws:secretsmanager:us-east-1:444455556666:secret:roster/ci-") {
		t.Errorf("secret created through the assumed role has ARN %s, want one in account 444455556666", aws.ToString(b.ARN))
	}
	w := must(inAWest.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/ci"), SecretString: str("west")}))(t)
	if !strings.HasPrefix(aws.ToString(w.ARN), "arn:aws:secretsmanager:eu-west-1:111122223333:secret:roster/ci-") {
		t.Errorf("secret created in eu-west-1 has ARN %s", aws.ToString(w.ARN))
	}
	_, err := inA.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("roster/ci")})
	if code, _ := errCode(err); code != "ResourceNotFoundException" {
		t.Errorf("account A us-east-1 sees a secret of another account or region: %v", err)
	}
	if _, ok := s.Secret(acctB, "us-east-1", "roster/ci"); !ok {
		t.Error("Server.Secret does not find the secret in account B")
	}
}

func TestRoleAllowListCoversSecretsManager(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	s.Account(acctA).AddRole("roster-apply", "iam:*", "secretsmanager:DescribeSecret")
	cfg := s.AWSConfig(acctA)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::111122223333:role/roster-apply", func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "roster"
	}))
	c := secretsmanager.NewFromConfig(cfg, smNoRetry)
	_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/ci"), SecretString: str("x")})
	code, status := errCode(err)
	var ae interface{ ErrorMessage() string }
	errors.As(err, &ae)
	want := []any{"AccessDeniedException", 400, "User: arn:aws:sts::111122223333:assumed-role/roster-apply/roster is not authorized to perform: secretsmanager:CreateSecret on resource: roster/ci because no identity-based policy allows the secretsmanager:CreateSecret action"}
	if diff := cmp.Diff(want, []any{code, status, ae.ErrorMessage()}); diff != "" {
		t.Errorf("CreateSecret outside the allow-list (-want +got):\n%s", diff)
	}
	_, err = c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("roster/ci")})
	if code, _ := errCode(err); code != "ResourceNotFoundException" {
		t.Errorf("DescribeSecret inside the allow-list = %v, want ResourceNotFoundException", err)
	}
	if _, ok := s.Secret(acctA, "us-east-1", "roster/ci"); ok {
		t.Error("a denied CreateSecret created the secret")
	}
}

func TestSecretsManagerFaults(t *testing.T) {
	t.Parallel()
	t.Run("throttling is retried and never applied", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{Throttle: 0.5, Seed: 3}))
		c := smClient(s, acctA, smRetries(20))
		must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("0")}))(t)
		const n = 10
		for range n {
			must(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/x"), SecretString: str("v")}))(t)
		}
		sec, _ := s.Secret(acctA, "us-east-1", "roster/x")
		if len(sec.Versions) != n+1 {
			t.Errorf("%d versions, want %d: a throttled put must not apply", len(sec.Versions), n+1)
		}
		throttled := 0
		for _, w := range s.Writes() {
			if w.Error == "ThrottlingException" {
				throttled++
			}
		}
		if calls := s.CallCount(acctA, "PutSecretValue") + s.CallCount(acctA, "CreateSecret"); throttled == 0 || throttled != calls-(n+1) {
			t.Errorf("%d throttled writes recorded of %d calls, want calls-%d > 0", throttled, calls, n+1)
		}
	})
	t.Run("server errors are InternalServiceError 500", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA), iamtest.WithFaults(iamtest.Faults{ServerError: 1, Actions: []string{"DescribeSecret"}}))
		_, err := smClient(s, acctA, smNoRetry).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: str("roster/x")})
		var ise *smtypes.InternalServiceError
		if code, status := errCode(err); code != "InternalServiceError" || status != 500 || !errors.As(err, &ise) {
			t.Errorf("DescribeSecret = %s %d (%v), want InternalServiceError 500", code, status, err)
		}
	})
	t.Run("a lost response after commit is retried with the same token", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
		c := smClient(s, acctA, smRetries(3))
		must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("0"), ClientRequestToken: str(tokenV1)}))(t)
		s.SetFaults(iamtest.Faults{Drop: 1, DropAfterCommit: true, Actions: []string{"PutSecretValue"}})
		_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/x"), SecretString: str("1"), ClientRequestToken: str(tokenV2)})
		if err == nil {
			t.Fatal("PutSecretValue succeeded although every response was dropped")
		}
		s.SetFaults(iamtest.Faults{})
		must(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: str("roster/x"), SecretString: str("1"), ClientRequestToken: str(tokenV2)}))(t)
		if diff := cmp.Diff(map[string][]string{tokenV1: {"AWSPREVIOUS"}, tokenV2: {"AWSCURRENT"}}, describeStages(t, c, "roster/x")); diff != "" {
			t.Errorf("versions after dropped commits and a retry (-want +got):\n%s", diff)
		}
	})
	t.Run("DroppedAfterCommit applies the write and loses its answer", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
		s.FailNext("CreateSecret", "DroppedAfterCommit", 1)
		_, err := smClient(s, acctA, smNoRetry).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("v"), ClientRequestToken: str(tokenV1)})
		if err == nil {
			t.Fatal("CreateSecret succeeded although its answer was dropped")
		}
		if _, ok := s.Secret(acctA, "us-east-1", "roster/x"); !ok {
			t.Error("the write was not applied before the connection dropped")
		}
		if diff := cmp.Diff("Dropped", s.Writes()[0].Error); diff != "" {
			t.Errorf("recorded write (-want +got):\n%s", diff)
		}
	})
	t.Run("FailNext scripts one error", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
		s.FailNext("CreateSecret", "LimitExceededException", 1)
		c := smClient(s, acctA, smNoRetry)
		_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("v")})
		var le *smtypes.LimitExceededException
		if !errors.As(err, &le) {
			t.Fatalf("CreateSecret = %v, want the scripted LimitExceededException", err)
		}
		must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("v")}))(t)
		var got []string
		for _, w := range s.Writes() {
			got = append(got, w.Action+" "+w.Params["Name"]+" "+w.Error)
		}
		if diff := cmp.Diff([]string{"CreateSecret roster/x LimitExceededException", "CreateSecret roster/x "}, got); diff != "" {
			t.Errorf("Writes (-want +got):\n%s", diff)
		}
	})
}

func TestSecretWritesAreRecordedWithoutTheirValue(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithDefaultAccount(acctA))
	c := smClient(s, acctA, smNoRetry)
	must(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: str("roster/x"), SecretString: str("hunter2"), Tags: smTags(map[string]string{"k": "v"})}))(t)
	must(c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: str("roster/x"), Tags: smTags(map[string]string{"k": "w", "k2": "v2"})}))(t)
	for _, w := range s.Writes() {
		for k, v := range w.Params {
			if strings.Contains(v, "hunter2") {
				t.Errorf("write %s records the secret's value in %s", w.Action, k)
			}
		}
	}
	sec, _ := s.Secret(acctA, "us-east-1", "roster/x")
	if diff := cmp.Diff([]iamtest.Tag{{Key: "k", Value: "w"}, {Key: "k2", Value: "v2"}}, sec.Tags); diff != "" {
		t.Errorf("tags after TagResource (-want +got):\n%s", diff)
	}
}
