package manifest_test

import (
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/testfixture"
)

// Sizes of the tree BenchmarkValidateOrg validates. Zero means the default
// (testfixture.OrgSize). An organization at scale is -validate.envs 50
// -validate.users 5000.
var (
	benchEnvs  = flag.Int("validate.envs", 0, "environments in BenchmarkValidateOrg's tree")
	benchUsers = flag.Int("validate.users", 0, "users per environment in BenchmarkValidateOrg's tree")
)

// benchKeys is how many distinct OpenPGP keys the console users carry.
const benchKeys = 4

// BenchmarkValidateOrg validates an organization's access tree: N
// environments of M users each, split over manifest files, where console
// users carry a handful of distinct OpenPGP keys (teams share a few keys in
// practice; each distinct key needs verifying only once). It reports the
// time per user and per validation.
func BenchmarkValidateOrg(b *testing.B) {
	envs, users := testfixture.OrgSize(testing.Short(), *benchEnvs, *benchUsers)
	dir := filepath.Join(b.TempDir(), "access")
	keys, err := testfixture.OrgKeys(benchKeys, testNow)
	if err != nil {
		b.Fatal(err)
	}
	if err := (testfixture.Org{Envs: envs, Users: users, Keys: keys}).WriteTree(dir); err != nil {
		b.Fatal(err)
	}
	total := envs * users
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		repo, diags := manifest.Load(dir, manifest.WithClock(clock))
		if repo == nil || len(diags) > 0 {
			b.Fatalf("the generated tree does not validate cleanly: %d findings, first %v", len(diags), diags[0])
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/float64(total), "ns/user")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/validate")
	b.ReportMetric(float64(total), "users")
}
