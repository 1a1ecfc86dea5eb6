package action_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/render"
)

// execute runs the binary and returns its combined output. With w.during
// set, the binary runs in the background and during is called with its
// process (and a channel closed when it exits), once: a test can signal
// the binary the way the runner does when a job is cancelled.
func (w *world) execute(cmd *exec.Cmd) ([]byte, error) {
	during := w.during
	w.during = nil
	if during == nil {
		return cmd.CombinedOutput()
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited, helped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(helped)
		during(cmd.Process, exited)
	}()
	err := cmd.Wait()
	close(exited)
	<-helped
	return out.Bytes(), err
}

// A merge's apply cancelled by the runner (SIGTERM: the job was cancelled
// or timed out) while a write is in flight stops starting writes, and
// still reports: the job summary, the apply report on the merged pull
// request and the roster:apply-failed issue say what was applied and what
// was not attempted, and the run fails.
func TestCancelledApplyStillReports(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	pr := w.reviewAndMerge(1, sha(100))

	// Development's CreateUser of alice is held in the IAM fake until the
	// runner has sent SIGTERM; it then completes within apply's grace.
	w.iam.Gather("CreateUser", 2, 3*time.Second)
	signalled := false
	w.during = func(p *os.Process, exited <-chan struct{}) {
		deadline := time.After(time.Minute)
		for w.iam.CallCount(devAccount, "CreateUser") == 0 {
			select {
			case <-exited:
				return
			case <-deadline:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
		signalled = p.Signal(syscall.SIGTERM) == nil
	}
	res := w.run("push", pushPayload(sha(100)), nil)
	if !signalled {
		t.Fatalf("the apply never reached CreateUser; log:\n%s", res.log)
	}

	if res.code == 0 {
		t.Errorf("a cancelled apply exited 0; log:\n%s", res.log)
	}
	if _, ok := w.iam.Account(devAccount).User("alice"); !ok {
		t.Errorf("the CreateUser in flight at SIGTERM did not complete")
	}
	if _, ok := w.iam.Account(prdAccount).User("alice"); ok {
		t.Errorf("production was written after SIGTERM")
	}
	if n := w.iam.CallCount(prdAccount, "CreateUser") + w.iam.CallCount(prdAccount, "CreateGroup"); n != 0 {
		t.Errorf("%d writes reached production after SIGTERM", n)
	}
	if got := res.outputs["result"]; got != "failed" {
		t.Errorf("output result = %q, want failed", got)
	}

	reports := w.comments(pr, render.ApplyMarker)
	if len(reports) != 1 {
		t.Fatalf("%d apply reports on pull request #%d after SIGTERM, want 1; log:\n%s", len(reports), pr, res.log)
	}
	issues := w.issues("roster:apply-failed")
	if len(issues) != 1 {
		t.Fatalf("%d apply-failed issues after SIGTERM, want 1; log:\n%s", len(issues), res.log)
	}
	for what, body := range map[string]string{"job summary": res.summary, "apply report": reports[0], "apply-failed issue": issues[0].Body} {
		for _, want := range []string{
			"cancelled",     // development: the apply was cancelled
			"not attempted", // production
			"CreateUser",    // the write that completed is listed
			"alice",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q:\n%s", what, want, body)
			}
		}
	}
}
