package scaffold

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/roster-dev/roster/internal/manifest"
)

// Account is an account of the Organization, as init sees it.
type Account struct {
	ID   string
	Name string
	// State is the account's lifecycle state; only ACTIVE accounts become
	// environments.
	State string
	// OUPath holds the OU names from the root down to the account.
	OUPath []string
	Tags   map[string]string
}

// Environment is one environment folder to write.
type Environment struct {
	Name      string
	AccountID string
	// Account is the account's name in the Organization, for the comment at
	// the top of environment.yaml; empty when the account was given by ID.
	Account string
	// From says where the name came from ("tag environment=prod", "OU
	// Workloads/Prod"), for the summary.
	From string
}

// Production reports whether the environment is the production one.
func (e Environment) Production() bool { return e.Name == "production" }

// Skipped is an account that maps to no environment, and why.
type Skipped struct {
	Account Account
	Reason  string
}

// Proposal is the environments init would write, in promotion order, and
// the accounts it leaves out.
type Proposal struct {
	Environments []Environment
	Skipped      []Skipped
}

// aliases are the usual spellings of the default environments.
var aliases = map[string]string{
	"dev": "development", "develop": "development", "development": "development",
	"test": "testing", "tst": "testing", "qa": "testing", "testing": "testing",
	"stage": "staging", "stg": "staging", "staging": "staging",
	"prod": "production", "prd": "production", "production": "production",
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// NormalizeName turns a tag value or OU name into an environment folder
// name: lower case, runs of other characters as one dash, and the usual
// short forms of the default environments spelled out (prod → production),
// so the default promotion order applies. It returns "" when nothing is
// left.
func NormalizeName(s string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if a, ok := aliases[n]; ok {
		return a
	}
	return n
}

// Propose maps the Organization's accounts to environments. With envTag,
// an account's environment is the value of that tag; without it, the
// innermost OU of its path named like a default environment (Dev, QA,
// Staging, Prod...). Accounts that are not ACTIVE, or that map to nothing,
// are skipped with the reason. Two accounts mapping to one environment are
// an error naming both: which one is meant is not for init to guess.
func Propose(accounts []Account, envTag string) (*Proposal, error) {
	p := &Proposal{}
	byName := map[string]Environment{}
	var conflicts []string
	for _, a := range accounts {
		if a.State != "ACTIVE" {
			p.Skipped = append(p.Skipped, Skipped{a, "state " + a.State})
			continue
		}
		name, from, why := nameFor(a, envTag)
		if name == "" {
			p.Skipped = append(p.Skipped, Skipped{a, why})
			continue
		}
		if prev, ok := byName[name]; ok {
			conflicts = append(conflicts, fmt.Sprintf("%s: accounts %s (%s) and %s (%s)", name, prev.AccountID, prev.From, a.ID, from))
			continue
		}
		byName[name] = Environment{Name: name, AccountID: a.ID, Account: a.Name, From: from}
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("more than one account maps to an environment: %s; give one of them another %s, or name the environments with --env name=account_id",
			strings.Join(conflicts, "; "), map[bool]string{true: "value of the tag " + envTag, false: "OU or an environment tag (--env-tag)"}[envTag != ""])
	}
	for _, e := range byName {
		p.Environments = append(p.Environments, e)
	}
	p.Environments = Order(p.Environments)
	return p, nil
}

func nameFor(a Account, envTag string) (name, from, why string) {
	if envTag != "" {
		v, ok := a.Tags[envTag]
		if !ok {
			return "", "", "no tag " + envTag
		}
		name = NormalizeName(v)
		if !manifest.IsEnvironmentName(name) {
			return "", "", fmt.Sprintf("tag %s=%q is no environment name", envTag, v)
		}
		return name, fmt.Sprintf("tag %s=%s", envTag, v), ""
	}
	for i := len(a.OUPath) - 1; i >= 0; i-- {
		if n, ok := aliases[NormalizeName(a.OUPath[i])]; ok {
			return n, "OU " + strings.Join(a.OUPath[:i+1], "/"), ""
		}
	}
	where := "the root"
	if len(a.OUPath) > 0 {
		where = "OU " + strings.Join(a.OUPath, "/")
	}
	return "", "", "in " + where + ", no OU named like development, testing, staging or production (or use --env-tag)"
}

// Order sorts environments in roster's default promotion order
// (manifest.DefaultOrder), the others after them alphabetically.
func Order(envs []Environment) []Environment {
	rank := func(n string) int {
		if i := slices.Index(manifest.DefaultOrder, n); i >= 0 {
			return i
		}
		return len(manifest.DefaultOrder)
	}
	slices.SortFunc(envs, func(a, b Environment) int {
		if d := rank(a.Name) - rank(b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	return envs
}

// ParsePairs reads --env name=account_id pairs.
func ParsePairs(pairs []string) ([]Environment, error) {
	var envs []Environment
	seen := map[string]bool{}
	for _, p := range pairs {
		name, id, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("--env %q: want name=account_id, e.g. --env production=444455556666", p)
		}
		if !manifest.IsEnvironmentName(name) {
			return nil, fmt.Errorf("--env %q: the environment name must be lower-case letters, digits and dashes", p)
		}
		if !manifest.IsAccountID(id) {
			return nil, fmt.Errorf("--env %q: the account id must be 12 digits", p)
		}
		if seen[name] {
			return nil, fmt.Errorf("--env %q: environment %s is named twice", p, name)
		}
		seen[name] = true
		envs = append(envs, Environment{Name: name, AccountID: id, From: "--env"})
	}
	return Order(envs), nil
}
