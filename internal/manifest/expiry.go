package manifest

import "time"

// Expiry is the end of a time-bound grant: a user's or service account's
// expires, or one group membership's. It is the one home of what "expired"
// means: a grant is gone from End on.
type Expiry struct {
	// End is the first instant without the grant: the time written, or
	// for a date the midnight (UTC) after it.
	End time.Time
	// Day is set when the manifest wrote a date (YYYY-MM-DD): the grant
	// lasts through that day, UTC.
	Day bool
}

// EndOfDay is the expiry written as the date of day: the grant lasts
// through that day (UTC).
func EndOfDay(day time.Time) Expiry {
	y, m, d := day.UTC().Date()
	return Expiry{End: time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC), Day: true}
}

// At is the expiry written as an instant.
func At(t time.Time) Expiry { return Expiry{End: t.UTC()} }

// Passed reports whether the grant has ended at now.
func (e Expiry) Passed(now time.Time) bool { return !now.Before(e.End) }

// LastDay is the last UTC day with the grant (for an instant at midnight,
// the day before).
func (e Expiry) LastDay() time.Time {
	y, m, d := e.End.Add(-time.Nanosecond).UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// String says when the grant ends, as reviewers read it after "until":
// "2026-12-03 18:00 UTC", or "the end of 2027-03-31 UTC" for a date.
func (e Expiry) String() string {
	if e.Day {
		return "the end of " + e.LastDay().Format(time.DateOnly) + " UTC"
	}
	if e.End.Second() != 0 || e.End.Nanosecond() != 0 {
		return e.End.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return e.End.UTC().Format("2006-01-02 15:04 UTC")
}

// Written is the expiry as a manifest writes it: a date, or RFC 3339.
func (e Expiry) Written() string {
	if e.Day {
		return e.LastDay().Format(time.DateOnly)
	}
	return e.End.UTC().Format(time.RFC3339)
}

// Grant is one time-bound grant of a user: the user itself (Group "") or
// one of its group memberships.
type Grant struct {
	User  *User
	Group string
	Expiry
}

// Grants lists the user's time-bound grants: its own expires first, then
// its memberships with an expires in the order of Groups.
func (u *User) Grants() []Grant {
	var out []Grant
	if u.Expires != nil {
		out = append(out, Grant{User: u, Expiry: *u.Expires})
	}
	for _, g := range u.Groups {
		if e, ok := u.GroupExpires[g]; ok {
			out = append(out, Grant{User: u, Group: g, Expiry: e})
		}
	}
	return out
}
