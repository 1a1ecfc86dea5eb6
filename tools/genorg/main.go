// Command genorg writes a generated organization for measuring roster at
// scale: OUT/access (the access tree: ENVS environments of USERS users each)
// and OUT/live (one snapshot per environment, in line with the tree, plus
// unmanaged users). It is the tree BenchmarkPlanOrgScale and
// BenchmarkValidateOrg generate, on disk, so the built binary can be
// measured on it:
//
//	go run ./tools/genorg -envs 50 -users 5000 -unmanaged 0.2 -out /tmp/org
//	/usr/bin/time -v roster plan --dir /tmp/org/access --live /tmp/org/live > /dev/null
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/roster-dev/roster/internal/testfixture"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "genorg:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("genorg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envs := fs.Int("envs", 50, "environments")
	users := fs.Int("users", 5000, "users per environment")
	unmanaged := fs.Float64("unmanaged", 0.2, "unmanaged users in each snapshot, as a share of -users")
	keys := fs.Int("keys", 4, "distinct OpenPGP keys of the console users")
	out := fs.String("out", "", "the `folder` to write access/ and live/ into (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *envs < 1 || *users < 1 || *keys < 1 || *unmanaged < 0 {
		return fmt.Errorf("want -out DIR and positive -envs, -users, -keys (got %d, %d, %d) and -unmanaged ≥ 0", *envs, *users, *keys)
	}
	now := time.Now().UTC()
	k, err := testfixture.OrgKeys(*keys, now)
	if err != nil {
		return err
	}
	org := testfixture.Org{Envs: *envs, Users: *users, Keys: k, Unmanaged: *unmanaged}
	access := filepath.Join(*out, "access")
	if err := org.WriteTree(access); err != nil {
		return err
	}
	return org.WriteSnapshots(access, filepath.Join(*out, "live"), now)
}
