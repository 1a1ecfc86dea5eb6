package iamtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/roster-dev/roster/internal/iamtest"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

// clients returns IAM and STS clients acting on the account as its ambient
// identity, with retries limited to one attempt unless opts say otherwise.
func clients(t *testing.T, s *iamtest.Server, account string) (*iam.Client, *sts.Client) {
	t.Helper()
	cfg := s.AWSConfig(account)
	return iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

// noRetry makes a client fail on the first error, so tests see the server's
// answer rather than the retryer's.
func noRetry(o *iam.Options) { o.RetryMaxAttempts = 1 }

// errCode returns the API error code and HTTP status an SDK error carries.
func errCode(err error) (string, int) {
	if err == nil {
		return "", 0
	}
	code := "?"
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return code, status
}

// must returns v, failing the test given to the returned function when err
// is not nil: must(c.GetUser(ctx, in))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

var ctx = context.Background()

var str = aws.String

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

func retryNoDelay(r aws.Retryer) aws.Retryer {
	return retry.AddWithMaxBackoffDelay(retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = r.MaxAttempts()
		so.RateLimiter = ratelimit.None
		so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	}), 0)
}
