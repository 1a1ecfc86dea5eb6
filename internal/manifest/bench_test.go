package manifest_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/roster-dev/roster/internal/manifest"
)

// Sizes of the tree BenchmarkValidateOrg validates. Zero means the default:
// 2 × 200 under -short, so CI runs it quickly, and 10 × 1,000 otherwise. An
// organization at scale is -validate.envs 50 -validate.users 5000.
var (
	benchEnvs  = flag.Int("validate.envs", 0, "environments in BenchmarkValidateOrg's tree")
	benchUsers = flag.Int("validate.users", 0, "users per environment in BenchmarkValidateOrg's tree")
)

// Shape of the generated tree.
const (
	benchUsersPerFile = 250 // users per manifest file
	benchConsoleEvery = 4   // every 4th person has console access
	benchServiceEvery = 10  // every 10th user is a service account
	benchKeys         = 4   // distinct OpenPGP keys the console users carry
)

// BenchmarkValidateOrg validates an organization's access tree: N
// environments of M users each, split over manifest files, where console
// users carry a handful of distinct OpenPGP keys (teams share a few keys in
// practice; each distinct key needs verifying only once). It reports the
// time per user and per validation.
func BenchmarkValidateOrg(b *testing.B) {
	envs, users := 10, 1000
	if testing.Short() {
		envs, users = 2, 200
	}
	if *benchEnvs > 0 {
		envs = *benchEnvs
	}
	if *benchUsers > 0 {
		users = *benchUsers
	}
	dir := filepath.Join(b.TempDir(), "access")
	writeOrgTree(b, dir, envs, users, benchPGPKeys(b))
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

// benchPGPKeys returns distinct public keys, alternately armored and base64
// of the binary form (the two forms pgp_key accepts), RSA and EdDSA.
func benchPGPKeys(b *testing.B) []string {
	b.Helper()
	created := testNow.AddDate(-1, 0, 0)
	var keys []string
	for i := range benchKeys {
		cfg := &packet.Config{Time: func() time.Time { return created }, Algorithm: packet.PubKeyAlgoEdDSA}
		if i%2 == 0 {
			cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, 2048
		}
		e, err := openpgp.NewEntity(fmt.Sprintf("Person %d", i), "", fmt.Sprintf("p%d@example.com", i), cfg)
		if err != nil {
			b.Fatal(err)
		}
		var raw bytes.Buffer
		if err := e.Serialize(&raw); err != nil {
			b.Fatal(err)
		}
		if i%2 == 1 {
			keys = append(keys, base64.StdEncoding.EncodeToString(raw.Bytes()))
			continue
		}
		var arm bytes.Buffer
		w, err := armor.Encode(&arm, openpgp.PublicKeyType, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := w.Write(raw.Bytes()); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		keys = append(keys, arm.String())
	}
	return keys
}

// writeOrgTree writes roster.yaml and envs environments of users users
// each, every one with a group, a managed policy, tags, and some with
// console access and an expiry date.
func writeOrgTree(b *testing.B, dir string, envs, users int, keys []string) {
	b.Helper()
	write := func(rel, text string) {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	order := make([]string, envs)
	for e := range envs {
		order[e] = fmt.Sprintf("env%03d", e)
	}
	write(manifest.ConfigFile, fmt.Sprintf("order: [%s]\ndefaults:\n  tags: { cost-center: \"1234\" }\n", strings.Join(order, ", ")))
	for e, name := range order {
		account := fmt.Sprintf("%012d", 100000000000+e)
		write(name+"/"+manifest.EnvironmentFile, fmt.Sprintf(
			"account_id: %q\nrole_arn: arn:aws:iam::%s:role/roster-apply\nguardrails:\n  forbidden_managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n  max_access_key_age_days: 90\n",
			account, account))
		write(name+"/groups.yaml", fmt.Sprintf(`groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
    inline_policies:
      deny-billing: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "aws-portal:*", Resource: "*" }] }
  - name: readers
    managed_policies: [arn:aws:iam::%s:policy/read-only]
`, account))
		for f := 0; f*benchUsersPerFile < users; f++ {
			write(fmt.Sprintf("%s/teams/team%03d.yaml", name, f), orgManifest(f, min(benchUsersPerFile, users-f*benchUsersPerFile), keys))
		}
	}
}

// orgManifest is one team's file: n users, the f-th file of an environment.
func orgManifest(f, n int, keys []string) string {
	var people, machines strings.Builder
	for i := range n {
		id := f*benchUsersPerFile + i
		if id%benchServiceEvery == benchServiceEvery-1 {
			fmt.Fprintf(&machines, "  - name: svc-%06d\n    owner: team-%03d\n    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    tags: { app: app-%d }\n", id, f, id%7)
			continue
		}
		fmt.Fprintf(&people, "  - name: user-%06d\n    groups: [developers, readers]\n    tags: { team: team-%03d, email: user-%06d@example.com }\n", id, f, id)
		if id%3 == 0 {
			people.WriteString("    expires: 2027-03-31\n")
		}
		if id%benchConsoleEvery == 0 {
			key := keys[(id/benchConsoleEvery)%len(keys)]
			people.WriteString("    console: true\n    pgp_key: ")
			if strings.HasPrefix(key, "-----") {
				people.WriteString("|\n      " + strings.ReplaceAll(strings.TrimSpace(key), "\n", "\n      ") + "\n")
			} else {
				people.WriteString(key + "\n")
			}
		}
	}
	out := "users:\n" + people.String()
	if machines.Len() > 0 {
		out += "service_accounts:\n" + machines.String()
	}
	return out
}
