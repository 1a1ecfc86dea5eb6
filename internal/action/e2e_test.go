package action_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/cli"
	"github.com/roster-dev/roster/internal/githubtest"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/testfixture"
)

// rosterBinary returns the binary the end-to-end tests run, built once per
// test binary (by the first test that needs it, so a benchmark-only run
// builds nothing) the way the Dockerfile builds it, plus the e2eclock tag: a
// run with ROSTER_E2E_NOW set (world.runAt) sees that time as now.
func rosterBinary(t testing.TB) string {
	t.Helper()
	buildRoster.Do(func() {
		path := filepath.Join(e2eDir, "roster")
		build := exec.Command("go", "build", "-trimpath", "-tags=e2eclock", "-ldflags=-s -w", "-o", path, "github.com/roster-dev/roster/cmd/roster")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			rosterBuildErr = fmt.Errorf("build roster: %w\n%s", err, out)
			return
		}
		rosterBin = path
	})
	if rosterBuildErr != nil {
		t.Fatal(rosterBuildErr)
	}
	return rosterBin
}

var (
	e2eDir         string // removed when the tests end
	buildRoster    sync.Once
	rosterBin      string
	rosterBuildErr error
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	flag.Parse()
	// Runs in this process see only the environment a test gives them
	// (the binary gets exactly that), and an end-to-end test spends most of
	// its time waiting on the fakes and on the roster process it runs.
	testfixture.HideAWSEnvironment()
	testfixture.WaitingTests()
	dir, err := os.MkdirTemp("", "roster-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	e2eDir = dir
	return m.Run()
}

// The world of an end-to-end test: a repository on the GitHub fake, two AWS
// accounts on the IAM fake, and a workspace checked out from testdata.
const (
	repoName   = "acme/access"
	devAccount = "111111111111"
	prdAccount = "222222222222"
	hubAccount = "999999999999"
	token      = "ghs_e2etoken"
)

type world struct {
	t   *testing.T
	iam *iamtest.Server
	gh  *githubtest.Server
	// ws is the workspace, a copy of testdata/e2e.
	ws   string
	runs int
	// head is the default branch's head commit (GITHUB_SHA of a scheduled
	// or manual run), set by landReviewed; empty reads as all zeros.
	head string
	// binary makes every run execute the built binary, as the runner
	// does, instead of cli.Run in the test process (see runEnv).
	binary bool
	// during, when set, runs beside the next run of the binary (see
	// execute).
	during func(p *os.Process, exited <-chan struct{})
}

func newWorld(t *testing.T) *world {
	t.Helper()
	iam := iamtest.NewServer(t)
	for _, acct := range []string{devAccount, prdAccount} {
		a := iam.Account(acct)
		a.AddRole("roster-apply")
		a.AddRole("roster-plan", "iam:Get*", "iam:List*", "iam:GenerateCredentialReport")
	}
	gh := githubtest.NewServer(t)
	gh.AddRepo(repoName)
	ws := t.TempDir()
	if err := os.CopyFS(ws, os.DirFS("testdata/e2e")); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, iam: iam, gh: gh, ws: ws}
	w.commit(baseSHA)
	return w
}

// baseSHA is the default branch before a merge: the push payloads' before
// commit, whose tree is the workspace as the test started it.
var baseSHA = sha(99)

// commit records the workspace's current tree as commit id on the GitHub
// fake, so the contents API reads it there.
func (w *world) commit(id string) {
	w.t.Helper()
	w.gh.AddCommit(repoName, id, w.tree())
}

// tree is the workspace's files, path → content.
func (w *world) tree() map[string]string {
	w.t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS(w.ws), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(filepath.Join(w.ws, filepath.FromSlash(p)))
		files[p] = string(b)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return files
}

// write replaces a workspace file.
func (w *world) write(name, content string) {
	w.t.Helper()
	p := filepath.Join(w.ws, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// result is what one run of the binary left behind.
type result struct {
	code    int
	log     string
	summary string
	outputs map[string]string
}

// run runs roster's action as the runner runs the Docker action: INPUT_*
// variables, an event payload file, GITHUB_* variables, and AWS
// credentials and endpoint for the IAM fake. Nothing of the test process's
// own environment is passed on.
//
// A run executes the binary built as the Dockerfile builds it when its
// world says so (w.binary: a scenario of each event and outcome), when a
// during hook signals the process, and for every world under -e2e.binary
// (.ci/run runs the package so). Otherwise it calls cli.Run, the function
// the binary's main calls, in the test process with the same environment
// and files: the same run at a third of the CPU (most of a process's cost
// is the Go runtime's and the AWS SDK's start-up, 190 times a suite).
func (w *world) run(event string, payload map[string]any, inputs map[string]string) result {
	w.t.Helper()
	return w.runEnv(event, payload, inputs, nil)
}

// runEnv is run with further variables of the runner (GITHUB_ACTOR…).
func (w *world) runEnv(event string, payload map[string]any, inputs, extra map[string]string) result {
	w.t.Helper()
	w.runs++
	tmp := w.t.TempDir()
	eventPath := filepath.Join(tmp, "event.json")
	b, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(eventPath, b, 0o644); err != nil {
		w.t.Fatal(err)
	}
	outPath, summaryPath := filepath.Join(tmp, "output"), filepath.Join(tmp, "summary")
	for _, p := range []string{outPath, summaryPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	sha, _ := payload["after"].(string)
	ref, _ := payload["ref"].(string)
	if pr, ok := payload["pull_request"].(map[string]any); ok {
		sha = pr["head"].(map[string]any)["sha"].(string)
		ref = fmt.Sprintf("refs/pull/%v/merge", pr["number"])
	}
	if sha == "" {
		sha = cmp.Or(w.head, "0000000000000000000000000000000000000000")
	}
	if ref == "" {
		ref = "refs/heads/main"
	}
	env := map[string]string{
		"HOME":                      tmp,
		"GITHUB_ACTIONS":            "true",
		"GITHUB_EVENT_NAME":         event,
		"GITHUB_EVENT_PATH":         eventPath,
		"GITHUB_REPOSITORY":         repoName,
		"GITHUB_REPOSITORY_OWNER":   "acme",
		"GITHUB_SHA":                sha,
		"GITHUB_REF":                ref,
		"GITHUB_OUTPUT":             outPath,
		"GITHUB_STEP_SUMMARY":       summaryPath,
		"GITHUB_API_URL":            w.gh.APIURL(),
		"GITHUB_SERVER_URL":         w.gh.URL(),
		"GITHUB_RUN_ID":             fmt.Sprint(1000 + w.runs),
		"GITHUB_RUN_ATTEMPT":        "1",
		"GITHUB_WORKSPACE":          w.ws,
		"RUNNER_TEMP":               tmp,
		"AWS_EC2_METADATA_DISABLED": "true",
		"INPUT_GITHUB-TOKEN":        token,
		"INPUT_PATH":                "access",
		"INPUT_COMMAND":             "auto",
		"INPUT_COMMENT":             "true",
	}
	for k, v := range w.iam.Env(hubAccount) {
		env[k] = v
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range extra {
		env[k] = v
	}
	var res result
	if w.binary || w.during != nil || *everyRunViaBinary {
		res = w.runBinary(env)
	} else {
		res = w.runInProcess(env)
	}
	summary, err := os.ReadFile(summaryPath)
	if err != nil {
		w.t.Fatal(err)
	}
	res.summary = string(summary)
	res.outputs = readOutputs(w.t, outPath)
	return res
}

// everyRunViaBinary makes every run of every world execute the binary.
var everyRunViaBinary = flag.Bool("e2e.binary", false, "run every end-to-end scenario through the built roster binary")

// runBinary executes the binary in the workspace with exactly env, as the
// runner starts the action's container, and returns its exit code and
// combined output.
func (w *world) runBinary(env map[string]string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, rosterBinary(w.t), "action")
	cmd.Dir = w.ws
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := w.execute(cmd)
	res := result{log: string(out)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		w.t.Fatalf("run roster action: %v\n%s", err, out)
	}
	return res
}

// runInProcess runs "roster action" in the test process: cli.Run, the
// function the binary's main calls, reading exactly env, with no terminal
// and an empty standard input, the clock at ROSTER_E2E_NOW when env sets
// it (as the e2eclock build reads it). Output to standard output and
// standard error is one log, as the runner shows it.
func (w *world) runInProcess(env map[string]string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var now func() time.Time
	if v := env["ROSTER_E2E_NOW"]; v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			w.t.Fatalf("ROSTER_E2E_NOW: %v", err)
		}
		now = func() time.Time { return t }
	}
	var log syncBuffer
	code := cli.Run(ctx, []string{"action"}, cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &log,
		Stderr: &log,
		Getenv: func(k string) string { return env[k] },
		Now:    now,
	})
	return result{code: code, log: log.String()}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a run's
// goroutines, as a process's standard output is.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// readOutputs parses GITHUB_OUTPUT: name=value lines and name<<DELIM
// heredocs.
func readOutputs(t *testing.T, name string) map[string]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok {
			var lines []string
			for sc.Scan() && sc.Text() != delim {
				lines = append(lines, sc.Text())
			}
			out[k] = strings.Join(lines, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// mustSucceed fails the test unless the run exited 0.
func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("roster action exited %d, want 0; log:\n%s", r.code, r.log)
	}
	return r
}

func pullRequestPayload(number int, headSHA string) map[string]any {
	return map[string]any{
		"action": "synchronize",
		"number": number,
		"pull_request": map[string]any{
			"number": number,
			"head":   map[string]any{"sha": headSHA, "ref": "feature"},
			"base":   map[string]any{"ref": "main"},
		},
		"repository": map[string]any{"full_name": repoName, "default_branch": "main"},
	}
}

func pushPayload(sha string) map[string]any {
	return map[string]any{
		"ref":        "refs/heads/main",
		"before":     baseSHA,
		"after":      sha,
		"repository": map[string]any{"full_name": repoName, "default_branch": "main"},
	}
}

// sha makes a commit hash from a number.
func sha(n int) string { return fmt.Sprintf("%02dc0ffee%032d", n, n) }
