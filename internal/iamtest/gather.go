package iamtest

import (
	"context"
	"sync"
	"time"
)

// gather holds requests of one action until n of them have arrived, so that
// a test can prove a client sends n requests at once.
type gather struct {
	n       int
	timeout time.Duration

	mu      sync.Mutex
	arrived int
	full    chan struct{}
}

// Gather makes the next requests of action wait until n of them are being
// answered at once (or timeout passes, or the request is cancelled), then
// lets them all go on. Gathered reports whether the n arrived.
func (s *Server) Gather(action string, n int, timeout time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gathers == nil {
		s.gathers = map[string]*gather{}
	}
	s.gathers[action] = &gather{n: n, timeout: timeout, full: make(chan struct{})}
}

// Gathered reports whether the n requests Gather waited for were held at
// once.
func (s *Server) Gathered(action string) bool {
	s.mu.Lock()
	g := s.gathers[action]
	s.mu.Unlock()
	if g == nil {
		return false
	}
	select {
	case <-g.full:
		return true
	default:
		return false
	}
}

// wait holds a request until the gather is full; a nil gather holds nothing.
func (g *gather) wait(ctx context.Context) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.arrived++
	if g.arrived == g.n {
		close(g.full)
	}
	g.mu.Unlock()
	t := time.NewTimer(g.timeout)
	defer t.Stop()
	select {
	case <-g.full:
	case <-t.C:
		g.leave()
	case <-ctx.Done():
		g.leave()
	}
}

// leave takes back the arrival of a request that stopped waiting before
// the gather was full, so that full means n requests held at once, not n
// one after the other.
func (g *gather) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.full:
	default:
		g.arrived--
	}
}
