package awsiam

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/roster-dev/roster/internal/iamtest"
)

// inFlight is an HTTP client that counts the requests in flight through it
// and remembers the most seen at once.
type inFlight struct {
	base aws.HTTPClient
	mu   sync.Mutex
	now  int
	most int
}

func (c *inFlight) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.now++
	c.most = max(c.most, c.now)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.now--
		c.mu.Unlock()
	}()
	return c.base.Do(req)
}

// TestConcurrencyBoundsCalls: however many goroutines call AWS through
// clients of one configuration, at most Concurrency.Reads calls are in
// flight at once, and the shared transport keeps as many idle connections
// per host.
func TestConcurrencyBoundsCalls(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t, iamtest.WithLatency(20*time.Millisecond))
	const bound = 3
	cfg, err := LoadConfigWith(context.Background(), getenvFrom(s.Env(iamtest.DefaultAccountID)),
		Concurrency{Reads: bound}, noSharedFiles...)
	if err != nil {
		t.Fatal(err)
	}
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("HTTP client %T, want the SDK's buildable client", cfg.HTTPClient)
	}
	if got := bc.GetTransport().MaxIdleConnsPerHost; got < DefaultWriteConcurrency {
		t.Errorf("MaxIdleConnsPerHost = %d, want at least the largest bound (%d)", got, DefaultWriteConcurrency)
	}
	counter := &inFlight{base: cfg.HTTPClient}
	cfg.HTTPClient = counter

	// Several clients, as several accounts would have, share the bound.
	var wg sync.WaitGroup
	for range 4 {
		c := iam.NewFromConfig(cfg)
		for range 4 {
			wg.Go(func() {
				if _, err := c.ListUsers(context.Background(), &iam.ListUsersInput{}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if counter.most > bound {
		t.Errorf("%d calls in flight at once, want at most %d", counter.most, bound)
	}
}
