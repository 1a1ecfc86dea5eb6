package awsiam

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
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

// LoadConfig builds the base AWS configuration of the CLI and the Action
// with the default Concurrency; see LoadConfigWith.
func LoadConfig(ctx context.Context, getenv func(string) string, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	return LoadConfigWith(ctx, getenv, Concurrency{}, extra...)
}

// LoadConfigWith builds the base AWS configuration of the CLI and the Action:
// the SDK's default credential chain, standard retries for reads (the writer
// paces its writes, see NewWriter and retry.go), calls in flight bounded by
// conc across every account made from it, one HTTP client sized for those
// bounds and shared by every account, and the endpoint
// overrides AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS
// (the service-specific ones win). Variables are read through getenv so
// callers and tests control them; extra options are applied last.
//
// Credentials are not resolved here: Connect does that per environment, so
// the error can name the environment.
func LoadConfigWith(ctx context.Context, getenv func(string) string, conc Concurrency, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
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
	b := newBounds(conc)
	opts := []func(*config.LoadOptions) error{
		// The SDK logs nothing of its own (such as "WARN falling back to
		// IMDSv1"): roster reports failures itself, summarised.
		config.WithLogger(logging.Nop{}),
		config.WithClientLogMode(0),
		config.WithDefaultRegion(DefaultRegion),
		config.WithRetryer(func() aws.Retryer { return newReadRetryer(attempts, b) }),
		config.WithHTTPClient(newHTTPClient(conc)),
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
