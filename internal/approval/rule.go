package approval

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Rule is an environment's approvals: how many distinct approving reviews a
// change needs, and from whom.
type Rule struct {
	// Required is the number of distinct approvals needed; zero means the
	// environment needs none.
	Required int
	// Reviewers are GitHub logins ("octocat") or organization teams
	// ("example-corp/iam-admins").
	Reviewers []string
}

// Reviewer is one entry of [Rule.Reviewers]: a login, or an organization's
// team.
type Reviewer struct {
	// Login is set for a person.
	Login string
	// Org and Team (the team's slug) are set for a team.
	Org, Team string
}

// IsTeam reports whether the reviewer is a team.
func (r Reviewer) IsTeam() bool { return r.Team != "" }

// String is the reviewer as the rule writes it.
func (r Reviewer) String() string {
	if r.IsTeam() {
		return r.Org + "/" + r.Team
	}
	return r.Login
}

// login is GitHub's username syntax: alphanumerics and single inner hyphens,
// at most 39 characters. Organization logins follow it too.
var login = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// teamSlug is the syntax of a team's slug: lower-case alphanumerics, hyphens
// and underscores.
var teamSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// ParseReviewer parses a login ("octocat") or a team ("example-corp/iam-admins").
// A leading "@" is accepted, as CODEOWNERS writes them.
func ParseReviewer(s string) (Reviewer, error) {
	v := strings.TrimPrefix(strings.TrimSpace(s), "@")
	org, team, isTeam := strings.Cut(v, "/")
	switch {
	case !isTeam && login.MatchString(v):
		return Reviewer{Login: v}, nil
	case isTeam && login.MatchString(org) && teamSlug.MatchString(team):
		return Reviewer{Org: org, Team: team}, nil
	case isTeam:
		return Reviewer{}, fmt.Errorf("reviewer %q is not a team: write org/team-slug, e.g. example-corp/iam-admins (the slug is lower case, as in the team's URL)", s)
	default:
		return Reviewer{}, fmt.Errorf("reviewer %q is not a GitHub login (letters, digits and single hyphens, at most 39) or an org/team", s)
	}
}

// Parse returns the rule's reviewers, or every entry that is not one.
func (r Rule) Parse() ([]Reviewer, error) {
	var out []Reviewer
	var errs []error
	for _, s := range r.Reviewers {
		rv, err := ParseReviewer(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, rv)
	}
	return out, errors.Join(errs...)
}

// Validate reports every problem with the rule: a negative count, a count
// without reviewers, reviewers that are not logins or teams, duplicates, and
// a count larger than the listed logins can meet when no team is listed.
func (r Rule) Validate() error {
	var errs []error
	if r.Required < 0 {
		errs = append(errs, fmt.Errorf("approvals required is %d: it counts approving reviews, so it is 0 or more", r.Required))
	}
	if r.Required > 0 && len(r.Reviewers) == 0 {
		errs = append(errs, fmt.Errorf("approvals require %d but list no reviewers: add GitHub logins or org/team slugs under reviewers", r.Required))
	}
	rvs, err := r.Parse()
	if err != nil {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	teams := false
	for _, rv := range rvs {
		key := strings.ToLower(rv.String())
		if seen[key] {
			errs = append(errs, fmt.Errorf("reviewer %q is listed twice", rv))
		}
		seen[key] = true
		teams = teams || rv.IsTeam()
	}
	if err == nil && !teams && r.Required > len(rvs) {
		errs = append(errs, fmt.Errorf("approvals require %d but list only %d logins, so they can never be met: lower required or add reviewers", r.Required, len(rvs)))
	}
	return errors.Join(errs...)
}

// Describe says who may approve, for people: "octocat or a member of
// example-corp/iam-admins".
func (r Rule) Describe() string {
	rvs, _ := r.Parse()
	parts := make([]string, 0, len(rvs))
	for _, rv := range rvs {
		if rv.IsTeam() {
			parts = append(parts, "a member of "+rv.String())
		} else {
			parts = append(parts, rv.Login)
		}
	}
	switch len(parts) {
	case 0:
		return "nobody"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
