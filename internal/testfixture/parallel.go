package testfixture

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Main runs the tests of a package that drives roster against the fakes:
// the process's own AWS configuration hidden (HideAWSEnvironment), and its
// parallel tests four per CPU (WaitingTests). Call it as the package's
// TestMain.
func Main(m *testing.M) {
	flag.Parse()
	HideAWSEnvironment()
	WaitingTests()
	os.Exit(m.Run())
}

// WaitingTests lets a package's parallel tests run four per CPU at once
// instead of -parallel's default of one per CPU, for packages whose tests
// mostly wait rather than compute: on the fakes' latency, on retry
// backoff, on a gathered call, on a child process. At one per CPU such a
// package left both CPUs idle for half its run (awsiam 8.5 → 4.2 s, cli
// 7.8 → 3.4 s wall, the same CPU). An explicit -parallel wins. Call it
// after flag.Parse and before m.Run.
func WaitingTests() {
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
}

// HideAWSEnvironment removes the test process's own AWS configuration:
// every AWS_* variable, and the shared config and credentials files
// (pointed at an empty one), with instance metadata off. Tests hand roster
// the fakes' variables through getenv, but the AWS SDK also reads the
// process environment and ~/.aws itself: a developer's exported
// AWS_PROFILE failed every in-process run ("failed to get shared config
// profile"), and AWS_REGION or a CA bundle would have reached them too.
// Call it before m.Run.
func HideAWSEnvironment() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			_ = os.Unsetenv(k)
		}
	}
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":             os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		_ = os.Setenv(k, v)
	}
}
