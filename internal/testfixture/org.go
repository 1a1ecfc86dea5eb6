package testfixture

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// Shape of a generated organization (Org).
const (
	orgUsersPerFile = 250 // users per manifest file
	orgConsoleEvery = 4   // every 4th person has console access
	orgServiceEvery = 10  // every 10th user is a service account
)

// Org is a generated organization for the scale benchmarks and tools/genorg:
// Envs environments of Users users each, split over manifest files, where
// console users carry a handful of distinct OpenPGP keys (teams share a few
// keys in practice).
type Org struct {
	Envs, Users int
	// Keys are the public keys console users carry, in either form pgp_key
	// accepts (OrgKeys).
	Keys []string
	// Unmanaged is the share of extra users, beyond Users, that live
	// snapshots hold without the ownership tag (0.2: 20% more).
	Unmanaged float64
}

// OrgSize is the size of a benchmark's organization: envs × users when
// positive (from the benchmark's flags), else 2 × 200 under -short, so CI
// runs it quickly, and 10 × 1,000 otherwise.
func OrgSize(short bool, envs, users int) (int, int) {
	e, u := 10, 1000
	if short {
		e, u = 2, 200
	}
	if envs > 0 {
		e = envs
	}
	if users > 0 {
		u = users
	}
	return e, u
}

// OrgKeys returns n distinct public keys, alternately armored RSA 2048 and
// base64 of a binary EdDSA key, created a year before now.
func OrgKeys(n int, now time.Time) ([]string, error) {
	created := now.AddDate(-1, 0, 0)
	keys := make([]string, 0, n)
	for i := range n {
		cfg := &packet.Config{Time: func() time.Time { return created }, Algorithm: packet.PubKeyAlgoEdDSA}
		if i%2 == 0 {
			cfg.Algorithm, cfg.RSABits = packet.PubKeyAlgoRSA, 2048
		}
		k, err := NewKeyPair(cfg)
		if err != nil {
			return nil, err
		}
		if i%2 == 0 {
			keys = append(keys, k.Armored)
		} else {
			keys = append(keys, k.Base64)
		}
	}
	return keys, nil
}

// EnvName is the name of the e-th environment of a generated organization.
func (o Org) EnvName(e int) string { return fmt.Sprintf("env%03d", e) }

// WriteTree writes the organization's access tree into dir: roster.yaml,
// and per environment environment.yaml, two groups and the users, every one
// with groups, a managed policy and tags, some with console access and an
// expiry date.
func (o Org) WriteTree(dir string) error {
	order := make([]string, o.Envs)
	for e := range o.Envs {
		order[e] = o.EnvName(e)
	}
	files := map[string]string{
		manifest.ConfigFile: fmt.Sprintf("order: [%s]\ndefaults:\n  tags: { cost-center: \"1234\" }\n", strings.Join(order, ", ")),
	}
	for e, name := range order {
		account := fmt.Sprintf("%012d", 100000000000+e)
		files[name+"/"+manifest.EnvironmentFile] = fmt.Sprintf(
			"account_id: %q\nrole_arn: arn:aws:iam::%s:role/roster-apply\nguardrails:\n  forbidden_managed_policies: [arn:aws:iam::aws:policy/AdministratorAccess]\n  max_access_key_age_days: 90\n",
			account, account)
		files[name+"/groups.yaml"] = fmt.Sprintf(`groups:
  - name: developers
    managed_policies: [arn:aws:iam::aws:policy/PowerUserAccess]
    inline_policies:
      deny-billing: { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "aws-portal:*", Resource: "*" }] }
  - name: readers
    managed_policies: [arn:aws:iam::%s:policy/read-only]
`, account)
		for f := 0; f*orgUsersPerFile < o.Users; f++ {
			files[fmt.Sprintf("%s/teams/team%03d.yaml", name, f)] = o.manifest(f, min(orgUsersPerFile, o.Users-f*orgUsersPerFile))
		}
	}
	for rel, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// manifest is one team's file: n users, the f-th file of an environment.
func (o Org) manifest(f, n int) string {
	var people, machines strings.Builder
	for i := range n {
		id := f*orgUsersPerFile + i
		if id%orgServiceEvery == orgServiceEvery-1 {
			fmt.Fprintf(&machines, "  - name: svc-%06d\n    owner: team-%03d\n    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n    tags: { app: app-%d }\n", id, f, id%7)
			continue
		}
		fmt.Fprintf(&people, "  - name: user-%06d\n    groups: [developers, readers]\n    tags: { team: team-%03d, email: user-%06d@example.com }\n", id, f, id)
		if id%3 == 0 {
			people.WriteString("    expires: 2027-03-31\n")
		}
		if id%orgConsoleEvery == 0 && len(o.Keys) > 0 {
			key := o.Keys[(id/orgConsoleEvery)%len(o.Keys)]
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

// WriteSnapshots writes live/<env>.json for every environment of the tree
// in accessDir (loaded as of now): live IAM as roster would leave it after
// applying the tree, plus o.Unmanaged extra users without the ownership tag,
// so that a plan against them has nothing to change and lists the
// unmanaged users. One environment is held in memory at a time.
func (o Org) WriteSnapshots(accessDir, liveDir string, now time.Time) error {
	repo, diags := manifest.Load(accessDir, manifest.WithClock(func() time.Time { return now }))
	if diags.HasErrors() {
		return fmt.Errorf("the generated tree is invalid: %v", diags[0])
	}
	if err := os.MkdirAll(liveDir, 0o750); err != nil {
		return err
	}
	for _, env := range repo.Environments {
		acct := liveAccount(repo.Config, env, now, int(float64(o.Users)*o.Unmanaged))
		var buf bytes.Buffer
		snap := &state.Snapshot{Environment: env.Name, TakenAt: now, Account: acct}
		if err := state.WriteSnapshot(&buf, snap); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(liveDir, env.Name+".json"), buf.Bytes(), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// liveAccount is env's account after an apply of its manifests (what a plan
// against an empty account creates), with unmanaged untagged users beside.
func liveAccount(cfg manifest.Config, env *manifest.Environment, now time.Time, unmanaged int) *state.Account {
	acct := &state.Account{AccountID: env.AccountID, Users: map[string]*state.User{}, Groups: map[string]*state.Group{}}
	created := now.AddDate(0, -6, 0)
	arn := func(kind, name string) string { return fmt.Sprintf("arn:aws:iam::%s:%s/%s", env.AccountID, kind, name) }
	for _, ch := range plan.Diff(cfg, env, nil, now).Changes {
		if ch.Action != plan.Create || ch.After == nil {
			continue
		}
		r := ch.After
		if ch.Kind == plan.KindGroup {
			acct.Groups[ch.Name] = &state.Group{Name: ch.Name, Path: "/", ARN: arn("group", ch.Name), ID: "AGPA" + ch.Name,
				ManagedPolicies: r.ManagedPolicies, InlinePolicies: r.InlinePolicies}
			continue
		}
		acct.Users[ch.Name] = &state.User{Name: ch.Name, Path: "/", ARN: arn("user", ch.Name), ID: "AIDA" + ch.Name, Created: created,
			Access: r.Access.Clone(), Details: state.LoginProfile | state.Credentials, LoginProfile: r.Console} //nolint:staticcheck // r.Clone() would read as a copy of the whole resource
	}
	for _, u := range acct.Users {
		for _, g := range u.Groups {
			if lg := acct.Groups[g]; lg != nil {
				lg.Members = append(lg.Members, u.Name)
			}
		}
	}
	for i := range unmanaged {
		name := fmt.Sprintf("legacy-%06d", i)
		acct.Users[name] = &state.User{Name: name, Path: "/", ARN: arn("user", name), ID: "AIDA" + name, Created: created,
			Access:     state.Access{ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, Tags: map[string]string{"team": "legacy"}},
			Details:    state.LoginProfile | state.Credentials,
			AccessKeys: []state.AccessKey{{ID: fmt.Sprintf("AKIA%016d", i), Status: "Active", Created: created}}}
	}
	for _, g := range acct.Groups {
		slices.Sort(g.Members)
	}
	return acct
}
