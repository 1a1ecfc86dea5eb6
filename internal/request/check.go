package request

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/manifest"
)

// Request is a validated access request: time-bound memberships of groups
// for a user declared in one environment.
type Request struct {
	Environment string
	User        string
	// Groups are the groups asked for, in the order asked.
	Groups []string
	// Extends holds, by group, the end of each membership of Groups the
	// user already has, ending before Expires: the request moves that end
	// instead of adding a membership.
	Extends map[string]manifest.Expiry
	// Expires is when the memberships end.
	Expires manifest.Expiry
	Reason  string
	// File is the manifest that declares the user, relative to the access
	// folder, slash-separated: the one file the request changes.
	File string
}

// Check validates a form against the manifests of repo at now and returns
// the request, or every problem found (plain text: escape it before
// Markdown). A request only adds time-bound memberships to a user the
// manifests already declare: a new user needs what a form cannot carry
// safely (console access, a PGP key, tags), so it comes in a reviewed pull
// request first.
func Check(repo *manifest.Repository, f Form, now time.Time) (*Request, []string) {
	var problems []string
	env := repo.Environment(f.Environment)
	if env == nil {
		var names []string
		for _, e := range repo.Environments {
			names = append(names, e.Name)
		}
		return nil, []string{fmt.Sprintf("environment %q is not one of %s", f.Environment, strings.Join(names, ", "))}
	}
	user := findUser(env, f.User)
	switch {
	case user == nil:
		problems = append(problems, fmt.Sprintf("user %q is not declared in %s: a request adds group memberships to a declared person; a new user is added by a pull request that declares them (with console access and a PGP key if they need one)", f.User, env.Name))
	case user.Kind != manifest.Person:
		problems = append(problems, fmt.Sprintf("%q is a service account in %s: requests are for people; change a service account in a pull request", f.User, env.Name))
	}
	exp, err := ParseDuration(f.Duration, now)
	extends := map[string]manifest.Expiry{}
	for _, g := range f.Groups {
		p, was := checkGroup(env, user, g, exp, err == nil)
		problems = append(problems, p...)
		if was != nil {
			extends[g] = *was
		}
	}
	if len(f.Groups) == 0 && f.Environment != "" {
		problems = append(problems, "no group given")
	}
	if err != nil {
		problems = append(problems, err.Error())
	} else if max := env.Guardrails.MaxElevationHours; max > 0 && exp.End.Sub(now) > time.Duration(max)*time.Hour {
		problems = append(problems, fmt.Sprintf("the access would last until %s, longer than the %d hours %s allows (guardrails.max_elevation_hours): ask for %d hours or less", exp, max, env.Name, max))
	}
	if strings.TrimSpace(f.Reason) == "" {
		problems = append(problems, "no reason given")
	}
	if len(problems) > 0 {
		return nil, problems
	}
	rel, err := filepath.Rel(filepath.Clean(repo.Dir), filepath.FromSlash(user.Pos.File))
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, []string{fmt.Sprintf("cannot tell which file under %s declares %s (%s)", repo.Dir, user.Name, user.Pos.File)}
	}
	return &Request{
		Environment: env.Name, User: user.Name, Groups: f.Groups, Extends: extends, Expires: exp,
		Reason: strings.TrimSpace(f.Reason), File: filepath.ToSlash(rel),
	}, nil
}

func findUser(env *manifest.Environment, name string) *manifest.User {
	for _, u := range env.Users {
		if u.Name == name {
			return u
		}
	}
	return nil
}

// checkGroup says what is wrong with asking user (nil when unknown) to be
// in group g until exp (when expOK), and when the user is in g until
// before exp, returns that end: the request extends the membership.
func checkGroup(env *manifest.Environment, user *manifest.User, g string, exp manifest.Expiry, expOK bool) (problems []string, extends *manifest.Expiry) {
	i := slices.IndexFunc(env.Groups, func(x *manifest.Group) bool { return x.Name == g })
	switch {
	case i < 0:
		return []string{fmt.Sprintf("group %q is not declared in %s", g, env.Name)}, nil
	case env.Groups[i].Absent:
		return []string{fmt.Sprintf("group %q is marked absent in %s: it is being deleted", g, env.Name)}, nil
	case user == nil || !slices.Contains(user.Groups, g):
		return nil, nil
	}
	e, ok := user.GroupExpires[g]
	switch {
	case !ok:
		return []string{fmt.Sprintf("%s is already in %s, without an end", user.Name, g)}, nil
	case !expOK:
		return nil, nil // the duration's own problem is reported
	case !exp.End.After(e.End):
		return []string{fmt.Sprintf("%s is already in %s until %s, which is not before the end asked (%s): there is nothing to extend", user.Name, g, e, exp)}, nil
	}
	return nil, &e
}

// Joins are the groups of the request the user is not in yet.
func (r *Request) Joins() []string {
	var out []string
	for _, g := range r.Groups {
		if _, ok := r.Extends[g]; !ok {
			out = append(out, g)
		}
	}
	return out
}

// Summary says what the request does, for the pull request's title and
// commit: "alice joins prod-operators in production until …", "alice
// extends prod-operators in production until …".
func (r *Request) Summary() string {
	var parts, extends []string
	if joins := r.Joins(); len(joins) > 0 {
		parts = append(parts, "joins "+strings.Join(joins, ", "))
	}
	for _, g := range r.Groups {
		if _, ok := r.Extends[g]; ok {
			extends = append(extends, g)
		}
	}
	if len(extends) > 0 {
		parts = append(parts, "extends "+strings.Join(extends, ", "))
	}
	return fmt.Sprintf("%s %s in %s until %s", r.User, strings.Join(parts, " and "), r.Environment, r.Expires)
}

// ParseDuration reads the form's duration: a number of hours ("8", "8h",
// "8 hours"), which ends that long after now to the minute, or a date
// (YYYY-MM-DD, through that day UTC) or an RFC 3339 time. The end must be
// after now.
func ParseDuration(s string, now time.Time) (manifest.Expiry, error) {
	s = strings.TrimSpace(s)
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "hours"), "hour"), "h"))
	var exp manifest.Expiry
	if n, err := strconv.Atoi(num); err == nil {
		if n <= 0 {
			return exp, fmt.Errorf("duration %q: ask for at least one hour", s)
		}
		exp = manifest.At(now.Add(time.Duration(n) * time.Hour).Truncate(time.Minute))
	} else if d, err := time.Parse(time.DateOnly, s); err == nil {
		exp = manifest.EndOfDay(d)
	} else if t, err := time.Parse(time.RFC3339, s); err == nil {
		exp = manifest.At(t)
	} else {
		return exp, fmt.Errorf("duration %q is not a number of hours (8h), a date (2026-12-31) or a time (2026-12-03T18:00:00Z)", s)
	}
	if exp.Passed(now) {
		return exp, fmt.Errorf("duration %q ends at %s, which has passed", s, exp)
	}
	return exp, nil
}
