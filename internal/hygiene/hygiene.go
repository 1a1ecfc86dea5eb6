package hygiene

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/roster-dev/roster/internal/diag"
	"github.com/roster-dev/roster/internal/drift"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/state"
)

// UnusedDays is how long a password or an active access key may go unused
// before it is a finding.
const UnusedDays = 90

// ExpiryNoticeDays is how many days before a user's expires date the
// reminder appears.
const ExpiryNoticeDays = 14

// MembershipNoticeHours is how many hours before a time-bound group
// membership ends the reminder appears.
const MembershipNoticeHours = 24

// Check returns the hygiene findings of env, most severe first: cfg is the
// repository configuration (tag keys, access directory), live the account's
// live state and report its credential report (either may be nil), now the
// clock. It reads nothing and changes nothing.
func Check(cfg manifest.Config, env *manifest.Environment, live *state.Account, report *state.CredentialReport, now time.Time) []drift.Finding {
	c := newChecker(cfg, env, live, now)
	for _, f := range c.facts(report) {
		c.keys(f)
		c.password(f)
	}
	c.expiring(live, report)
	r := &drift.Report{}
	r.Add(c.findings...)
	return r.Findings
}

// facts is what the checks know about one user's credentials.
type facts struct {
	name   string
	kind   plan.Kind
	pos    diag.Pos
	person bool // declared under users:
	// accessKey is the access_key block of a service account whose key
	// roster delivers and rotates; nil otherwise.
	accessKey *keys.Spec
	// console is known, with its use, only from the credential report.
	console      bool
	lastLogin    *time.Time
	passwordSet  time.Time // when the password was set (or the user created)
	mfa          bool
	mfaKnown     bool
	keys         []key
	fromReport   bool
	userCreation time.Time
}

type key struct {
	label    string // "access key AKIA…", or "access key 1" when the ID is unknown
	idPart   string // stable part of the finding ID
	active   bool
	created  time.Time
	lastUsed *time.Time
	usage    bool // lastUsed is known
}

type checker struct {
	env   *manifest.Environment
	now   time.Time
	today time.Time
	// liveUsers are the live state's users by name; nil when there is no
	// live state, which reads as no user.
	liveUsers map[string]*state.User
	ownTag    string
	ownerTag  string
	envFile   string
	users     map[string]*manifest.User
	findings  []drift.Finding
}

func newChecker(cfg manifest.Config, env *manifest.Environment, live *state.Account, now time.Time) *checker {
	if env == nil {
		env = &manifest.Environment{}
	}
	c := &checker{
		env:      env,
		now:      now.UTC(),
		today:    now.UTC().Truncate(24 * time.Hour),
		ownTag:   cfg.OwnershipKey(),
		ownerTag: cfg.OwnerKey(),
		users:    map[string]*manifest.User{},
	}
	if live != nil {
		c.liveUsers = live.Users
	}
	envDir := cmp.Or(env.Dir, path.Join(manifest.DefaultDir, env.Name))
	c.envFile = cmp.Or(env.Pos.File, path.Join(envDir, manifest.EnvironmentFile))
	for _, u := range env.Users {
		c.users[strings.ToLower(u.Name)] = u
	}
	return c
}

// expired reports whether a manifest user's expires date has passed.
func (c *checker) expired(m *manifest.User) bool {
	return m.Expires != nil && m.Expires.Passed(c.now)
}

// skip reports whether a user is left to drift: one roster is about to
// offboard, or an ignored unmanaged user.
func (c *checker) skip(name string) bool {
	if m := c.users[strings.ToLower(name)]; m != nil {
		return m.Absent || c.expired(m)
	}
	if u := c.liveUsers[name]; u != nil && u.Tags[c.ownTag] == "true" {
		return true // managed, not declared: drift's undeclared finding
	}
	return c.env.Unmanaged.Ignores(name)
}

// keyName names a credential report's key the way plans do, by its ID:
// the report numbers a user's keys (1, 2) but does not name them, so the
// live key created at the report's last_rotated time (to the second, the
// report's precision) is the one. Without the live keys it stays "1" or "2".
func (c *checker) keyName(user string, k state.CredentialReportKey) string {
	if u := c.liveUsers[user]; u != nil {
		for _, lk := range u.AccessKeys {
			if lk.Created.UTC().Truncate(time.Second).Equal(k.LastRotated.UTC().Truncate(time.Second)) {
				return lk.ID
			}
		}
	}
	return fmt.Sprint(k.Number)
}

// subject fills in who a user is: kind, manifest entry.
func (c *checker) subject(f *facts) {
	f.kind = plan.KindUser
	if m := c.users[strings.ToLower(f.name)]; m != nil {
		f.pos = m.Pos
		if m.Kind == manifest.ServiceAccount {
			f.kind, f.accessKey = plan.KindServiceAccount, m.AccessKey
		} else {
			f.person = true
		}
		return
	}
	if u := c.liveUsers[f.name]; u != nil && u.Tags[c.ownerTag] != "" {
		f.kind = plan.KindServiceAccount
	}
}

// facts gathers every checked user's credentials, from the report or, when
// there is none, from the live state's credential details.
func (c *checker) facts(report *state.CredentialReport) []*facts {
	var out []*facts
	if report != nil {
		for _, row := range report.Users {
			if c.skip(row.User) {
				continue
			}
			f := &facts{
				name: row.User, console: row.PasswordEnabled, lastLogin: row.PasswordLastUsed,
				mfa: row.MFAActive, mfaKnown: true, fromReport: true, userCreation: row.Created,
			}
			f.passwordSet = row.Created
			if row.PasswordLastChanged != nil {
				f.passwordSet = *row.PasswordLastChanged
			}
			for _, k := range row.AccessKeys {
				n := fmt.Sprint(k.Number)
				f.keys = append(f.keys, key{
					label:  "access key " + c.keyName(row.User, k),
					idPart: "key-" + n + "/" + k.LastRotated.UTC().Format("2006-01-02"),
					active: k.Active, created: k.LastRotated, lastUsed: k.LastUsed, usage: true,
				})
			}
			c.subject(f)
			out = append(out, f)
		}
		return out
	}
	for _, name := range slices.Sorted(maps.Keys(c.liveUsers)) {
		u := c.liveUsers[name]
		if c.skip(name) || !u.Details.Has(state.Credentials) {
			continue
		}
		f := &facts{name: name, userCreation: u.Created}
		if u.Details.Has(state.LoginProfile) {
			f.console = u.LoginProfile
			f.mfa, f.mfaKnown = len(u.MFADevices) > 0, true
		}
		for _, k := range u.AccessKeys {
			f.keys = append(f.keys, key{
				label: "access key " + k.ID, idPart: k.ID,
				active: k.Status == "Active", created: k.Created,
			})
		}
		c.subject(f)
		out = append(out, f)
	}
	return out
}

// days counts whole days from t to now.
func (c *checker) days(t time.Time) int {
	return int(c.now.Sub(t.UTC()).Hours() / 24)
}

func date(t time.Time) string { return t.UTC().Format("2006-01-02") }

// add records a finding with its base severity, raised in production
// unless it is a reminder.
func (c *checker) add(f drift.Finding, base drift.Severity) {
	f.Severity = base
	if c.env.Production && f.Kind != Expiring {
		switch base {
		case drift.Low:
			f.Severity = drift.Medium
		default:
			f.Severity = drift.High
		}
	}
	c.findings = append(c.findings, f)
}

// where names a manifest entry as a literal, or in words when there is none.
func where(pos diag.Pos) drift.Span {
	if pos.File == "" {
		return words("its manifest entry")
	}
	if pos.Line == 0 {
		return code(pos.File)
	}
	return code(fmt.Sprintf("%s:%d", pos.File, pos.Line))
}

func (c *checker) keys(f *facts) {
	maxAge := c.env.Guardrails.MaxAccessKeyAgeDays
	for _, k := range f.keys {
		if !k.active {
			continue
		}
		age := c.days(k.created)
		if maxAge > 0 && age > maxAge {
			c.add(drift.Finding{
				ID: drift.FindingID(KeyAge, f.kind, f.name, k.idPart), Kind: KeyAge,
				SubjectKind: f.kind, Subject: f.name, Pos: f.pos,
				Summary: sentence(words(k.label+" of "+f.kind.Noun()+" "), code(f.name), words(fmt.Sprintf(" was created on %s, %s ago, more than the ", date(k.created), plural(age, "day"))), code(fmt.Sprintf("max_access_key_age_days: %d", maxAge)), words(" of this environment")),
				Restore: c.rotateAdvice(f),
				Accept:  sentence(words("raise "), code("max_access_key_age_days"), words(" in the guardrails of "), code(c.envFile), words(" (applies to every key in the environment)")),
			}, drift.Medium)
		}
		if k.usage {
			last, never := k.created, k.lastUsed == nil
			if !never {
				last = *k.lastUsed
			}
			if idle := c.days(last); idle >= UnusedDays {
				what := fmt.Sprintf(" has not been used for %s (last used %s)", plural(idle, "day"), date(last))
				if never {
					what = fmt.Sprintf(" has never been used since it was created %s ago (%s)", plural(idle, "day"), date(last))
				}
				c.add(drift.Finding{
					ID: drift.FindingID(UnusedKey, f.kind, f.name, k.idPart), Kind: UnusedKey,
					SubjectKind: f.kind, Subject: f.name, Pos: f.pos,
					Summary: sentence(words("active "+k.label+" of "+f.kind.Noun()+" "), code(f.name), words(what)),
					Restore: sentence(words("deactivate it, and delete it if nothing breaks: an unused key is only a risk")),
				}, drift.Medium)
			}
		}
		if f.person {
			c.add(drift.Finding{
				ID: drift.FindingID(PersonKey, f.kind, f.name, k.idPart), Kind: PersonKey,
				SubjectKind: f.kind, Subject: f.name, Pos: f.pos,
				Summary: sentence(words("person "), code(f.name), words(" has an active "+k.label+" (created "+date(k.created)+"); people should sign in through SSO or the console, not with long-lived keys")),
				Restore: sentence(words("delete the key and have "), code(f.name), words(" use SSO or temporary credentials")),
				Accept:  sentence(words("if a machine uses it, declare it under "), code("service_accounts:"), words(" with an "), code("owner"), words(" instead of in "), where(f.pos)),
			}, drift.Medium)
		}
	}
}

// rotateAdvice is how an old key gets rotated: by hand, or, for a service
// account with access_key, by roster's rotate schedule, with what to check
// when that is overdue.
func (c *checker) rotateAdvice(f *facts) drift.Text {
	if f.accessKey == nil {
		return sentence(words("rotate it: create a second key, move whatever uses "), code(f.name), words(" to it, then deactivate and delete the old one"))
	}
	p := f.accessKey.Policy(c.env.Guardrails.MaxAccessKeyAgeDays)
	return sentence(words("roster rotates the key it delivers: a new key at "), code(fmt.Sprintf("rotate_after_days: %d", p.RotateAfterDays)),
		words(", the old one deactivated "), code(fmt.Sprintf("overlap_days: %d", p.OverlapDays)), words(" later and deleted a day after, by the scheduled "),
		code("roster rotate"), words(" run; if this key is older than that, check that the rotate workflow runs and succeeds, and look for a "),
		code("rotation-blocked"), words(" or "), code("hand-made-key"), words(" finding of "), code(f.name),
		words(" (roster never rotates a key made by hand: delete it once nothing uses it)"))
}

func (c *checker) password(f *facts) {
	if !f.console {
		return
	}
	if f.mfaKnown && !f.mfa {
		fd := drift.Finding{
			ID: drift.FindingID(NoMFA, f.kind, f.name), Kind: NoMFA,
			SubjectKind: f.kind, Subject: f.name, Pos: f.pos,
			Summary: sentence(noun2(f), code(f.name), words(" can sign in to the console but has no MFA device")),
		}
		sev := drift.Medium
		if c.env.Guardrails.ConsoleRequiresMFA {
			sev = drift.High
			fd.Restore = sentence(words("have "), code(f.name), words(" assign an MFA device (IAM console, Security credentials); until then "), code("console_requires_mfa"), words(" lets the user do nothing else"))
		} else {
			fd.Restore = sentence(words("have "), code(f.name), words(" assign an MFA device (IAM console, Security credentials)"))
			fd.Accept = sentence(words("set "), code("console_requires_mfa: true"), words(" in the guardrails of "), code(c.envFile), words(" so console users must use MFA"))
		}
		c.add(fd, sev)
	}
	if !f.fromReport {
		return
	}
	last, never := f.passwordSet, f.lastLogin == nil
	if !never {
		last = *f.lastLogin
	}
	idle := c.days(last)
	if idle < UnusedDays {
		return
	}
	what := fmt.Sprintf(" has not signed in to the console for %s (last %s)", plural(idle, "day"), date(last))
	if never {
		what = fmt.Sprintf(" has never signed in to the console since the password was set %s ago (%s)", plural(idle, "day"), date(last))
	}
	fd := drift.Finding{
		ID: drift.FindingID(UnusedPassword, f.kind, f.name), Kind: UnusedPassword,
		SubjectKind: f.kind, Subject: f.name, Pos: f.pos,
		Summary: sentence(noun2(f), code(f.name), words(what)),
	}
	if m := c.users[strings.ToLower(f.name)]; m != nil && m.Console {
		fd.Restore = sentence(words("if "), code(f.name), words(" no longer needs the console, set "), code("console: false"), words(" in "), where(f.pos), words(" (apply deletes the password)"))
	} else {
		fd.Restore = sentence(words("delete the console password (login profile) of "), code(f.name), words(" if nobody needs it"))
	}
	c.add(fd, drift.Low)
}

func noun2(f *facts) drift.Span {
	if f.person {
		return words("person ")
	}
	return words(f.kind.Noun() + " ")
}

// expiring reminds of manifest users whose expires is within
// ExpiryNoticeDays, and of group memberships that end within
// MembershipNoticeHours, while the user still exists.
func (c *checker) expiring(live *state.Account, report *state.CredentialReport) {
	for _, m := range c.env.Users {
		if m.Expires != nil && !c.expired(m) && c.userExists(m.Name, live, report) {
			c.expiringUser(m)
		}
		for _, g := range m.Grants() {
			if g.Group == "" || g.Passed(c.now) || g.End.Sub(c.now) > MembershipNoticeHours*time.Hour {
				continue
			}
			if live != nil && (live.Users[m.Name] == nil || !slices.Contains(live.Users[m.Name].Groups, g.Group)) {
				continue
			}
			c.expiringMembership(m, g)
		}
	}
}

// userExists reports whether the user is in the live state or the
// credential report (or whether neither was read).
func (c *checker) userExists(name string, live *state.Account, report *state.CredentialReport) bool {
	if live == nil && report == nil {
		return true
	}
	return (live != nil && live.Users[name] != nil) || report.User(name) != nil
}

func (c *checker) expiringUser(m *manifest.User) {
	exp := m.Expires.LastDay()
	left := int(exp.Sub(c.today).Hours() / 24)
	if left > ExpiryNoticeDays {
		return
	}
	kind := kindOf(m)
	when := fmt.Sprintf("in %s", plural(left, "day"))
	if left == 0 {
		when = "today"
	}
	on, after := "on "+date(exp), "after that day"
	if !m.Expires.Day {
		on, after = "at "+m.Expires.String(), "after that"
	}
	c.add(drift.Finding{
		ID: drift.FindingID(Expiring, kind, m.Name, m.Expires.Written()), Kind: Expiring,
		SubjectKind: kind, Subject: m.Name, Pos: m.Pos,
		Summary: sentence(words(kind.Noun()+" "), code(m.Name), words(" expires "+on+" ("+when+"): the first scheduled run "+after+" offboards it")),
		Accept:  sentence(words("if "), code(m.Name), words(" still needs access, move "), code("expires"), words(" in "), where(m.Pos), words(" to a later date")),
	}, drift.Low)
}

func (c *checker) expiringMembership(m *manifest.User, g manifest.Grant) {
	kind := kindOf(m)
	hours := int((g.End.Sub(c.now) + time.Hour - 1) / time.Hour)
	c.add(drift.Finding{
		ID: drift.FindingID(Expiring, kind, m.Name, g.Group, g.Written()), Kind: Expiring,
		SubjectKind: kind, Subject: m.Name, Pos: m.Pos,
		Summary: sentence(words(kind.Noun()+" "), code(m.Name), words("'s membership of group "), code(g.Group),
			words(" ends at "+g.String()+" (in "+plural(hours, "hour")+"): the first hourly expire run after that removes it")),
		Accept: sentence(words("if "), code(m.Name), words(" still needs "), code(g.Group), words(", move the membership's "), code("expires"), words(" in "), where(m.Pos), words(" to a later time")),
	}, drift.Low)
}

func kindOf(m *manifest.User) plan.Kind {
	if m.Kind == manifest.ServiceAccount {
		return plan.KindServiceAccount
	}
	return plan.KindUser
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func words(s string) drift.Span { return drift.Words(s) }
func code(s string) drift.Span  { return drift.Code(s) }

// sentence joins spans as drift's findings do.
func sentence(spans ...drift.Span) drift.Text { return drift.Sentence(spans...) }
