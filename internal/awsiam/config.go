package awsiam

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Retry settings of every client roster makes. Retries use the SDK's
// adaptive mode: exponential backoff with jitter, and client-side rate
// limiting once IAM throttles.
const (
	// MaxAttempts bounds the attempts of every call; AWS_MAX_ATTEMPTS
	// overrides it.
	MaxAttempts = 10
	// MaxBackoff caps the wait between two attempts.
	MaxBackoff = 20 * time.Second
)

// DefaultRegion is used for STS (and IAM's global endpoint) when neither the
// environment nor AWS_REGION names one.
const DefaultRegion = "us-east-1"

// Environment variables LoadConfig reads through getenv. The SDK reads the
// rest of its configuration (shared config files, web identity, SSO) itself.
const (
	envEndpoint    = "AWS_ENDPOINT_URL"
	envEndpointIAM = "AWS_ENDPOINT_URL_IAM"
	envEndpointSTS = "AWS_ENDPOINT_URL_STS"
)

// LoadConfig builds the base AWS configuration of the CLI and the Action:
// the SDK's default credential chain, standard retries for reads (the writer
// switches to adaptive mode, see NewWriter), and the endpoint
// overrides AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS
// (the service-specific ones win). Variables are read through getenv so
// callers and tests control them; extra options are applied last.
//
// Credentials are not resolved here: Connect does that per environment, so
// the error can name the environment.
func LoadConfig(ctx context.Context, getenv func(string) string, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	attempts := MaxAttempts
	if v := getenv("AWS_MAX_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return aws.Config{}, fmt.Errorf("AWS_MAX_ATTEMPTS=%q: want a positive number", v)
		}
		attempts = n
	}
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(DefaultRegion),
		config.WithRetryer(func() aws.Retryer { return NewReadRetryer(attempts) }),
	}
	if r := firstNonEmpty(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	if p := getenv("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
	}
	if u := getenv(envEndpoint); u != "" {
		opts = append(opts, config.WithBaseEndpoint(u))
	}
	iamURL, stsURL := getenv(envEndpointIAM), getenv(envEndpointSTS)
	if iamURL != "" || stsURL != "" {
		opts = append(opts, config.WithServiceOptions(func(service string, o any) {
			switch o := o.(type) {
			case *iam.Options:
				if iamURL != "" && service == iam.ServiceID {
					o.BaseEndpoint = aws.String(iamURL)
				}
			case *sts.Options:
				if stsURL != "" && service == sts.ServiceID {
					o.BaseEndpoint = aws.String(stsURL)
				}
			}
		}))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, extra...)...)
	if err != nil {
		// The SDK's configuration errors name files and profiles, never
		// secret values.
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewReadRetryer returns the retryer of the clients that read IAM (plans,
// drift, snapshots): the SDK's standard mode, with exponential backoff and
// jitter, at most attempts attempts, waits capped at MaxBackoff, and no
// retry quota (attempts bound the retries). Reads are idempotent and a plan
// on a pull request should stay fast: adaptive mode, once throttled, slows
// every later request of the client (a 1,000-user read went from 1.6 s to
// 25 s after 1% throttling in the benchmarks).
func NewReadRetryer(attempts int) aws.Retryer {
	return &readRetryer{retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.MaxBackoff = MaxBackoff
		so.RateLimiter = ratelimit.None
	})}
}

// readRetryer marks the retryer LoadConfig installs, so NewWriter knows to
// replace it with the adaptive one (and leaves a retryer a caller chose
// alone).
type readRetryer struct{ aws.RetryerV2 }

// NewRetryer returns the retryer of the writer: the SDK's adaptive mode, at
// most attempts attempts, waits capped at MaxBackoff. IAM limits the rate
// of writes per account; adaptive mode lowers the client's own request rate
// when IAM throttles, instead of retrying into the limit. The retry quota of
// standard mode is turned off: adaptive mode never refills it (aws-sdk-go-v2
// issue 3550), which would end retries for the rest of the run after a burst
// of throttling; attempts and the adaptive rate limit bound the retries.
func NewRetryer(attempts int) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.MaxBackoff = MaxBackoff
			so.RateLimiter = ratelimit.None
		})
	})
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
