package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/clock"
)

// TestOutlive: the context outlives its parent's cancellation, then ends
// after the grace; cancel ends it at once.
func TestOutlive(t *testing.T) {
	t.Parallel()
	parent, cancelParent := context.WithCancel(context.Background())
	out, cancel := clock.Outlive(parent, 50*time.Millisecond)
	defer cancel()
	cancelParent()
	if err := out.Err(); err != nil {
		t.Fatalf("the context ended with its parent: %v", err)
	}
	select {
	case <-out.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the context did not end after the grace")
	}
	if !errors.Is(out.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", out.Err())
	}

	live, cancelLive := clock.Outlive(context.Background(), time.Hour)
	cancelLive()
	if live.Err() == nil {
		t.Error("cancel did not end the context")
	}
}
