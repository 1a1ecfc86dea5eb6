package github

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/githubtest"
)

const (
	testRepo  = "acme/access"
	testToken = "ghs_test_token"
)

// t0 is the clock the adapter measures rate limit resets against in tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sleeps records the waits a client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return nil
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// setup starts a fake GitHub with one repository and a client for it; edit
// adjusts the client's options.
func setup(t *testing.T, edit func(*Options)) (*githubtest.Server, *Client, *sleeps) {
	t.Helper()
	srv := githubtest.NewServer(t)
	srv.AddRepo(testRepo)
	sl := &sleeps{}
	opts := Options{
		Token:      testToken,
		APIURL:     srv.APIURL(),
		HTTPClient: srv.Client(),
		Sleep:      sl.sleep,
		Now:        func() time.Time { return t0 },
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return srv, c, sl
}
